/**
 * Documents on disk under DOCUMENTS_DIR: one folder per BDNS code, written so that a crash or a short
 * body never leaves a partial file where a complete one is expected. The body is streamed through a
 * sha256 hash into a temporary file, fsynced, checked against the size BDNS announced, then renamed.
 * A document never sits whole in memory.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { recordDocumentStored } from "../../metrics/index.js";

export const DEFAULT_DOCUMENTS_DIR = "./data/documents";

/**
 * A stored file's mtime is when it was written, before its row said `stored_at`; later than that by
 * more than this (clocks of a shared filesystem's hosts, a slow fsync), and somebody else wrote it.
 */
const MTIME_SLACK_MS = 2_000;

/** A temporary file nobody has written to for this long belongs to a worker that died. */
const STALE_PART_MS = 10 * 60_000;

export interface StoredDocument {
  /** Relative to the documents directory, with forward slashes. */
  path: string;
  sha256: string;
  size: number;
}

/** The body's size is not the one BDNS announced: a truncated or padded transfer. */
export class SizeMismatchError extends Error {
  override readonly name = "SizeMismatchError";
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`document body is ${actual} bytes, BDNS announced ${expected}`);
  }
}

export class DocumentStore {
  readonly root: string;

  constructor(root: string = DEFAULT_DOCUMENTS_DIR) {
    this.root = resolve(root);
  }

  /**
   * `<bdns>/<documentId>-<readable name>`: the id makes it unique (BDNS document ids are global), the
   * name keeps it recognisable; only safe characters survive, so it can never leave its folder.
   */
  relativePath(bdns: string, documentId: string, originalName: string | null): string {
    if (!/^\d{1,10}$/.test(bdns)) throw new Error(`invalid BDNS code for a folder: ${JSON.stringify(bdns)}`);
    return this.relativePathIn([bdns], documentId, originalName);
  }

  /**
   * `<folder>/…/<documentId>-<readable name>` for documents that are not a convocatoria's (a plan's:
   * `planes-estrategicos/<idPES>/…`). Folder names are tokens; nothing can climb out.
   */
  relativePathIn(folders: readonly string[], documentId: string, originalName: string | null): string {
    for (const f of folders) if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/.test(f)) throw new Error(`invalid folder name: ${JSON.stringify(f)}`);
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(documentId)) throw new Error(`invalid document id for a file name: ${JSON.stringify(documentId)}`);
    const readable = basename((originalName ?? "").replace(/\\/g, "/"))
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "") // "Resolució" → "Resolucio"
      .replace(/[^A-Za-z0-9._-]+/g, "_")
      .replace(/^[._]+/, "")
      .slice(0, 100);
    return `${folders.join("/")}/${documentId}${readable ? `-${readable}` : ""}`;
  }

  absolute(relPath: string): string {
    const abs = resolve(this.root, relPath);
    if (!abs.startsWith(this.root + sep)) throw new Error(`path escapes the documents directory: ${relPath}`);
    return abs;
  }

  /** Stream `body` into place. Throws SizeMismatchError (leaving nothing behind) on a short or long body. */
  async store(relPath: string, body: Readable, expectedSize: number | null | undefined): Promise<StoredDocument> {
    const target = this.absolute(relPath);
    // Until `pipeline` owns the body, nobody listens to it: a socket that resets while the folder is
    // being created would be an uncaught exception. Hold its first error and rethrow it here instead.
    let early: unknown;
    const holdEarly = (err: unknown) => (early ??= err);
    body.on("error", holdEarly);
    try {
      await mkdir(resolve(target, ".."), { recursive: true });
    } finally {
      body.off("error", holdEarly);
    }
    if (early !== undefined) throw early;
    await this.sweepStaleParts(target);
    const temp = `${target}.part-${randomBytes(6).toString("hex")}`;
    const hash = createHash("sha256");
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(temp, { flags: "wx" }));
      if (expectedSize !== null && expectedSize !== undefined && size !== expectedSize) throw new SizeMismatchError(expectedSize, size);
      const fh = await open(temp, "r");
      try {
        await fh.sync(); // the bytes are on disk before the name says the file is complete
      } finally {
        await fh.close();
      }
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    recordDocumentStored(size); // metrics
    return { path: relative(this.root, target).split(sep).join("/"), sha256: hash.digest("hex"), size };
  }

  /**
   * A worker killed mid-download (deploy, OOM, `serve` past its grace) leaves `<file>.part-<random>`
   * behind; its retry writes a new one. Remove this document's leftovers once nobody has written to
   * them for a while: a live writer touches its file with every chunk, so an old mtime means a dead one.
   */
  private async sweepStaleParts(target: string): Promise<void> {
    const folder = dirname(target);
    const prefix = `${basename(target)}.part-`;
    const cutoff = Date.now() - STALE_PART_MS;
    for (const name of await readdir(folder)) {
      if (!name.startsWith(prefix)) continue;
      const path = join(folder, name);
      const info = await stat(path).catch(() => undefined); // another sweeper may have removed it
      if (info && info.mtimeMs < cutoff) await rm(path, { force: true });
    }
  }

  /**
   * The cheap check (one stat, no read) that a stored file is still the one that was stored: there,
   * of the stored size, and not written after the row recorded it. A file another deployment sharing
   * the folder replaced, or one removed or cut, fails it; the document is then fetched again (the
   * document function re-hashes before it trusts a file). Same size and an older mtime can still
   * hide a replacement: `doctor --verify-documents` re-hashes every file.
   */
  async looksIntact(d: { stored_path: string | null; stored_size: number | null; stored_at: string | null }): Promise<boolean> {
    if (!d.stored_path || d.stored_size === null || !d.stored_at) return false;
    try {
      const info = await stat(this.absolute(d.stored_path));
      return info.isFile() && info.size === d.stored_size && info.mtimeMs <= Date.parse(d.stored_at) + MTIME_SLACK_MS;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return false;
      throw err;
    }
  }

  /** The sha256 and size of a stored file, or undefined if it is not there. Streams; never buffers. */
  async inspect(relPath: string): Promise<{ sha256: string; size: number } | undefined> {
    const abs = this.absolute(relPath);
    try {
      const { size } = await stat(abs);
      const hash = createHash("sha256");
      await pipeline(createReadStream(abs), hash);
      return { sha256: hash.digest("hex"), size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }
}


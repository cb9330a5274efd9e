/**
 * Documents on disk under DOCUMENTS_DIR: one folder per BDNS code, written so that a crash or a short
 * body never leaves a partial file where a complete one is expected. The body is streamed through a
 * sha256 hash into a temporary file, fsynced, checked against the size BDNS announced, then renamed.
 * A document never sits whole in memory. (The other DocumentStore: s3-documents.ts.)
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { recordDocumentStored } from "../../metrics/index.js";
import { beforeReading, documentName, documentNameIn, SizeMismatchError, type DocumentStore, type StoredDocument } from "./document-store.js";

export { SizeMismatchError, type DocumentStore, type StoredDocument } from "./document-store.js";

export const DEFAULT_DOCUMENTS_DIR = "./data/documents";

/** A temporary file nobody has written to for this long belongs to a worker that died. */
const STALE_PART_MS = 10 * 60_000;

export class FolderDocumentStore implements DocumentStore {
  readonly root: string;

  constructor(root: string = DEFAULT_DOCUMENTS_DIR) {
    this.root = resolve(root);
  }

  get location(): string {
    return this.root;
  }

  relativePath(bdns: string, documentId: string, originalName: string | null): string {
    return documentName(bdns, documentId, originalName);
  }

  relativePathIn(folders: readonly string[], documentId: string, originalName: string | null): string {
    return documentNameIn(folders, documentId, originalName);
  }

  absolute(relPath: string): string {
    const abs = resolve(this.root, relPath);
    if (!abs.startsWith(this.root + sep)) throw new Error(`path escapes the documents directory: ${relPath}`);
    return abs;
  }

  /** Stream `body` into place. Throws SizeMismatchError (leaving nothing behind) on a short or long body. */
  async store(relPath: string, body: Readable, expectedSize: number | null | undefined): Promise<StoredDocument> {
    const target = this.absolute(relPath);
    await beforeReading(body, async () => void (await mkdir(resolve(target, ".."), { recursive: true })));
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

  /** The sha256 and size of a stored file, or undefined if it is not there. Streams; never buffers. */
  async inspect(relPath: string): Promise<{ sha256: string; size: number } | undefined> {
    if (recordedElsewhere(relPath)) return undefined;
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

  async stat(relPath: string): Promise<{ size: number; modifiedAt: Date } | undefined> {
    if (recordedElsewhere(relPath)) return undefined;
    try {
      const info = await stat(this.absolute(relPath));
      return info.isFile() ? { size: info.size, modifiedAt: info.mtime } : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }
}

/** A path another kind of store recorded (`s3://bucket/key`): not in this folder. */
const recordedElsewhere = (path: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(path);

/**
 * The document store: where the functions put the files BDNS serves. One interface, two places —
 * a folder (DOCUMENTS_DIR, the default: documents.ts) and S3-compatible object storage
 * (DOCUMENTS_URL=s3://bucket/prefix: s3-documents.ts) — with the same promises: the body is
 * streamed (never whole in memory), hashed (sha256) and checked against the size BDNS announced
 * before it counts as stored, nothing partial is ever visible under the document's name, and a
 * stored document can be checked again without fetching it from BDNS.
 */
import { basename } from "node:path";
import type { Readable } from "node:stream";

export interface StoredDocument {
  /**
   * What `stored_path` records: the folder store's path relative to DOCUMENTS_DIR (forward slashes),
   * or the object store's `s3://bucket/key` URL.
   */
  path: string;
  sha256: string;
  size: number;
}

export interface DocumentStore {
  /** Where documents go, for logs and `doctor`: a folder, or `s3://bucket/prefix`. Never a credential. */
  readonly location: string;
  /** `<bdns>/<documentId>-<readable name>`: a convocatoria's document's name in the store. */
  relativePath(bdns: string, documentId: string, originalName: string | null): string;
  /** `<folder>/…/<documentId>-<readable name>` for documents that are not a convocatoria's. */
  relativePathIn(folders: readonly string[], documentId: string, originalName: string | null): string;
  /**
   * Stream `body` in under `name` (from relativePath). Throws SizeMismatchError on a short or long body
   * and leaves nothing behind; a previous version under that name stays until the new one is whole.
   */
  store(name: string, body: Readable, expectedSize: number | null | undefined): Promise<StoredDocument>;
  /**
   * The sha256 and size of what is stored at `storedPath` (as recorded), or undefined if it is not
   * there — including a path another store recorded (a folder path to the object store, say).
   */
  inspect(storedPath: string): Promise<{ sha256: string; size: number } | undefined>;
  /** Size and last change of what is stored at `storedPath`, without reading it; undefined if absent. */
  stat(storedPath: string): Promise<{ size: number; modifiedAt: Date } | undefined>;
}

/**
 * A stored document's last change is when it was written, before its row said `stored_at`; later than
 * that by more than this (the clocks of a shared filesystem's hosts, or of the bucket's servers), and
 * somebody else wrote it.
 */
const WRITTEN_AFTER_SLACK_MS = 2_000;

/** What a store's row says of a stored document. */
export type StoredRow = { stored_path: string | null; stored_size: number | null; stored_at: string | null };
/** Whether what is stored under a row still looks like what was stored (looksIntact, bound to a store). */
export type FileCheck = (row: StoredRow) => Promise<boolean>;

/**
 * The cheap check (one stat or HEAD, no read) that what is stored under a row is still what was
 * stored: there, of the stored size, and not written after the row recorded it. A file another
 * deployment sharing the folder (or bucket) replaced, or one removed or cut, fails it; the document
 * is then fetched again (the document function re-hashes before it trusts a file). Same size and an
 * older time can still hide a replacement: `doctor --verify-documents` re-hashes every one.
 */
export async function looksIntact(store: Pick<DocumentStore, "stat">, row: StoredRow): Promise<boolean> {
  if (!row.stored_path || row.stored_size === null || !row.stored_at) return false;
  const found = await store.stat(row.stored_path);
  return found !== undefined && found.size === Number(row.stored_size) && found.modifiedAt.getTime() <= Date.parse(row.stored_at) + WRITTEN_AFTER_SLACK_MS;
}

/** The body's size is not the one BDNS announced: a truncated or padded transfer. */
export class SizeMismatchError extends Error {
  override readonly name = "SizeMismatchError";
  constructor(
    readonly expected: number,
    readonly actual: number,
    /** The store stopped reading at `actual` bytes: the body was at least that long. */
    readonly stoppedEarly = false,
  ) {
    super(stoppedEarly ? `document body is longer than the ${expected} bytes BDNS announced (refused at ${actual})` : `document body is ${actual} bytes, BDNS announced ${expected}`);
  }
}

/** `<bdns>/<documentId>-<readable name>`. */
export function documentName(bdns: string, documentId: string, originalName: string | null): string {
  if (!/^\d{1,10}$/.test(bdns)) throw new Error(`invalid BDNS code for a folder: ${JSON.stringify(bdns)}`);
  return documentNameIn([bdns], documentId, originalName);
}

/**
 * `<folder>/…/<documentId>-<readable name>`: the id makes it unique (BDNS document ids are global), the
 * name keeps it recognisable; only safe characters survive, so it can never leave its folder (or
 * prefix). Folder names are tokens; nothing can climb out.
 */
export function documentNameIn(folders: readonly string[], documentId: string, originalName: string | null): string {
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

/**
 * Until a consumer owns the body, nobody listens to it: a socket that resets meanwhile would be an
 * uncaught exception in the worker. Runs `before` holding the body's first error, and rethrows it.
 */
export async function beforeReading(body: Readable, before: () => Promise<void>): Promise<void> {
  let early: unknown;
  const holdEarly = (err: unknown) => (early ??= err);
  body.on("error", holdEarly);
  try {
    await before();
  } finally {
    body.off("error", holdEarly);
  }
  if (early !== undefined) throw early;
}

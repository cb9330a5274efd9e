/**
 * The document-store contract, run against both stores: the folder (a real temp directory) and S3
 * (the loopback S3 stand-in, test/support/s3-server.ts, through the real AWS SDK). Whatever the
 * functions rely on is here; what only one store has (temp-file sweeps, multipart uploads) is in
 * documents.test.ts and s3-documents.test.ts.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SizeMismatchError, type DocumentStore } from "../../src/adapters/store/document-store.js";
import { FolderDocumentStore } from "../../src/adapters/store/documents.js";
import { S3DocumentStore, s3Client } from "../../src/adapters/store/s3-documents.js";
import { MIN_PART_SIZE, startFakeS3, type FakeS3 } from "../support/s3-server.js";

interface Subject {
  docs: DocumentStore;
  /** The bytes stored under a recorded path, read behind the store's back. */
  bytes(path: string): Buffer | undefined;
  /** Every name a reader of the folder or bucket can see, relative to the store's root. */
  visible(): string[];
  /** Replace what is stored at a recorded path behind the store's back (another writer, a corruption). */
  replace(path: string, bytes: Buffer): void;
  /** A path the other kind of store records. */
  foreignPath: string;
}

function listFiles(root: string): string[] {
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as Array<{ isFile(): boolean; parentPath: string; name: string }>)
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)).split("\\").join("/"))
    .sort();
}

let s3: FakeS3;
const BUCKET = "ayida-documents";
beforeAll(async () => (s3 = await startFakeS3({ buckets: [BUCKET] })));
afterAll(() => s3?.close());

let prefixes = 0;
const subjects: Array<[string, () => Subject]> = [
  [
    "folder",
    () => {
      const root = mkdtempSync(join(tmpdir(), "ayida-docs-"));
      return {
        docs: new FolderDocumentStore(root),
        bytes: (p) => {
          try {
            return readFileSync(join(root, p));
          } catch {
            return undefined;
          }
        },
        visible: () => listFiles(root),
        replace: (p, b) => writeFileSync(join(root, p), b),
        foreignPath: `s3://${BUCKET}/123/1-a.pdf`,
      };
    },
  ],
  [
    "S3",
    () => {
      const prefix = `documents/t${++prefixes}`;
      const client = s3Client({ pathStyle: true }, { endpoint: s3.url, region: s3.region, credentials: s3.credentials });
      const keyOf = (p: string) => p.replace(`s3://${BUCKET}/`, "");
      return {
        // Parts of S3's minimum size, so that a few MiB make a multipart upload.
        docs: new S3DocumentStore({ bucket: BUCKET, prefix }, client, { partSize: MIN_PART_SIZE }),
        bytes: (p) => s3.objectBytes(BUCKET, keyOf(p)),
        visible: () => s3.keys(BUCKET).filter((k) => k.startsWith(`${prefix}/`)).map((k) => k.slice(prefix.length + 1)),
        replace: (p, b) => s3.putBehindTheBack(BUCKET, keyOf(p), b),
        foreignPath: "123/1-a.pdf",
      };
    },
  ],
];

function chunks(buf: Buffer, size = 1000): Readable {
  return Readable.from((function* () {
    for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
  })());
}
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const pattern = (n: number, seed = 1) => Buffer.from(Array.from({ length: n }, (_, i) => (i * seed) % 251));

describe.each(subjects)("the document store contract: %s", (_name, make) => {
  let s: Subject;
  beforeEach(() => {
    s = make();
  });

  it("stores byte-identical with the right sha256 and size; inspect and stat say the same; a missing one is undefined", async () => {
    const body = pattern(50_000);
    const stored = await s.docs.store("123/1-a.pdf", chunks(body), body.length);
    expect(stored).toMatchObject({ sha256: sha256(body), size: 50_000 });
    expect(s.bytes(stored.path)?.equals(body)).toBe(true);
    expect(s.visible()).toEqual(["123/1-a.pdf"]);
    expect(await s.docs.inspect(stored.path)).toEqual({ sha256: stored.sha256, size: 50_000 });
    expect(await s.docs.stat(stored.path)).toMatchObject({ size: 50_000, modifiedAt: expect.any(Date) });
    const missing = stored.path.replace("1-a.pdf", "2-missing");
    expect(await s.docs.inspect(missing)).toBeUndefined();
    expect(await s.docs.stat(missing)).toBeUndefined();
  });

  it("streams a document several parts long, byte-identical, and hashes it back the same", async () => {
    const body = pattern(2 * MIN_PART_SIZE + 12_345, 7);
    const stored = await s.docs.store("123/2-big.bin", chunks(body, 64 * 1024), body.length);
    expect(stored).toMatchObject({ sha256: sha256(body), size: body.length });
    expect(s.bytes(stored.path)?.equals(body)).toBe(true);
    expect(await s.docs.inspect(stored.path)).toEqual({ sha256: sha256(body), size: body.length });
  });

  it("stores a body of unknown size as it comes", async () => {
    const stored = await s.docs.store("123/3-c", chunks(Buffer.from("no size announced")), null);
    expect(s.bytes(stored.path)?.toString()).toBe("no size announced");
  });

  it.each([
    ["short", 100, 101],
    ["long", 102, 101],
    ["several parts longer", 2 * MIN_PART_SIZE + 10, MIN_PART_SIZE + 1],
    ["several parts shorter", 2 * MIN_PART_SIZE, 2 * MIN_PART_SIZE + 1],
  ])("a %s body is refused (SizeMismatchError) and leaves nothing under any name", async (_what, actual, announced) => {
    await expect(s.docs.store("123/4-d.pdf", chunks(pattern(actual), 64 * 1024), announced)).rejects.toBeInstanceOf(SizeMismatchError);
    expect(s.visible()).toEqual([]);
  });

  it("a stream that breaks mid-transfer rejects and leaves nothing, also after whole parts went out", async () => {
    for (const [name, before] of [["5-e.pdf", 10], ["6-f.pdf", MIN_PART_SIZE + 10]] as const) {
      const broken = new Readable({ read() {} });
      broken.push(pattern(before));
      setTimeout(() => broken.destroy(new Error("socket hang up")), 50);
      await expect(s.docs.store(`123/${name}`, broken, before + 20)).rejects.toThrow("socket hang up");
    }
    expect(s.visible()).toEqual([]);
  });

  it("a body that breaks before the store reads it rejects instead of crashing the process", async () => {
    const broken = new Readable({ read() {} });
    process.nextTick(() => broken.destroy(new Error("socket reset early")));
    await expect(s.docs.store("456/deep/7-g.pdf", broken, 20)).rejects.toThrow("socket reset early");
    expect(s.visible()).toEqual([]);
  });

  it("replaces a previous version whole; a failed replacement keeps the previous version", async () => {
    await s.docs.store("9/5-x", chunks(Buffer.from("old")), 3);
    const newer = await s.docs.store("9/5-x", chunks(Buffer.from("newer")), 5);
    expect(s.bytes(newer.path)?.toString()).toBe("newer");
    await expect(s.docs.store("9/5-x", chunks(Buffer.from("short")), 6)).rejects.toBeInstanceOf(SizeMismatchError);
    expect(s.bytes(newer.path)?.toString()).toBe("newer");
    expect(s.visible()).toEqual(["9/5-x"]);
  });

  it("workers storing the same document at once all succeed, and one whole copy remains", async () => {
    const body = Buffer.from("the same document");
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => s.docs.store("123/9-h.pdf", chunks(body, 4), body.length)));
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    expect(s.visible()).toEqual(["123/9-h.pdf"]);
    expect(s.bytes((results[0] as PromiseFulfilledResult<{ path: string }>).value.path)?.equals(body)).toBe(true);
  });

  it("inspect sees a document replaced behind its back (so the functions fetch it again)", async () => {
    const stored = await s.docs.store("123/10-i.pdf", chunks(Buffer.from("original")), 8);
    s.replace(stored.path, Buffer.from("tampered"));
    expect(await s.docs.inspect(stored.path)).toEqual({ sha256: sha256(Buffer.from("tampered")), size: 8 });
  });

  it("a path the other kind of store recorded is not here", async () => {
    expect(await s.docs.inspect(s.foreignPath)).toBeUndefined();
    expect(await s.docs.stat(s.foreignPath)).toBeUndefined();
  });

  it.each([
    ["Resolució convocatoria línia 3.pdf", "123/77-Resolucio_convocatoria_linia_3.pdf"],
    ["../../etc/passwd", "123/77-passwd"],
    ["..\\..\\win.ini", "123/77-win.ini"],
    [".hidden", "123/77-hidden"],
    [null, "123/77"],
    ["a".repeat(300) + ".pdf", `123/77-${"a".repeat(100)}`],
  ])("names %j → %s", (name, expected) => expect(s.docs.relativePath("123", "77", name)).toBe(expected));

  it("refuses folder and file names that could escape", () => {
    expect(() => s.docs.relativePath("../1", "77", "x")).toThrow(/invalid BDNS code/);
    expect(() => s.docs.relativePath("1", "a/b", "x")).toThrow(/invalid document id/);
    expect(() => s.docs.relativePathIn(["..", "x"], "77", "x")).toThrow(/invalid folder name/);
  });
});

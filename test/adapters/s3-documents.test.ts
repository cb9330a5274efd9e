/**
 * What only the S3 store does, asserted on what went over the wire to the S3 stand-in
 * (test/support/s3-server.ts): checksums on every part, failed uploads aborted, a crashed worker's
 * upload swept, an unchanged document never uploaded again, path-style addressing on request.
 * The contract both stores keep is in document-store.contract.test.ts.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { InngestTestEngine, mockCtx } from "@inngest/test";
import { SizeMismatchError } from "../../src/adapters/store/document-store.js";
import { openDocumentStore } from "../../src/adapters/store/open-documents.js";
import { ChecksumMismatchError, S3DocumentStore, s3Client, STALE_UPLOAD_MS } from "../../src/adapters/store/s3-documents.js";
import { documentsTarget } from "../../src/config/env.js";
import { documentBytes, makeDataset } from "../support/bdns-server.js";
import { startJobsHarness, type JobsHarness } from "../support/jobs.js";
import { MIN_PART_SIZE, startFakeS3, type FakeS3, type S3Request } from "../support/s3-server.js";
import { CreateMultipartUploadCommand, UploadPartCommand } from "@aws-sdk/client-s3";

const BUCKET = "ayida-documents";
let s3: FakeS3;
beforeAll(async () => (s3 = await startFakeS3({ buckets: [BUCKET] })));
afterAll(() => s3?.close());

const client = () => s3Client({ pathStyle: true }, { endpoint: s3.url, region: s3.region, credentials: s3.credentials });
let prefix: string;
let docs: S3DocumentStore;
let n = 0;
beforeEach(() => {
  prefix = `p${++n}`;
  docs = new S3DocumentStore({ bucket: BUCKET, prefix }, client(), { partSize: MIN_PART_SIZE });
});
/** The requests made since `from` (an index into the log) about keys under this test's prefix. */
const wire = (from = 0) => s3.requests().slice(from).filter((r) => r.key.startsWith(`${prefix}/`) || r.op === "ListMultipartUploads");
const ops = (rs: S3Request[]) => rs.map((r) => r.op);
const pattern = (len: number) => Buffer.from(Array.from({ length: len }, (_, i) => i % 253));
const body = (b: Buffer, size = 256 * 1024) => Readable.from((function* () {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
})());

describe("S3DocumentStore on the wire", () => {
  it("a small document is one PutObject with its SHA-256 checksum, recorded as s3://bucket/key", async () => {
    const b = Buffer.from("a small PDF");
    const stored = await docs.store("123/1-a.pdf", body(b), b.length);
    expect(stored).toEqual({ path: `s3://${BUCKET}/${prefix}/123/1-a.pdf`, sha256: createHash("sha256").update(b).digest("hex"), size: b.length });
    expect(ops(wire())).toEqual(["ListMultipartUploads", "PutObject"]);
    expect(wire().find((r) => r.op === "PutObject")).toMatchObject({ checksum: "sha256", status: 200, style: "path" });
  });

  it("a large one is a multipart upload whose every part carries its SHA-256 checksum, completed once", async () => {
    const b = pattern(2 * MIN_PART_SIZE + 100);
    await docs.store("123/2-big.bin", body(b), b.length);
    const parts = wire().filter((r) => r.op === "UploadPart");
    expect(parts.map((p) => p.partNumber).sort()).toEqual([1, 2, 3]);
    expect(parts.every((p) => p.checksum === "sha256" && p.status === 200)).toBe(true);
    expect(ops(wire()).filter((o) => o === "CreateMultipartUpload" || o === "CompleteMultipartUpload")).toEqual(["CreateMultipartUpload", "CompleteMultipartUpload"]);
    expect(s3.object(BUCKET, `${prefix}/123/2-big.bin`)?.checksum).toMatchObject({ algorithm: "sha256", type: "COMPOSITE" });
  });

  it("an unchanged document is checked with a HEAD (one part) or a HEAD and a read (several): nothing is uploaded", async () => {
    const small = await docs.store("123/3-s.pdf", body(Buffer.from("small")), 5);
    const big = await docs.store("123/4-b.bin", body(pattern(MIN_PART_SIZE + 1)), MIN_PART_SIZE + 1);
    let from = s3.requests().length;
    expect(await docs.inspect(small.path)).toEqual({ sha256: small.sha256, size: 5 });
    expect(ops(wire(from))).toEqual(["HeadObject"]);
    from = s3.requests().length;
    expect(await docs.inspect(big.path)).toEqual({ sha256: big.sha256, size: big.size });
    expect(ops(wire(from))).toEqual(["HeadObject", "GetObject"]);
  });

  it("a part that keeps failing aborts the upload: nothing under the key, no upload left", async () => {
    s3.fault({ op: "UploadPart", partNumber: 2, key: `${prefix}/123/5-e.bin` }, ...Array(5).fill({ status: 500, code: "InternalError" }));
    await expect(docs.store("123/5-e.bin", body(pattern(2 * MIN_PART_SIZE + 1)), 2 * MIN_PART_SIZE + 1)).rejects.toMatchObject({ name: "InternalError" });
    const created = wire().find((r) => r.op === "CreateMultipartUpload" && r.status === 200);
    expect(wire().filter((r) => r.op === "AbortMultipartUpload")).toEqual([expect.objectContaining({ status: 204, uploadId: expect.any(String) })]);
    expect(ops(wire())).not.toContain("CompleteMultipartUpload");
    expect(created).toBeDefined();
    expect(s3.uploads(BUCKET)).toEqual([]);
    expect(s3.keys(BUCKET).filter((k) => k.startsWith(`${prefix}/`))).toEqual([]);
  });

  it("a body longer than announced is refused before its last part: never completed, aborted", async () => {
    await expect(docs.store("123/6-l.bin", body(pattern(3 * MIN_PART_SIZE)), 2 * MIN_PART_SIZE - 1)).rejects.toBeInstanceOf(SizeMismatchError);
    expect(ops(wire())).not.toContain("CompleteMultipartUpload");
    expect(ops(wire())).toContain("AbortMultipartUpload");
    expect(s3.uploads(BUCKET)).toEqual([]);
  });

  it("a bucket that answers the completion with an error inside a 200 stores nothing and is aborted", async () => {
    s3.fault({ op: "CompleteMultipartUpload", key: `${prefix}/123/7-c.bin` }, "error-in-200", "error-in-200", "error-in-200");
    await expect(docs.store("123/7-c.bin", body(pattern(MIN_PART_SIZE + 1)), MIN_PART_SIZE + 1)).rejects.toThrow();
    expect(ops(wire())).toContain("AbortMultipartUpload");
    expect(s3.keys(BUCKET).filter((k) => k.startsWith(`${prefix}/`))).toEqual([]);
  });

  it("an object whose checksum is not the one of the bytes sent is removed, and the store fails", async () => {
    s3.fault({ op: "CompleteMultipartUpload", key: `${prefix}/123/8-w.bin` }, "wrong-checksum");
    await expect(docs.store("123/8-w.bin", body(pattern(MIN_PART_SIZE + 1)), MIN_PART_SIZE + 1)).rejects.toBeInstanceOf(ChecksumMismatchError);
    expect(ops(wire()).at(-1)).toBe("DeleteObject");
    expect(s3.keys(BUCKET).filter((k) => k.startsWith(`${prefix}/`))).toEqual([]);
  });

  it("an upload a killed worker left is aborted by the next store of the document; a live one and other documents' are not", async () => {
    const c = client();
    const start = async (key: string) => {
      const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ChecksumAlgorithm: "SHA256" }));
      await c.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, Body: pattern(MIN_PART_SIZE), ChecksumAlgorithm: "SHA256" }));
      return UploadId!;
    };
    const key = `${prefix}/123/9-k.pdf`;
    const dead = await start(key);
    const slow = await start(key); // started long ago, but a part arrived a minute ago: alive
    const other = await start(`${prefix}/123/90-other.pdf`);
    const longAgo = (2 * STALE_UPLOAD_MS) / 60_000;
    s3.ageUpload(dead, longAgo);
    s3.ageUpload(other, longAgo);
    s3.ageUpload(slow, longAgo, 1);
    await docs.store("123/9-k.pdf", body(Buffer.from("whole")), 5);
    expect(s3.uploads(BUCKET).map((u) => u.uploadId).sort()).toEqual([slow, other].sort());
    expect(wire().filter((r) => r.op === "AbortMultipartUpload").map((r) => r.uploadId)).toEqual([dead]);
    expect(s3.objectBytes(BUCKET, key)?.toString()).toBe("whole");
  });

  it("a SlowDown (503) is retried by the SDK and the document stored", async () => {
    s3.fault({ op: "PutObject", key: `${prefix}/123/10-r.pdf` }, { status: 503, code: "SlowDown", message: "Please reduce your request rate." });
    await docs.store("123/10-r.pdf", body(Buffer.from("retried")), 7);
    expect(wire().filter((r) => r.op === "PutObject").map((r) => r.status)).toEqual([503, 200]);
  });
});

describe("the bucket store as the environment names it", () => {
  it("DOCUMENTS_URL wins over DOCUMENTS_DIR; AWS_S3_FORCE_PATH_STYLE asks for path-style URLs", () => {
    expect(documentsTarget({ DOCUMENTS_DIR: "/data/documents", DOCUMENTS_URL: "s3://ayida-docs/bdns/", AWS_S3_FORCE_PATH_STYLE: "true" })).toEqual({ kind: "s3", bucket: "ayida-docs", prefix: "bdns", pathStyle: true, url: "s3://ayida-docs/bdns", ignored: "DOCUMENTS_DIR" });
    expect(documentsTarget({ DOCUMENTS_URL: "s3://ayida-docs" })).toEqual({ kind: "s3", bucket: "ayida-docs", prefix: "", pathStyle: false, url: "s3://ayida-docs" });
    expect(documentsTarget({ DOCUMENTS_DIR: "/data/documents" })).toEqual({ kind: "folder", dir: "/data/documents" });
  });

  it("reads the endpoint, region and credentials from the standard AWS variables", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ENDPOINT_URL: s3.url, AWS_REGION: s3.region, AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey });
    try {
      const store = openDocumentStore(documentsTarget({ DOCUMENTS_URL: `s3://${BUCKET}/env`, AWS_S3_FORCE_PATH_STYLE: "true" }));
      expect(store.location).toBe(`s3://${BUCKET}/env`);
      const stored = await store.store("1/2-x", body(Buffer.from("via env")), 7);
      expect(stored.path).toBe(`s3://${BUCKET}/env/1/2-x`);
      expect(s3.requests().at(-1)).toMatchObject({ op: "PutObject", key: "env/1/2-x", style: "path", status: 200 });
    } finally {
      for (const k of ["AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) if (saved[k] === undefined) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});

describe("processDocumentStorage with the bucket store", () => {
  let h: JobsHarness;
  beforeAll(async () => {
    h = await startJobsHarness(makeDataset(1, { firstDate: "2026-09-01", docs: 2 }), { documents: new S3DocumentStore({ bucket: BUCKET, prefix: "functions" }, client()) });
  });
  afterAll(() => h?.close());
  const run = (fnIndex: number, name: string, data: Record<string, unknown>) =>
    new InngestTestEngine({ function: h.fns[fnIndex]! as never, events: [{ name, data: { timestamp: "2026-11-28T10:00:00.000Z", ...data } }] as never, transformCtx: (ctx) => ({ ...mockCtx(ctx), attempt: 0 }) }).execute();

  it("stores each document byte-identical in the bucket, records its s3:// path, and never uploads an unchanged one again", async () => {
    const c = h.bdns.dataset[0]!;
    await run(2, "convocatorias/detail.requested", { bdns: c.bdns, runId: "once" });
    for (const d of c.documents) await run(3, "documents/storage.requested", { bdns: c.bdns, documentId: String(d.id), runId: "once" });
    const rows = await h.store.db.selectFrom("documentos").select(["id", "stored_path", "sha256", "stored_size"]).orderBy("id").execute();
    for (const d of c.documents) {
      const row = rows.find((r) => r.id === String(d.id))!;
      expect(row.stored_path).toMatch(new RegExp(`^s3://${BUCKET}/functions/${c.bdns}/${d.id}-`));
      expect(s3.objectBytes(BUCKET, row.stored_path!.slice(`s3://${BUCKET}/`.length))?.equals(documentBytes(d))).toBe(true);
    }
    const from = s3.requests().length;
    const downloads = h.bdns.count("/convocatorias/documentos");
    for (const d of c.documents) await run(3, "documents/storage.requested", { bdns: c.bdns, documentId: String(d.id), runId: "twice" });
    const again = s3.requests().slice(from);
    expect(again.map((r) => r.op)).toEqual(c.documents.map(() => "HeadObject"));
    expect(h.bdns.count("/convocatorias/documentos")).toBe(downloads);
    expect(await h.store.getRun("twice")).toMatchObject({ documents_stored: 0 });
  });
});

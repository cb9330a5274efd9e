/**
 * The S3 stand-in holds S3's rules, checked through the real AWS SDK: if it were lenient where S3 is
 * strict, the document store's S3 tests would prove nothing.
 */
import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, UploadPartCommand } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import http from "node:http";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIN_PART_SIZE, startFakeS3, type FakeS3 } from "../support/s3-server.js";

let s3: FakeS3;
const bucket = "ayida-documents";
beforeAll(async () => {
  s3 = await startFakeS3({ buckets: [bucket], credentials: [{ accessKeyId: "AKIAWRITER", secretAccessKey: "writer-secret" }, { accessKeyId: "AKIAREADER", secretAccessKey: "reader-secret" }], readOnly: ["AKIAREADER"] });
});
afterAll(() => s3?.close());

const client = (o: { secret?: string; keyId?: string; region?: string; pathStyle?: boolean } = {}) =>
  new S3Client({ endpoint: s3.url, region: o.region ?? s3.region, forcePathStyle: o.pathStyle ?? true, maxAttempts: 1, credentials: { accessKeyId: o.keyId ?? "AKIAWRITER", secretAccessKey: o.secret ?? "writer-secret" } });
const sha256b64 = (b: Buffer) => createHash("sha256").update(b).digest("base64");

describe("the S3 stand-in", () => {
  it("stores a streamed body sent aws-chunked with its checksum in a trailer, byte for byte", async () => {
    const body = Buffer.from("hello, bucket");
    await client().send(new PutObjectCommand({ Bucket: bucket, Key: "a/streamed", Body: Readable.from([body.subarray(0, 5), body.subarray(5)]), ContentLength: body.length, ChecksumAlgorithm: "SHA256" }));
    expect(s3.objectBytes(bucket, "a/streamed")?.equals(body)).toBe(true);
    const put = s3.requests().findLast((r) => r.op === "PutObject")!;
    expect(put).toMatchObject({ payload: "STREAMING-UNSIGNED-PAYLOAD-TRAILER", checksum: "sha256", status: 200 });
    const head = await client().send(new HeadObjectCommand({ Bucket: bucket, Key: "a/streamed", ChecksumMode: "ENABLED" }));
    expect(head).toMatchObject({ ContentLength: body.length, ChecksumSHA256: sha256b64(body), ChecksumType: "FULL_OBJECT" });
    const got = await client().send(new GetObjectCommand({ Bucket: bucket, Key: "a/streamed" }));
    expect(await got.Body!.transformToString()).toBe("hello, bucket");
  });

  it("refuses a wrong secret, an unknown key, a wrong region, a bad checksum and a read-only key's writes", async () => {
    const put = (c: S3Client, extra: Record<string, unknown> = {}) => c.send(new PutObjectCommand({ Bucket: bucket, Key: "a/refused", Body: "x", ...extra }));
    await expect(put(client({ secret: "wrong" }))).rejects.toMatchObject({ name: "SignatureDoesNotMatch" });
    await expect(put(client({ keyId: "AKIANOBODY" }))).rejects.toMatchObject({ name: "InvalidAccessKeyId" });
    await expect(put(client({ region: "us-east-1" }))).rejects.toMatchObject({ name: "AuthorizationHeaderMalformed" });
    await expect(put(client(), { ChecksumSHA256: sha256b64(Buffer.from("y")) })).rejects.toMatchObject({ name: "BadDigest" });
    await expect(put(client({ keyId: "AKIAREADER", secret: "reader-secret" }))).rejects.toMatchObject({ name: "AccessDenied" });
    await expect(client().send(new PutObjectCommand({ Bucket: "no-such-bucket", Key: "k", Body: "x" }))).rejects.toMatchObject({ name: "NoSuchBucket" });
    expect(s3.keys(bucket)).not.toContain("a/refused");
  });

  it("keeps a multipart upload invisible until completed, refuses small parts but the last, and forgets an aborted one", async () => {
    const c = client();
    const key = "a/multi";
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: "SHA256" }));
    const parts = [Buffer.alloc(MIN_PART_SIZE - 1, 1), Buffer.alloc(10, 2)];
    const sent = [];
    for (const [i, p] of parts.entries()) {
      const r = await c.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body: p, ChecksumAlgorithm: "SHA256" }));
      sent.push({ PartNumber: i + 1, ETag: r.ETag!, ChecksumSHA256: r.ChecksumSHA256! });
    }
    expect((await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }))).Contents ?? []).toEqual([]);
    await expect(c.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).rejects.toMatchObject({ name: "NotFound" });
    await expect(c.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: sent } }))).rejects.toMatchObject({ name: "EntityTooSmall" });
    await expect(c.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: [...sent].reverse() } }))).rejects.toMatchObject({ name: "InvalidPartOrder" });
    await c.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }));
    expect(s3.uploads(bucket)).toEqual([]);
    await expect(c.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 3, Body: "late" }))).rejects.toMatchObject({ name: "NoSuchUpload" });
    expect(s3.keys(bucket)).not.toContain(key);
  });

  it("completes a multipart upload into one object with a composite SHA-256 checksum", async () => {
    const c = client();
    const key = "a/composite";
    const parts = [Buffer.alloc(MIN_PART_SIZE, 7), Buffer.from("tail")];
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: "SHA256" }));
    const sent = [];
    for (const [i, p] of parts.entries()) {
      const r = await c.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body: p, ChecksumAlgorithm: "SHA256" }));
      sent.push({ PartNumber: i + 1, ETag: r.ETag!, ChecksumSHA256: r.ChecksumSHA256! });
    }
    const done = await c.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: sent } }));
    const composite = `${createHash("sha256").update(Buffer.concat(parts.map((p) => createHash("sha256").update(p).digest()))).digest("base64")}-2`;
    expect(done.ChecksumSHA256).toBe(composite);
    expect(s3.objectBytes(bucket, key)?.equals(Buffer.concat(parts))).toBe(true);
  });

  it("answers virtual-hosted requests (bucket in the Host) as well as path-style ones", async () => {
    // Without path style the SDK puts the bucket in the host name; every name resolves to loopback here.
    const lookup = (_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => (opts.all ? cb(null, [{ address: "127.0.0.1", family: 4 }]) : cb(null, "127.0.0.1", 4));
    const c = new S3Client({
      endpoint: s3.url.replace("127.0.0.1", "s3.test"),
      region: s3.region,
      forcePathStyle: false,
      maxAttempts: 1,
      credentials: { accessKeyId: "AKIAWRITER", secretAccessKey: "writer-secret" },
      requestHandler: { httpAgent: new http.Agent({ lookup } as http.AgentOptions) },
    });
    await c.send(new PutObjectCommand({ Bucket: bucket, Key: "a/hosted", Body: "v" }));
    expect(s3.requests().at(-1)).toMatchObject({ op: "PutObject", bucket, key: "a/hosted", style: "virtual-hosted", status: 200 });
    await client().send(new HeadObjectCommand({ Bucket: bucket, Key: "a/hosted" }));
    expect(s3.requests().at(-1)).toMatchObject({ op: "HeadObject", key: "a/hosted", style: "path", status: 200 });
  });
});

/**
 * Documents in S3-compatible object storage (DOCUMENTS_URL=s3://bucket/prefix): AWS S3, Cloudflare
 * R2, MinIO… through the AWS SDK v3, configured the standard AWS way (AWS_REGION, AWS_ENDPOINT_URL,
 * the default credential chain) plus AWS_S3_FORCE_PATH_STYLE for endpoints that want path-style URLs.
 *
 * The folder's promises, kept with what S3 documents:
 * - streamed: lib-storage cuts the body into parts (PART_SIZE) and uploads a few at a time; a body
 *   that fits in one part is one PutObject;
 * - nothing partial visible: a multipart upload is invisible until CompleteMultipartUpload, and a
 *   body whose size is not the announced one fails *before* its last part is sent, so it is never
 *   completed; a failed upload is aborted (lib-storage), and one a crashed worker left behind is
 *   aborted by the next store of the same document once nobody has written to it for STALE_UPLOAD_MS
 *   (a bucket lifecycle rule, see docs, catches the rest);
 * - sha256 checked: every part (or the single PUT) carries its SHA-256 checksum, which S3 verifies;
 *   the checksum S3 reports for the whole object (the document's sha256, or for a multipart object
 *   the COMPOSITE sha256 of the parts' sha256s) must equal the one computed here from the same stream;
 * - checked again without BDNS: HEAD says the size and the object's checksum (a single-part object's
 *   checksum is its sha256); a multipart object is read back and hashed, as the folder does.
 */
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { createHash, randomBytes, type Hash } from "node:crypto";
import { pipeline as pipe, Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { recordDocumentStored } from "../../metrics/index.js";
import { beforeReading, documentName, documentNameIn, SizeMismatchError, type DocumentStore, type StoredDocument } from "./document-store.js";

/**
 * Parts of 5 MiB (S3's minimum), one in flight: the least memory a multipart upload can hold. Two in
 * flight cost +66 MiB of peak RSS for a 200 MB document (lib-storage concatenates each part, and the
 * copies wait for V8's next collection) against +41 MiB with one, at the same speed on loopback; the
 * promise is < 64 MiB. Most documents are one part anyway (a single PUT).
 */
export const PART_SIZE = 5 * 1024 * 1024;
const QUEUE_SIZE = 1;
/** An upload nobody has added a part to for this long belongs to a worker that died (as the folder's temp files). */
export const STALE_UPLOAD_MS = 10 * 60_000;

export interface S3Location {
  bucket: string;
  /** Without leading or trailing slash; "" for the bucket's root. */
  prefix: string;
}

/** A checksum S3 reported for the stored object is not the one of the bytes sent: the object is removed. */
export class ChecksumMismatchError extends Error {
  override readonly name = "ChecksumMismatchError";
}

export interface S3StoreOptions {
  partSize?: number;
  queueSize?: number;
}

/** The client from the standard AWS environment; path-style addressing when asked (MinIO and the like). */
export function s3Client(o: { pathStyle: boolean }, extra: S3ClientConfig = {}): S3Client {
  return new S3Client({ forcePathStyle: o.pathStyle, ...extra });
}

const isNotFound = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === "NotFound" || e?.name === "NoSuchKey" || e?.$metadata?.httpStatusCode === 404;
};

export class S3DocumentStore implements DocumentStore {
  readonly location: string;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(
    readonly where: S3Location,
    readonly client: S3Client,
    o: S3StoreOptions = {},
  ) {
    this.location = `s3://${where.bucket}${where.prefix ? `/${where.prefix}` : ""}`;
    this.partSize = o.partSize ?? PART_SIZE;
    this.queueSize = o.queueSize ?? QUEUE_SIZE;
  }

  relativePath(bdns: string, documentId: string, originalName: string | null): string {
    return documentName(bdns, documentId, originalName);
  }

  relativePathIn(folders: readonly string[], documentId: string, originalName: string | null): string {
    return documentNameIn(folders, documentId, originalName);
  }

  /** The object key of a document name, under the prefix. */
  key(name: string): string {
    if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(name) || name.split("/").some((s) => /^\.+$/.test(s))) throw new Error(`invalid document name for an object key: ${JSON.stringify(name)}`);
    return this.where.prefix ? `${this.where.prefix}/${name}` : name;
  }

  /** The key a recorded `s3://bucket/key` points at, if it is in this bucket under this prefix. */
  private keyOf(storedPath: string): string | undefined {
    const head = `s3://${this.where.bucket}/`;
    if (!storedPath.startsWith(head)) return undefined;
    const key = storedPath.slice(head.length);
    return !this.where.prefix || key.startsWith(`${this.where.prefix}/`) ? key : undefined;
  }

  async store(name: string, body: Readable, expectedSize: number | null | undefined): Promise<StoredDocument> {
    const key = this.key(name);
    await beforeReading(body, () => this.abortStaleUploads(key));
    const meter = new Meter(this.partSize, expectedSize ?? undefined);
    const metered = pipe(body, meter, () => {}); // an error on either side destroys `meter`, which fails the upload
    const upload = new Upload({ client: this.client, params: { Bucket: this.where.bucket, Key: key, Body: metered, ChecksumAlgorithm: "SHA256" }, partSize: this.partSize, queueSize: this.queueSize, leavePartsOnError: false });
    let result: { ChecksumSHA256?: string | undefined };
    try {
      result = await upload.done();
    } catch (err) {
      body.destroy(); // stop reading BDNS: the upload is gone (and aborted, if it was multipart)
      throw meter.failure ?? err;
    }
    const sha256 = meter.sha256();
    const expected = meter.s3Checksum();
    // A service that reports no checksum (some S3-compatibles) verified each part's; nothing more to compare.
    if (result.ChecksumSHA256 !== undefined && !sameChecksum(result.ChecksumSHA256, expected)) {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.where.bucket, Key: key }));
      throw new ChecksumMismatchError(`s3://${this.where.bucket}/${key}: the bucket reports checksum ${result.ChecksumSHA256}, the bytes sent have ${expected}; the object was removed`);
    }
    recordDocumentStored(meter.bytes); // metrics
    return { path: `s3://${this.where.bucket}/${key}`, sha256, size: meter.bytes };
  }

  async inspect(storedPath: string): Promise<{ sha256: string; size: number } | undefined> {
    const key = this.keyOf(storedPath);
    if (key === undefined) return undefined;
    let head;
    try {
      head = await this.client.send(new HeadObjectCommand({ Bucket: this.where.bucket, Key: key, ChecksumMode: "ENABLED" }));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const size = head.ContentLength ?? 0;
    // One part: S3's checksum is the object's sha256, verified when it was written.
    if (head.ChecksumSHA256 && !head.ChecksumSHA256.includes("-") && head.ChecksumType !== "COMPOSITE") {
      return { sha256: Buffer.from(head.ChecksumSHA256, "base64").toString("hex"), size };
    }
    // Several parts (or no checksum): read it back, as the folder does with a file.
    try {
      const got = await this.client.send(new GetObjectCommand({ Bucket: this.where.bucket, Key: key, IfMatch: head.ETag }));
      const hash = createHash("sha256");
      let read = 0;
      await pipeline(got.Body as Readable, new Transform({ transform: (c: Buffer, _e, done) => ((read += c.length), hash.update(c), done()) }));
      return { sha256: hash.digest("hex"), size: read };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async stat(storedPath: string): Promise<{ size: number; modifiedAt: Date } | undefined> {
    const key = this.keyOf(storedPath);
    if (key === undefined) return undefined;
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.where.bucket, Key: key }));
      return { size: head.ContentLength ?? 0, modifiedAt: head.LastModified ?? new Date(0) };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * A worker killed mid-upload leaves an incomplete multipart upload: invisible, but billed. Its retry
   * starts a new one. Abort this key's uploads that nobody has added a part to for STALE_UPLOAD_MS (a
   * live upload adds one every few seconds), as the folder sweeps its stale temporary files.
   */
  private async abortStaleUploads(key: string): Promise<void> {
    const cutoff = Date.now() - STALE_UPLOAD_MS;
    const listed = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.where.bucket, Prefix: key }));
    for (const up of listed.Uploads ?? []) {
      if (up.Key !== key || !up.UploadId || (up.Initiated && up.Initiated.getTime() >= cutoff)) continue;
      try {
        const parts = await this.client.send(new ListPartsCommand({ Bucket: this.where.bucket, Key: key, UploadId: up.UploadId }));
        const last = Math.max(up.Initiated?.getTime() ?? 0, ...(parts.Parts ?? []).map((p) => p.LastModified?.getTime() ?? 0));
        if (last >= cutoff) continue;
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.where.bucket, Key: key, UploadId: up.UploadId }));
      } catch (err) {
        if ((err as { name?: string }).name !== "NoSuchUpload") throw err; // another worker swept it first
      }
    }
  }

  /** doctor: write and delete a small object under the prefix. */
  async probe(signal?: AbortSignal): Promise<void> {
    const key = this.key(`.ayida-doctor-${process.pid}-${randomBytes(4).toString("hex")}`);
    await this.client.send(new PutObjectCommand({ Bucket: this.where.bucket, Key: key, Body: "ayida-jobs doctor probe\n", ChecksumAlgorithm: "SHA256" }), { abortSignal: signal });
    await this.client.send(new DeleteObjectCommand({ Bucket: this.where.bucket, Key: key }), { abortSignal: signal });
  }
}

/** `abc=` vs `abc=-3`: the same checksum, and the same number of parts when both say it. */
function sameChecksum(reported: string, ours: string): boolean {
  const [rv, rn] = reported.split("-");
  const [ov, on] = ours.split("-");
  return rv === ov && (rn === undefined || rn === (on ?? "1"));
}

/**
 * Passes the body on while hashing it whole (the document's sha256) and part by part (the parts
 * lib-storage cuts: PART_SIZE bytes each but the last), counting its size. A body longer than
 * announced fails at the first byte too many; a shorter one fails at its end — before the
 * uploader has seen the end, so the last part is never sent and the upload never completed.
 */
class Meter extends Transform {
  // Not `size` or `length`: lib-storage takes a body's `size`/`length` property for its byte count.
  bytes = 0;
  failure: Error | undefined;
  private readonly whole = createHash("sha256");
  private part: Hash = createHash("sha256");
  private inPart = 0;
  private readonly partDigests: Buffer[] = [];

  constructor(
    private readonly partSize: number,
    private readonly expected: number | undefined,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    if (this.expected !== undefined && this.bytes + chunk.length > this.expected) {
      return done((this.failure = new SizeMismatchError(this.expected, this.bytes + chunk.length, true)));
    }
    this.bytes += chunk.length;
    this.whole.update(chunk);
    for (let at = 0; at < chunk.length; ) {
      const take = Math.min(this.partSize - this.inPart, chunk.length - at);
      this.part.update(chunk.subarray(at, at + take));
      this.inPart += take;
      at += take;
      if (this.inPart === this.partSize) this.endPart();
    }
    done(null, chunk);
  }

  override _flush(done: (err?: Error | null) => void): void {
    if (this.expected !== undefined && this.bytes !== this.expected) return done((this.failure = new SizeMismatchError(this.expected, this.bytes)));
    if (this.inPart > 0) this.endPart();
    done();
  }

  private endPart(): void {
    this.partDigests.push(this.part.digest());
    this.part = createHash("sha256");
    this.inPart = 0;
  }

  private wholeDigest: Buffer | undefined;
  private digest(): Buffer {
    return (this.wholeDigest ??= this.whole.digest());
  }

  sha256(): string {
    return this.digest().toString("hex");
  }

  /** What S3 reports for the object: its sha256 for one part (or none), the COMPOSITE checksum for several. */
  s3Checksum(): string {
    if (this.partDigests.length <= 1) return this.digest().toString("base64");
    return `${createHash("sha256").update(Buffer.concat(this.partDigests)).digest("base64")}-${this.partDigests.length}`;
  }
}

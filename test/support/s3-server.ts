/**
 * A loopback S3: a stand-in for AWS S3 / R2 / MinIO in tests and benchmarks, because no S3 service is
 * reachable from here and s3rver (the npm one) cannot stand in: it has no AbortMultipartUpload and no
 * ListMultipartUploads, and stores the SDK's `aws-chunked` bodies with their framing in them.
 *
 * It speaks the REST subset the document store uses, the way AWS documents it: SigV4 on every request
 * (a wrong secret or region is refused), path-style and virtual-hosted addressing, PutObject /
 * GetObject / HeadObject / DeleteObject, ListObjectsV2, multipart (create, upload part, complete,
 * abort, list uploads, list parts) with S3's rules (parts under 5 MiB but the last refused at
 * completion, parts listed in order with their ETags and checksums, an upload invisible until it is
 * completed and gone once aborted), SHA-256 and CRC32 checksums checked (BadDigest), COMPOSITE
 * checksums of multipart objects. It records every request, and misbehaves on demand (`fault`).
 * Objects live in files under `dir`, so a 200 MB object does not sit in memory.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { crc32 } from "node:zlib";
import { AwsChunkedDecoder, verifySigV4, type Credentials } from "./s3-wire.js";

export const MIN_PART_SIZE = 5 * 1024 * 1024;

export type S3Op =
  | "PutObject"
  | "GetObject"
  | "HeadObject"
  | "DeleteObject"
  | "CreateMultipartUpload"
  | "UploadPart"
  | "CompleteMultipartUpload"
  | "AbortMultipartUpload"
  | "ListParts"
  | "ListObjectsV2"
  | "ListMultipartUploads"
  | "Unsupported";

export interface S3Request {
  op: S3Op;
  method: string;
  bucket: string;
  key: string;
  /** How the bucket was addressed. */
  style: "path" | "virtual-hosted";
  partNumber?: number;
  uploadId?: string;
  status: number;
  /** S3's error code, when the answer was an error. */
  code?: string;
  /** x-amz-content-sha256 as sent (a hash, UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER …). */
  payload?: string;
  /** The checksum algorithm the request carried (header or trailer), e.g. "sha256". */
  checksum?: string;
  /** Decoded body bytes received. */
  bytes: number;
  at: number;
}

/**
 * What to answer instead of the real thing: an S3 error, a cut connection, an error inside a 200
 * (CompleteMultipartUpload does that), or — CompleteMultipartUpload only — an object stored with a
 * checksum that is not the one of the parts sent (what a store must never trust blindly).
 */
export type S3Fault = { status: number; code: string; message?: string } | "reset" | "error-in-200" | "wrong-checksum";

export interface FaultMatch {
  op: S3Op;
  key?: string | RegExp;
  partNumber?: number;
}

interface StoredObject {
  key: string;
  file: string;
  size: number;
  etag: string;
  lastModified: Date;
  contentType: string;
  metadata: Record<string, string>;
  checksum?: { algorithm: "sha256" | "crc32"; value: string; type: "FULL_OBJECT" | "COMPOSITE" };
}

interface Part {
  file: string;
  size: number;
  etag: string;
  md5: Buffer;
  sha256: Buffer;
  checksum?: string;
  lastModified: Date;
}

interface Upload {
  id: string;
  bucket: string;
  key: string;
  initiated: Date;
  contentType: string;
  metadata: Record<string, string>;
  algorithm?: "sha256" | "crc32";
  parts: Map<number, Part>;
}

export interface FakeS3Options {
  buckets?: string[];
  region?: string;
  /** Keys that may sign requests (default: one, `credentials` of the returned server). */
  credentials?: Credentials[];
  /** Access key ids that may read but whose writes are refused (AccessDenied), like a read-only IAM policy. */
  readOnly?: string[];
  dir?: string;
  /** The server's clock, for the 15-minute request time check. */
  now?: () => number;
}

export interface FakeS3 {
  url: string;
  region: string;
  credentials: Credentials;
  buckets: string[];
  requests(): S3Request[];
  /** Keys of the objects in a bucket, sorted. */
  keys(bucket: string): string[];
  objectBytes(bucket: string, key: string): Buffer | undefined;
  object(bucket: string, key: string): Omit<StoredObject, "file"> | undefined;
  /** Multipart uploads started and neither completed nor aborted. */
  uploads(bucket: string): Array<{ key: string; uploadId: string; initiated: Date; parts: number }>;
  /** Writes an object behind the client's back (another deployment, an operator, a corruption). */
  putBehindTheBack(bucket: string, key: string, bytes: Buffer): void;
  /** Makes an in-progress upload look started `startedMinutesAgo`, its parts written `partsMinutesAgo` (default: as long). */
  ageUpload(uploadId: string, startedMinutesAgo: number, partsMinutesAgo?: number): void;
  /** The next requests matching `match` get these answers, one each, in order. */
  fault(match: FaultMatch, ...answers: S3Fault[]): void;
  close(): Promise<void>;
}

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]!);
const b64 = (b: Buffer) => b.toString("base64");
const crc32b64 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b64(b);
};

class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MESSAGES: Record<string, [number, string]> = {
  NoSuchBucket: [404, "The specified bucket does not exist"],
  NoSuchKey: [404, "The specified key does not exist."],
  NoSuchUpload: [404, "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed."],
  EntityTooSmall: [400, "Your proposed upload is smaller than the minimum allowed object size."],
  InvalidPart: [400, "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified ETag might not have matched the uploaded part's ETag."],
  InvalidPartOrder: [400, "The list of parts was not in ascending order. The parts list must be specified in order by part number."],
  MalformedXML: [400, "The XML you provided was not well formed or did not validate against our published schema."],
  BadDigest: [400, "The Content-MD5 or checksum value that you specified did not match what the server received."],
  AccessDenied: [403, "Access Denied"],
  NotImplemented: [501, "A header or query you provided implies functionality that is not implemented."],
};
const s3Error = (code: keyof typeof MESSAGES, message?: string) => new S3Error(MESSAGES[code]![0], code, message ?? MESSAGES[code]![1]);

function opOf(method: string, key: string, q: URLSearchParams): S3Op {
  if (!key) {
    if (method === "GET" && q.get("list-type") === "2") return "ListObjectsV2";
    if (method === "GET" && q.has("uploads")) return "ListMultipartUploads";
    return "Unsupported";
  }
  if (q.has("uploads")) return method === "POST" ? "CreateMultipartUpload" : "Unsupported";
  if (q.has("uploadId")) {
    if (method === "PUT" && q.has("partNumber")) return "UploadPart";
    if (method === "POST") return "CompleteMultipartUpload";
    if (method === "DELETE") return "AbortMultipartUpload";
    if (method === "GET") return "ListParts";
    return "Unsupported";
  }
  const plain = [...q.keys()].every((k) => k === "x-id"); // the SDK adds ?x-id=GetObject and the like
  if (!plain) return "Unsupported";
  return ({ PUT: "PutObject", GET: "GetObject", HEAD: "HeadObject", DELETE: "DeleteObject" } as Record<string, S3Op>)[method] ?? "Unsupported";
}

export async function startFakeS3(o: FakeS3Options = {}): Promise<FakeS3> {
  const region = o.region ?? "eu-south-2";
  const credentials = o.credentials ?? [{ accessKeyId: "AKIASTANDIN000000001", secretAccessKey: "stand-in-secret/" + randomBytes(12).toString("base64url") }];
  const buckets = o.buckets ?? ["ayida-documents"];
  const ownDir = !o.dir;
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), "ayida-s3-"));
  const now = o.now ?? Date.now;
  const objects = new Map<string, Map<string, StoredObject>>(buckets.map((b) => [b, new Map()]));
  const uploads = new Map<string, Upload>();
  const log: S3Request[] = [];
  const faults: Array<{ match: FaultMatch; answers: S3Fault[] }> = [];
  mkdirSync(join(dir, "objects"), { recursive: true });
  mkdirSync(join(dir, "parts"), { recursive: true });

  const takeFault = (op: S3Op, key: string, partNumber: number | undefined): S3Fault | undefined => {
    for (const f of faults) {
      const m = f.match;
      if (m.op !== op || f.answers.length === 0) continue;
      if (m.partNumber !== undefined && m.partNumber !== partNumber) continue;
      if (m.key !== undefined && !(typeof m.key === "string" ? m.key === key : m.key.test(key))) continue;
      return f.answers.shift();
    }
    return undefined;
  };

  /**
   * Reads the body as x-amz-content-sha256 announces it into `file`, checking the payload hash and any
   * checksum (header or trailer). Returns its size, MD5, SHA-256 and the checksum it carried.
   */
  async function receiveBody(req: http.IncomingMessage, file: string, entry: S3Request): Promise<{ size: number; md5: Buffer; sha256: Buffer; crc: number; checksum?: { algorithm: "sha256" | "crc32"; value: string } }> {
    const payload = String(req.headers["x-amz-content-sha256"]);
    const md5 = createHash("md5");
    const sha = createHash("sha256");
    let crc = 0;
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _e, done) {
        md5.update(chunk);
        sha.update(chunk);
        crc = crc32(chunk, crc);
        size += chunk.length;
        done(null, chunk);
      },
    });
    const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream> = [req];
    let decoder: AwsChunkedDecoder | undefined;
    if (payload.startsWith("STREAMING-")) {
      if (payload !== "STREAMING-UNSIGNED-PAYLOAD-TRAILER") throw s3Error("NotImplemented", `the stand-in does not verify ${payload}`);
      if (!String(req.headers["content-encoding"] ?? "").includes("aws-chunked")) throw new S3Error(400, "InvalidRequest", "STREAMING payloads must be sent with Content-Encoding: aws-chunked");
      decoder = new AwsChunkedDecoder();
      stages.push(decoder);
    } else if (payload !== "UNSIGNED-PAYLOAD" && !/^[0-9a-f]{64}$/.test(payload)) {
      throw new S3Error(400, "InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, or a valid sha256 value.");
    }
    try {
      await pipeline(...(stages as [Readable]), meter, createWriteStream(file));
    } catch (err) {
      await rm(file, { force: true });
      throw err instanceof S3Error ? err : new S3Error(400, "IncompleteBody", (err as Error).message);
    }
    entry.bytes = size;
    const digest = sha.digest();
    const fail = async (e: S3Error) => {
      await rm(file, { force: true });
      return e;
    };
    if (/^[0-9a-f]{64}$/.test(payload) && digest.toString("hex") !== payload) throw await fail(new S3Error(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed."));
    const decoded = req.headers["x-amz-decoded-content-length"];
    if (decoder && decoded !== undefined && Number(decoded) !== size) throw await fail(new S3Error(400, "IncompleteBody", "You did not provide the number of bytes specified by the x-amz-decoded-content-length HTTP header"));
    const sent = { ...Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])), ...(decoder?.trailers ?? {}) };
    let checksum: { algorithm: "sha256" | "crc32"; value: string } | undefined;
    for (const name of Object.keys(sent)) {
      const alg = /^x-amz-checksum-(.+)$/.exec(name)?.[1];
      if (!alg || alg === "mode" || alg === "algorithm" || alg === "type") continue;
      if (alg !== "sha256" && alg !== "crc32") throw await fail(s3Error("NotImplemented", `the stand-in does not compute ${alg} checksums`));
      const actual = alg === "sha256" ? b64(digest) : crc32b64(crc);
      if (sent[name] !== actual) throw await fail(s3Error("BadDigest", `The ${alg.toUpperCase()} you specified did not match the calculated checksum.`));
      checksum = { algorithm: alg, value: actual };
      entry.checksum = alg;
    }
    return { size, md5: md5.digest(), sha256: digest, crc, ...(checksum && { checksum }) };
  }

  const metadataOf = (req: http.IncomingMessage) =>
    Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith("x-amz-meta-")).map(([k, v]) => [k.slice("x-amz-meta-".length), String(v)]));

  function objectHeaders(obj: StoredObject, req: http.IncomingMessage): Record<string, string> {
    const h: Record<string, string> = {
      "content-length": String(obj.size),
      "content-type": obj.contentType,
      etag: obj.etag,
      "last-modified": obj.lastModified.toUTCString(),
      "accept-ranges": "bytes",
      ...Object.fromEntries(Object.entries(obj.metadata).map(([k, v]) => [`x-amz-meta-${k}`, v])),
    };
    // Checksums are returned only when asked for (x-amz-checksum-mode: ENABLED), as S3 does.
    if (obj.checksum && String(req.headers["x-amz-checksum-mode"] ?? "").toUpperCase() === "ENABLED") {
      h[`x-amz-checksum-${obj.checksum.algorithm}`] = obj.checksum.value;
      h["x-amz-checksum-type"] = obj.checksum.type;
    }
    return h;
  }

  const send = (res: http.ServerResponse, status: number, headers: Record<string, string>, body?: string) => {
    res.writeHead(status, { "x-amz-request-id": randomBytes(8).toString("hex").toUpperCase(), ...(body !== undefined && { "content-type": "application/xml" }), ...headers });
    res.end(body);
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, entry: S3Request, accessKeyId: string): Promise<void> {
    const bucketObjects = objects.get(entry.bucket);
    if (!bucketObjects) throw s3Error("NoSuchBucket");
    const q = new URL(req.url!, "http://x").searchParams;
    const key = entry.key;
    const writes = ["PutObject", "DeleteObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "AbortMultipartUpload"];
    if (writes.includes(entry.op) && o.readOnly?.includes(accessKeyId)) throw s3Error("AccessDenied");
    switch (entry.op) {
      case "PutObject": {
        const file = join(dir, "objects", randomBytes(12).toString("hex"));
        const body = await receiveBody(req, file, entry);
        const etag = `"${body.md5.toString("hex")}"`;
        const previous = bucketObjects.get(key);
        bucketObjects.set(key, { key, file, size: body.size, etag, lastModified: new Date(now()), contentType: String(req.headers["content-type"] ?? "binary/octet-stream"), metadata: metadataOf(req), ...(body.checksum && { checksum: { ...body.checksum, type: "FULL_OBJECT" as const } }) });
        if (previous) await rm(previous.file, { force: true });
        return send(res, 200, { etag, ...(body.checksum && { [`x-amz-checksum-${body.checksum.algorithm}`]: body.checksum.value, "x-amz-checksum-type": "FULL_OBJECT" }) });
      }
      case "GetObject":
      case "HeadObject": {
        const obj = bucketObjects.get(key);
        if (!obj) throw s3Error("NoSuchKey");
        if (entry.op === "HeadObject") return send(res, 200, objectHeaders(obj, req));
        res.writeHead(200, objectHeaders(obj, req));
        await pipeline(createReadStream(obj.file), res);
        return;
      }
      case "DeleteObject": {
        const obj = bucketObjects.get(key);
        bucketObjects.delete(key);
        if (obj) await rm(obj.file, { force: true });
        return send(res, 204, {});
      }
      case "CreateMultipartUpload": {
        const alg = req.headers["x-amz-checksum-algorithm"]?.toString().toLowerCase();
        if (alg && alg !== "sha256" && alg !== "crc32") throw s3Error("NotImplemented", `the stand-in does not compute ${alg} checksums`);
        const id = randomBytes(24).toString("base64url");
        uploads.set(id, { id, bucket: entry.bucket, key, initiated: new Date(now()), contentType: String(req.headers["content-type"] ?? "binary/octet-stream"), metadata: metadataOf(req), ...(alg && { algorithm: alg as "sha256" | "crc32" }), parts: new Map() });
        mkdirSync(join(dir, "parts", id));
        return send(res, 200, alg ? { "x-amz-checksum-algorithm": alg.toUpperCase() } : {}, `<?xml version="1.0" encoding="UTF-8"?>\n<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xmlEscape(entry.bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`);
      }
      case "UploadPart": {
        const up = uploads.get(q.get("uploadId")!);
        if (!up || up.key !== key || up.bucket !== entry.bucket) throw s3Error("NoSuchUpload");
        const n = Number(q.get("partNumber"));
        if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new S3Error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive");
        const file = join(dir, "parts", up.id, `${n}-${randomBytes(4).toString("hex")}`);
        const body = await receiveBody(req, file, entry);
        if (up.algorithm && body.checksum?.algorithm !== up.algorithm) {
          await rm(file, { force: true });
          throw new S3Error(400, "InvalidRequest", `The upload was created using a ${up.algorithm} checksum. The part request must include a ${up.algorithm} checksum header.`);
        }
        if (!uploads.has(up.id)) throw s3Error("NoSuchUpload"); // aborted while the part was arriving
        const old = up.parts.get(n);
        const etag = `"${body.md5.toString("hex")}"`;
        up.parts.set(n, { file, size: body.size, etag, md5: body.md5, sha256: body.sha256, ...(body.checksum && { checksum: body.checksum.value }), lastModified: new Date(now()) });
        if (old) await rm(old.file, { force: true });
        return send(res, 200, { etag, ...(body.checksum && { [`x-amz-checksum-${body.checksum.algorithm}`]: body.checksum.value }) });
      }
      case "CompleteMultipartUpload": {
        const up = uploads.get(q.get("uploadId")!);
        if (!up || up.key !== key || up.bucket !== entry.bucket) throw s3Error("NoSuchUpload");
        const xml = await new Promise<string>((resolve, reject) => {
          const chunks: Buffer[] = [];
          req.on("data", (c: Buffer) => chunks.push(c)).on("end", () => resolve(Buffer.concat(chunks).toString("utf8"))).on("error", reject);
        });
        const listed = [...xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
          n: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(m[1]!)?.[1]),
          etag: (/<ETag>([^<]*)<\/ETag>/.exec(m[1]!)?.[1] ?? "").replace(/&quot;/g, '"'),
          sha256: /<ChecksumSHA256>([^<]*)<\/ChecksumSHA256>/.exec(m[1]!)?.[1],
          crc32: /<ChecksumCRC32>([^<]*)<\/ChecksumCRC32>/.exec(m[1]!)?.[1],
        }));
        if (listed.length === 0 || listed.some((p) => !Number.isInteger(p.n))) throw s3Error("MalformedXML");
        for (let i = 1; i < listed.length; i++) if (listed[i]!.n <= listed[i - 1]!.n) throw s3Error("InvalidPartOrder");
        const parts = listed.map((p) => {
          const stored = up.parts.get(p.n);
          const unquote = (s: string) => s.replace(/^"|"$/g, "");
          if (!stored || unquote(stored.etag) !== unquote(p.etag)) throw s3Error("InvalidPart");
          const given = up.algorithm === "sha256" ? p.sha256 : up.algorithm === "crc32" ? p.crc32 : undefined;
          if (up.algorithm && given !== stored.checksum) throw s3Error("InvalidPart", `The ${up.algorithm} checksum of part ${p.n} is missing or does not match the uploaded part's.`);
          return stored;
        });
        parts.forEach((p, i) => {
          if (i < parts.length - 1 && p.size < MIN_PART_SIZE) throw s3Error("EntityTooSmall");
        });
        const fault = takeFault("CompleteMultipartUpload", key, undefined);
        if (fault === "error-in-200") {
          // S3 may answer 200 and then report an error in the body (the SDK must read it as a failure).
          return send(res, 200, {}, `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>`);
        }
        const file = join(dir, "objects", randomBytes(12).toString("hex"));
        const out = createWriteStream(file);
        for (const p of parts) await pipeline(createReadStream(p.file), out, { end: false });
        await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
        const etag = `"${createHash("md5").update(Buffer.concat(parts.map((p) => p.md5))).digest("hex")}-${parts.length}"`;
        const composite = createHash("sha256").update(Buffer.concat(parts.map((p) => Buffer.from(p.checksum!, "base64"))));
        if (fault === "wrong-checksum") composite.update("!");
        const checksum = up.algorithm === "sha256" ? { algorithm: "sha256" as const, value: `${b64(composite.digest())}-${parts.length}`, type: "COMPOSITE" as const } : undefined;
        const previous = bucketObjects.get(key);
        bucketObjects.set(key, { key, file, size: parts.reduce((s, p) => s + p.size, 0), etag, lastModified: up.initiated, contentType: up.contentType, metadata: up.metadata, ...(checksum && { checksum }) });
        uploads.delete(up.id);
        rmSync(join(dir, "parts", up.id), { recursive: true, force: true });
        if (previous) await rm(previous.file, { force: true });
        return send(
          res,
          200,
          {},
          `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>http://${xmlEscape(String(req.headers.host))}/${xmlEscape(entry.bucket)}/${xmlEscape(key)}</Location><Bucket>${xmlEscape(entry.bucket)}</Bucket><Key>${xmlEscape(key)}</Key><ETag>${xmlEscape(etag)}</ETag>${checksum ? `<ChecksumSHA256>${checksum.value}</ChecksumSHA256><ChecksumType>COMPOSITE</ChecksumType>` : ""}</CompleteMultipartUploadResult>`,
        );
      }
      case "AbortMultipartUpload": {
        const up = uploads.get(q.get("uploadId")!);
        if (!up || up.key !== key || up.bucket !== entry.bucket) throw s3Error("NoSuchUpload");
        uploads.delete(up.id);
        rmSync(join(dir, "parts", up.id), { recursive: true, force: true });
        return send(res, 204, {});
      }
      case "ListParts": {
        const up = uploads.get(q.get("uploadId")!);
        if (!up || up.key !== key || up.bucket !== entry.bucket) throw s3Error("NoSuchUpload");
        const parts = [...up.parts.entries()].sort(([a], [b]) => a - b);
        const body = parts.map(([n, p]) => `<Part><PartNumber>${n}</PartNumber><LastModified>${p.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(p.etag)}</ETag><Size>${p.size}</Size>${p.checksum && up.algorithm === "sha256" ? `<ChecksumSHA256>${p.checksum}</ChecksumSHA256>` : ""}</Part>`).join("");
        return send(res, 200, {}, `<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xmlEscape(entry.bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${up.id}</UploadId><IsTruncated>false</IsTruncated>${body}</ListPartsResult>`);
      }
      case "ListObjectsV2": {
        const prefix = q.get("prefix") ?? "";
        const max = Math.min(Number(q.get("max-keys") ?? 1000), 1000);
        const after = q.get("continuation-token") ? Buffer.from(q.get("continuation-token")!, "base64url").toString() : (q.get("start-after") ?? "");
        const all = [...bucketObjects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
        const page = all.slice(0, max);
        const truncated = all.length > page.length;
        const contents = page.map((k) => {
          const obj = bucketObjects.get(k)!;
          return `<Contents><Key>${xmlEscape(k)}</Key><LastModified>${obj.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(obj.etag)}</ETag><Size>${obj.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
        });
        return send(res, 200, {}, `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(entry.bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${truncated ? `<NextContinuationToken>${Buffer.from(page.at(-1)!).toString("base64url")}</NextContinuationToken>` : ""}${contents.join("")}</ListBucketResult>`);
      }
      case "ListMultipartUploads": {
        const prefix = q.get("prefix") ?? "";
        const list = [...uploads.values()].filter((u) => u.bucket === entry.bucket && u.key.startsWith(prefix)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.initiated.getTime() - b.initiated.getTime()));
        const body = list.map((u) => `<Upload><Key>${xmlEscape(u.key)}</Key><UploadId>${u.id}</UploadId><Initiated>${u.initiated.toISOString()}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`).join("");
        return send(res, 200, {}, `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xmlEscape(entry.bucket)}</Bucket><Prefix>${xmlEscape(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${body}</ListMultipartUploadsResult>`);
      }
      default:
        throw s3Error("NotImplemented");
    }
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, "http://x");
    const rawPath = req.url!.split("?")[0]!;
    const rawQuery = req.url!.includes("?") ? req.url!.slice(req.url!.indexOf("?") + 1) : "";
    const host = String(req.headers.host ?? "");
    const hosted = buckets.find((b) => host.startsWith(`${b}.`));
    const segments = rawPath.split("/").slice(1);
    const bucket = hosted ?? decodeURIComponent(segments[0] ?? "");
    const key = (hosted ? segments : segments.slice(1)).map(decodeURIComponent).join("/");
    const op = opOf(req.method!, key, url.searchParams);
    const entry: S3Request = { op, method: req.method!, bucket, key, style: hosted ? "virtual-hosted" : "path", status: 0, bytes: 0, at: Date.now() };
    const pn = url.searchParams.get("partNumber");
    if (pn) entry.partNumber = Number(pn);
    if (url.searchParams.get("uploadId")) entry.uploadId = url.searchParams.get("uploadId")!;
    if (req.headers["x-amz-content-sha256"]) entry.payload = String(req.headers["x-amz-content-sha256"]);
    log.push(entry);
    res.on("finish", () => (entry.status = res.statusCode));
    res.on("close", () => (entry.status ||= -1));

    const fail = (err: unknown) => {
      const e = err instanceof S3Error ? err : new S3Error(500, "InternalError", `We encountered an internal error. Please try again. (${(err as Error).message})`);
      entry.code = e.code;
      if (res.headersSent) return void res.destroy();
      req.resume(); // S3 answers an error without reading the rest of the body
      if (req.method === "HEAD") return send(res, e.status, {});
      send(res, e.status, {}, `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${e.code}</Code><Message>${xmlEscape(e.message)}</Message>${key ? `<Key>${xmlEscape(key)}</Key>` : ""}<BucketName>${xmlEscape(bucket)}</BucketName></Error>`);
    };

    const auth = verifySigV4({ method: req.method!, rawPath, rawQuery, headers: req.headers }, credentials, region, now());
    if (!auth.ok) return fail(new S3Error(auth.status, auth.code, auth.message));
    const fault = op === "CompleteMultipartUpload" ? undefined : takeFault(op, key, entry.partNumber);
    if (fault === "reset") {
      // Read a little of the body, then cut the connection: a network failure mid-request.
      req.once("data", () => req.socket.destroy());
      req.once("end", () => req.socket.destroy());
      return;
    }
    if (fault && typeof fault === "object") return fail(new S3Error(fault.status, fault.code, fault.message ?? fault.code));
    handle(req, res, entry, auth.accessKeyId).catch(fail);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;

  const bucketOf = (bucket: string) => {
    const b = objects.get(bucket);
    if (!b) throw new Error(`no bucket ${bucket}`);
    return b;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    region,
    credentials: credentials[0]!,
    buckets,
    requests: () => [...log],
    keys: (bucket) => [...bucketOf(bucket).keys()].sort(),
    objectBytes: (bucket, key) => {
      const obj = bucketOf(bucket).get(key);
      return obj && readFileSync(obj.file);
    },
    object: (bucket, key) => {
      const obj = bucketOf(bucket).get(key);
      if (!obj) return undefined;
      const { file: _file, ...rest } = obj;
      return rest;
    },
    uploads: (bucket) => [...uploads.values()].filter((u) => u.bucket === bucket).map((u) => ({ key: u.key, uploadId: u.id, initiated: u.initiated, parts: u.parts.size })),
    putBehindTheBack(bucket, key, bytes) {
      const file = join(dir, "objects", randomBytes(12).toString("hex"));
      writeFileSync(file, bytes);
      bucketOf(bucket).set(key, { key, file, size: bytes.length, etag: `"${createHash("md5").update(bytes).digest("hex")}"`, lastModified: new Date(now()), contentType: "binary/octet-stream", metadata: {} });
    },
    ageUpload(uploadId, startedMinutesAgo, partsMinutesAgo = startedMinutesAgo) {
      const up = uploads.get(uploadId);
      if (!up) throw new Error(`no upload ${uploadId}`);
      up.initiated = new Date(now() - startedMinutesAgo * 60_000);
      for (const p of up.parts.values()) p.lastModified = new Date(now() - partsMinutesAgo * 60_000);
    },
    fault: (match, ...answers) => void faults.push({ match, answers }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The parts of the S3 wire protocol the stand-in (s3-server.ts) checks the way AWS does: Signature
 * Version 4 of the Authorization header, and `aws-chunked` bodies (the SDK streams a body of unknown
 * length as chunks with its checksum in a trailer). Written from AWS's documentation:
 * "Authenticating Requests (AWS Signature Version 4)" and "Signature calculations for the
 * Authorization header: Transferring payload in multiple chunks (chunked upload)".
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export type AuthResult = { ok: true; accessKeyId: string } | { ok: false; status: number; code: string; message: string };

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters. */
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function canonicalQuery(rawQuery: string): string {
  if (!rawQuery) return "";
  return rawQuery
    .split("&")
    .filter(Boolean)
    .map((pair) => {
      const i = pair.indexOf("=");
      const [k, v] = i < 0 ? [pair, ""] : [pair.slice(0, i), pair.slice(i + 1)];
      return [rfc3986(decodeURIComponent(k)), rfc3986(decodeURIComponent(v))] as const;
    })
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();

/**
 * Checks `Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/s3/aws4_request,
 * SignedHeaders=…, Signature=…` against the known secrets, with S3's rules: the path is signed as sent
 * (S3 does not normalise or double-encode it), x-amz-content-sha256 is the payload hash and must be
 * signed, the scope's region must be the bucket's, and the request time within 15 minutes.
 */
export function verifySigV4(
  req: { method: string; rawPath: string; rawQuery: string; headers: Record<string, string | string[] | undefined> },
  known: readonly Credentials[],
  region: string,
  now = Date.now(),
): AuthResult {
  const auth = String(req.headers.authorization ?? "");
  if (!auth) return { ok: false, status: 403, code: "AccessDenied", message: "Access Denied" };
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return { ok: false, status: 400, code: "AuthorizationHeaderMalformed", message: "The authorization header is malformed" };
  const [, keyId, date, scopeRegion, signedHeaders, signature] = m as unknown as [string, string, string, string, string, string];
  const creds = known.find((c) => c.accessKeyId === keyId);
  if (!creds) return { ok: false, status: 403, code: "InvalidAccessKeyId", message: "The AWS Access Key Id you provided does not exist in our records." };
  if (scopeRegion !== region) return { ok: false, status: 400, code: "AuthorizationHeaderMalformed", message: `The authorization header is malformed; the region '${scopeRegion}' is wrong; expecting '${region}'` };
  const amzDate = String(req.headers["x-amz-date"] ?? "");
  const when = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!when || !amzDate.startsWith(date)) return { ok: false, status: 403, code: "AccessDenied", message: "AWS authentication requires a valid Date or x-amz-date header" };
  const t = Date.UTC(+when[1]!, +when[2]! - 1, +when[3]!, +when[4]!, +when[5]!, +when[6]!);
  if (Math.abs(now - t) > 15 * 60_000) return { ok: false, status: 403, code: "RequestTimeTooSkewed", message: "The difference between the request time and the current time is too large." };
  const payloadHash = req.headers["x-amz-content-sha256"];
  const names = signedHeaders.split(";");
  if (typeof payloadHash !== "string" || !names.includes("x-amz-content-sha256") || !names.includes("host")) {
    return { ok: false, status: 400, code: "InvalidRequest", message: "Missing required header for this request: x-amz-content-sha256" };
  }
  const headerLines = names.map((n) => {
    const v = req.headers[n];
    return `${n}:${(Array.isArray(v) ? v.join(",") : (v ?? "")).trim().replace(/\s+/g, " ")}\n`;
  });
  const canonical = [req.method, req.rawPath, canonicalQuery(req.rawQuery), headerLines.join(""), signedHeaders, payloadHash].join("\n");
  const scope = `${date}/${scopeRegion}/s3/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, createHash("sha256").update(canonical).digest("hex")].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, date), scopeRegion), "s3"), "aws4_request");
  const expected = hmac(key, toSign);
  if (!timingSafeEqual(expected, Buffer.from(signature, "hex"))) {
    return { ok: false, status: 403, code: "SignatureDoesNotMatch", message: "The request signature we calculated does not match the signature you provided. Check your key and signing method." };
  }
  return { ok: true, accessKeyId: keyId };
}

/**
 * Decodes an `aws-chunked` body: `<hex size>[;extensions]\r\n<bytes>\r\n` … `0\r\n<trailer lines>\r\n`.
 * The trailers (e.g. `x-amz-checksum-sha256:<base64>`) are in `trailers` once the stream has ended.
 * A malformed framing is an error, as it is for S3 (IncompleteBody / InvalidChunkSizeError).
 */
export class AwsChunkedDecoder extends Transform {
  readonly trailers: Record<string, string> = {};
  private pending: Buffer = Buffer.alloc(0);
  private remaining = -1; // bytes of the current chunk still to pass on; -1: reading a size line
  private state: "size" | "data" | "crlf" | "trailers" | "done" = "size";

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    try {
      this.parse();
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    done(this.state === "done" ? null : new Error("IncompleteBody: the aws-chunked body ended before its final chunk"));
  }

  private line(): string | undefined {
    const i = this.pending.indexOf("\r\n");
    if (i < 0) {
      if (this.pending.length > 4096) throw new Error("InvalidChunkSizeError: a chunk header line is too long");
      return undefined;
    }
    const text = this.pending.subarray(0, i).toString("latin1");
    this.pending = this.pending.subarray(i + 2);
    return text;
  }

  private parse(): void {
    for (;;) {
      if (this.state === "size") {
        const l = this.line();
        if (l === undefined) return;
        const size = /^([0-9a-fA-F]+)(;.*)?$/.exec(l);
        if (!size) throw new Error(`InvalidChunkSizeError: bad chunk header ${JSON.stringify(l.slice(0, 40))}`);
        this.remaining = parseInt(size[1]!, 16);
        this.state = this.remaining === 0 ? "trailers" : "data";
      } else if (this.state === "data") {
        if (this.pending.length === 0) return;
        const take = Math.min(this.remaining, this.pending.length);
        this.push(this.pending.subarray(0, take));
        this.pending = this.pending.subarray(take);
        this.remaining -= take;
        if (this.remaining === 0) this.state = "crlf";
      } else if (this.state === "crlf") {
        if (this.pending.length < 2) return;
        if (this.pending[0] !== 13 || this.pending[1] !== 10) throw new Error("IncompleteBody: a chunk is longer than its header says");
        this.pending = this.pending.subarray(2);
        this.state = "size";
      } else if (this.state === "trailers") {
        const l = this.line();
        if (l === undefined) return;
        if (l === "") {
          this.state = "done";
          continue;
        }
        const i = l.indexOf(":");
        if (i < 0) throw new Error(`MalformedTrailerError: ${JSON.stringify(l.slice(0, 40))}`);
        this.trailers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      } else {
        if (this.pending.length > 0) throw new Error("IncompleteBody: bytes after the final chunk");
        return;
      }
    }
  }
}

/**
 * doctor's documents check when DOCUMENTS_URL names a bucket: write a small probe object under the
 * prefix and delete it, through the same client the functions use (the standard AWS environment).
 * Says which bucket, endpoint, region and addressing it used; never a credential (the SDK's errors
 * carry none, and the access key id is not printed either).
 */
import type { DocumentsTarget } from "../config/env.js";
import type { CheckResult, DoctorContext } from "./types.js";

type Bucket = Extract<DocumentsTarget, { kind: "s3" }>;

/** The endpoint as configured (AWS_ENDPOINT_URL_S3 wins over AWS_ENDPOINT_URL, as in the SDK), without userinfo. */
function configuredEndpoint(source: NodeJS.ProcessEnv): string | undefined {
  const raw = source.AWS_ENDPOINT_URL_S3 || source.AWS_ENDPOINT_URL;
  if (!raw) return undefined;
  try {
    const u = new URL(raw);
    u.username = "";
    u.password = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "(not a URL)";
  }
}

export async function checkBucket(ctx: DoctorContext, target: Bucket, source: NodeJS.ProcessEnv = process.env): Promise<CheckResult> {
  const { S3DocumentStore, s3Client } = await import("../adapters/store/s3-documents.js");
  const client = s3Client({ pathStyle: target.pathStyle });
  const endpoint = configuredEndpoint(source);
  const details: Record<string, unknown> = { url: target.url, bucket: target.bucket, prefix: target.prefix, endpoint: endpoint ?? "AWS S3 (the region's endpoint)", addressing: target.pathStyle ? "path-style" : "virtual-hosted", ...(target.ignored && { ignored: target.ignored }) };
  let region: string;
  try {
    region = await client.config.region();
  } catch {
    return { status: "fail", message: `${target.url}: no region configured`, fix: "set AWS_REGION (the bucket's region; Cloudflare R2: auto; MinIO: its configured region, often us-east-1)", details };
  }
  details.region = region;
  const where = `${target.url} at ${details.endpoint}, region ${region}, ${details.addressing}`;
  const store = new S3DocumentStore({ bucket: target.bucket, prefix: target.prefix }, client);
  try {
    await store.probe(ctx.signal);
  } catch (err) {
    const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const name = e.name ?? "Error";
    details.error = name;
    const says = (message: string, fix: string): CheckResult => ({ status: "fail", message: `${where}: ${message}`, fix, details });
    if (name === "NoSuchBucket") return says("the bucket does not exist", "create the bucket, or fix the bucket name in DOCUMENTS_URL (and AWS_ENDPOINT_URL: the bucket may live at another service)");
    if (name === "AccessDenied" || e.$metadata?.httpStatusCode === 403 && name !== "InvalidAccessKeyId" && name !== "SignatureDoesNotMatch") return says(`writing a probe object was refused (${name})`, "grant the credentials s3:PutObject, s3:GetObject, s3:DeleteObject, s3:ListBucketMultipartUploads, s3:ListMultipartUploadParts and s3:AbortMultipartUpload on the bucket (or prefix)");
    if (name === "InvalidAccessKeyId" || name === "SignatureDoesNotMatch" || name === "InvalidToken" || name === "ExpiredToken") return says(`the service refused the credentials (${name})`, "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, the role): they must be keys of this service and account");
    if (name === "AuthorizationHeaderMalformed" || name === "PermanentRedirect" || name === "IllegalLocationConstraintException") return says(`wrong region for this bucket (${name}: ${e.message ?? ""})`, "set AWS_REGION to the bucket's region");
    if (name === "CredentialsProviderError") return says("no credentials found", "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with a role (the AWS SDK's default credential chain)");
    const net = e.code ?? (err as { cause?: { code?: string } }).cause?.code;
    if (net && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|CERT_|UNABLE_TO_VERIFY|DEPTH_ZERO)/.test(net)) return says(`cannot reach the endpoint (${net})`, "check AWS_ENDPOINT_URL (and AWS_S3_FORCE_PATH_STYLE=true for MinIO-like services), the network and any proxy");
    return says(`the probe object could not be written and deleted (${name}${e.message ? `: ${e.message}` : ""})`, "check DOCUMENTS_URL, AWS_ENDPOINT_URL, AWS_REGION and the credentials");
  }
  const written = `${where}: a probe object written and deleted`;
  if (target.ignored) return { status: "warn", message: `${written}; DOCUMENTS_DIR is set too and ignored`, fix: "unset DOCUMENTS_DIR (DOCUMENTS_URL wins): documents go to the bucket, not the folder", details };
  return { status: "ok", message: written, details };
}

/**
 * The convocatorias pipeline on the real engine with DOCUMENTS_URL=s3://…: `ayida-jobs sync` → Dev
 * Server → serve's functions → BDNS stand-in → SQLite + the S3 stand-in (test/support/s3-server.ts,
 * an S3 protocol server on loopback, spoken to through the AWS SDK exactly as a real bucket is).
 * DOCUMENTS_DIR stays set too, as a deployment moving to a bucket would have it: DOCUMENTS_URL wins.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentBytes, makeDataset } from "../support/bdns-server.js";
import { startFakeS3, type FakeS3 } from "../support/s3-server.js";
import { startDeployment, type Deployment } from "./support/deployment.js";
import { waitForPipeline } from "./support/pipeline.js";
import { sha256 } from "./support/store-probe.js";
import { waitFor } from "./support/wait.js";

const BUCKET = "ayida-documents";
const PREFIX = "bdns";
// 8 convocatorias received over 4 days, two documents each; one document is larger than a part
// (8 MiB), so it goes up as a multipart upload.
const dataset = makeDataset(8, { firstDate: "2026-11-01", perDay: 2, docs: 2 });
const BIG = 9 * 1024 * 1024 + 123;
dataset[3]!.documents[0]!.long = BIG;
(dataset[3]!.detail.documentos as Array<{ long: number }>)[0]!.long = BIG; // what the detail announces
const WINDOW = ["--from", "2026-11-01", "--to", "2026-11-04"];

let s3: FakeS3;
let d: Deployment;

beforeAll(async () => {
  s3 = await startFakeS3({ buckets: [BUCKET] });
  d = await startDeployment({
    dataset,
    serveEnv: {
      DOCUMENTS_URL: `s3://${BUCKET}/${PREFIX}`,
      AWS_ENDPOINT_URL: s3.url,
      AWS_REGION: s3.region,
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      AWS_S3_FORCE_PATH_STYLE: "true",
      AWS_EC2_METADATA_DISABLED: "true",
    },
  });
});
afterAll(async () => {
  await d?.close();
  await s3?.close();
});

describe("the pipeline with documents in an S3 bucket", () => {
  it("stores every document byte-identical in the bucket, records its s3:// path, and writes nothing to the local folder", async () => {
    const r = await d.cli(["sync", "convocatorias", ...WINDOW, "--run-id", "to-bucket", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const documents = dataset.flatMap((c) => c.documents);
    await waitForPipeline(d.store, "to-bucket", { details: dataset.length, documents: documents.length, failures: 0 }, 90_000, d.diagnose);
    await d.dev.waitUntilIdle();

    const rows = new Map(d.store.documentos().map((row) => [row.id, row]));
    const keys = new Set(s3.keys(BUCKET));
    for (const doc of documents) {
      const row = rows.get(String(doc.id))!;
      const want = documentBytes(doc);
      expect({ sha256: row.sha256, size: row.stored_size }, `document ${doc.id} as recorded`).toEqual({ sha256: sha256(want), size: doc.long });
      expect(row.stored_path, `document ${doc.id} recorded in the bucket`).toMatch(new RegExp(`^s3://${BUCKET}/${PREFIX}/\\d+/${doc.id}-`));
      const key = row.stored_path!.slice(`s3://${BUCKET}/`.length);
      expect(s3.objectBytes(BUCKET, key)?.equals(want), `document ${doc.id} in the bucket, byte-identical`).toBe(true);
      keys.delete(key);
    }
    expect([...keys], "objects in the bucket that no stored document accounts for").toEqual([]);
    expect(s3.uploads(BUCKET), "multipart uploads left incomplete").toEqual([]);
    expect(d.store.files(), "files in the local documents folder").toEqual([]);
    expect(d.store.run("to-bucket")).toMatchObject({ status: "succeeded", documents_stored: documents.length, failed: 0 });

    // The large document went up in parts, every one with its checksum; the others in one PUT each.
    const requests = s3.requests();
    expect(requests.filter((q) => q.op === "UploadPart").every((q) => q.checksum === "sha256")).toBe(true);
    expect(requests.filter((q) => q.op === "CompleteMultipartUpload" && q.status === 200)).toHaveLength(1);
    expect(requests.filter((q) => q.op === "PutObject" && q.status === 200)).toHaveLength(documents.length - 1);
  });

  it("a document requested again is checked in the bucket (HEAD, and a read for the multipart one) and not uploaded again", async () => {
    const before = s3.requests().length;
    const [small, big] = [dataset[0]!, dataset[3]!];
    for (const [c, doc] of [[small, small.documents[0]!], [big, big.documents[0]!]] as const) {
      const r = await d.cli(["document", c.bdns, String(doc.id), "--run-id", "again", "--json"]);
      expect(r.code, r.stderr).toBe(0);
    }
    await waitFor("both documents to be found unchanged", () => d.store.itemStates("again").unchanged === 2, { timeoutMs: 30_000, describe: () => JSON.stringify(d.store.itemStates("again")) });
    const after = s3.requests().slice(before);
    expect(after.map((q) => q.op).sort()).toEqual(["GetObject", "HeadObject", "HeadObject"]);
    expect(d.store.run("again")).toMatchObject({ documents_stored: 0 });
  });
});

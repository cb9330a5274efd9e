/**
 * `npm run bench documents`: a 200 MB document from a loopback BDNS into each document store — the
 * folder and an S3 bucket (the S3 stand-in, test/support/s3-server.ts) — in one run, each storing in
 * a fresh process of its own so that its RSS growth is that document's alone. BDNS and the S3
 * stand-in run in processes of their own too: only the storing side is measured.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { BdnsClient } from "../src/adapters/bdns/client.js";
import { StartSpacer } from "../src/adapters/bdns/limiter.js";
import type { DocumentStore } from "../src/adapters/store/document-store.js";
import { FolderDocumentStore } from "../src/adapters/store/documents.js";
import { S3DocumentStore, s3Client } from "../src/adapters/store/s3-documents.js";
import { startFakeS3 } from "../test/support/s3-server.js";
import { startChildBdns } from "./jobs.js";
import { report } from "./measure.js";

const MiB = 2 ** 20;
const BIG = 200 * 1_000_000;
const BUCKET = "ayida-documents";

interface S3Settings { url: string; region: string; accessKeyId: string; secretAccessKey: string }
interface Measured { kind: string; size: number; sha256: string; ms: number; before: number; peak: number }

/** Child mode: the S3 stand-in, its objects in `dir`; prints its settings as one JSON line. */
export async function serveFakeS3(dir: string): Promise<void> {
  const s3 = await startFakeS3({ buckets: [BUCKET], dir });
  process.stdout.write(`${JSON.stringify({ url: s3.url, region: s3.region, ...s3.credentials })}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => void s3.close());
}

/** Child mode: download the big document into one store, measuring this process's RSS; prints the result as JSON. */
export async function storeBigDocument(args: string): Promise<void> {
  const o = JSON.parse(args) as { kind: "folder" | "s3"; bdnsUrl: string; documentId: string; dir: string; s3?: S3Settings };
  const docs: DocumentStore =
    o.kind === "folder"
      ? new FolderDocumentStore(join(o.dir, "documents"))
      : new S3DocumentStore({ bucket: BUCKET, prefix: "bench" }, s3Client({ pathStyle: true }, { endpoint: o.s3!.url, region: o.s3!.region, credentials: { accessKeyId: o.s3!.accessKeyId, secretAccessKey: o.s3!.secretAccessKey } }));
  const client = new BdnsClient({ baseUrl: o.bdnsUrl, spacer: new StartSpacer(1000) });
  if (o.kind === "s3") await docs.stat("s3://none/x"); // the SDK loaded and warmed before the baseline
  global.gc?.();
  const rss = () => process.memoryUsage().rss / MiB;
  const before = rss();
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, rss())), 10);
  const t0 = performance.now();
  const dl = await client.downloadDocument(o.documentId);
  const stored = await docs.store("900000/big.bin", dl.body, BIG);
  const ms = performance.now() - t0;
  clearInterval(timer);
  peak = Math.max(peak, rss());
  process.stdout.write(`${JSON.stringify({ kind: o.kind, size: stored.size, sha256: stored.sha256, ms, before, peak } satisfies Measured)}\n`);
}

function runChild(args: string[], stdin = true): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", process.argv[1]!, ...args], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += String(d)));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`${args[0]} exited ${code}`))));
    if (!stdin) child.stdin.end();
  });
}

export async function benchDocuments(): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), "ayida-bench-docs-"));
  const bdns = await startChildBdns("big-document");
  const s3child = spawn(process.execPath, [process.argv[1]!, "--serve-fake-s3", join(dir, "s3")], { stdio: ["pipe", "pipe", "inherit"] });
  try {
    const s3 = JSON.parse(await new Promise<string>((r) => s3child.stdout.once("data", (d) => r(String(d))))) as S3Settings;
    let ok = true;
    const results: Measured[] = [];
    for (const kind of ["folder", "s3"] as const) {
      const out = await runChild(["--store-big-document", JSON.stringify({ kind, bdnsUrl: bdns.url, documentId: bdns.ids[0], dir, s3 })], false);
      const m = JSON.parse(out) as Measured;
      results.push(m);
      const growth = m.peak - m.before;
      const rate = m.size / 1e6 / (m.ms / 1000);
      console.log(`${kind}: ${m.size} bytes in ${(m.ms / 1000).toFixed(2)} s (${rate.toFixed(0)} MB/s), sha256 ${m.sha256.slice(0, 12)}…; RSS ${m.before.toFixed(0)} → peak ${m.peak.toFixed(0)} MiB`);
      ok = report(`200 MB document → ${kind === "folder" ? "folder" : "S3 (loopback stand-in)"}, peak RSS growth`, `${growth.toFixed(1)} MiB; ${rate.toFixed(0)} MB/s`, "< 64 MiB", growth < 64) && ok;
    }
    ok = report("the same bytes in both stores", results.map((r) => r.sha256.slice(0, 12)).join(" = "), "equal", results[0]!.sha256 === results[1]!.sha256 && results[0]!.size === BIG) && ok;
    return ok;
  } finally {
    bdns.stop();
    s3child.stdin.end();
    await new Promise((r) => s3child.once("close", r));
    rmSync(dir, { recursive: true, force: true });
  }
}

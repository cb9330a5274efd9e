/**
 * Job speed and memory (issue #3), against a loopback BDNS in this process:
 * - listing ingest: pages of 10,000 rows → SQLite, rows/s and RSS after each page (flat = no growth per page);
 * - detail fetching at the limiter's pace against a server that 429s bursts: requests/s and 429 count;
 * - a 200 MB document streamed to disk: peak RSS growth.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { BdnsClient } from "../src/adapters/bdns/client.js";
import { StartSpacer } from "../src/adapters/bdns/limiter.js";
import { FolderDocumentStore } from "../src/adapters/store/documents.js";
import { Store } from "../src/adapters/store/store.js";
import { makeDataset, startFakeBdns } from "../test/support/bdns-server.js";
import { report } from "./measure.js";

const MiB = 2 ** 20;
const rssMiB = () => process.memoryUsage().rss / MiB;

async function listingIngest(dir: string): Promise<boolean> {
  const pages = 10;
  const bdns = await startFakeBdns({ dataset: makeDataset(pages * 10_000, { firstDate: "2026-09-01", light: true, docs: 0 }) });
  const store = await Store.open(join(dir, "ingest.db"));
  const client = new BdnsClient({ baseUrl: bdns.url, spacer: new StartSpacer(1000) });
  try {
    const rss: number[] = [];
    const heap: number[] = [];
    let rows = 0;
    let ingestMs = 0; // store time only: fetching is bounded by BDNS (~2.5 s a page live)
    let fetchMs = 0;
    for (let page = 0; page < pages; page++) {
      const t0 = performance.now();
      const res = await client.searchConvocatorias({ from: "2026-09-01", to: "2026-09-01", page, pageSize: 10_000 });
      const t1 = performance.now();
      await store.upsertListing(res.content, "bench");
      ingestMs += performance.now() - t1;
      fetchMs += t1 - t0;
      rows += res.content.length;
      global.gc?.();
      rss.push(rssMiB());
      heap.push(process.memoryUsage().heapUsed / MiB);
    }
    const perSecond = rows / (ingestMs / 1000);
    const overall = rows / ((ingestMs + fetchMs) / 1000);
    const growth = Math.max(...heap.slice(2)) - heap[1]!;
    console.log(`listing: ${rows} rows; after each page, RSS (MiB): ${rss.map((r) => r.toFixed(0)).join(" ")}; live heap after GC (MiB): ${heap.map((r) => r.toFixed(0)).join(" ")}`);
    let ok = report("listing ingest into SQLite (upsert)", `${Math.round(perSecond).toLocaleString("en")} rows/s`, "≥ 50,000 rows/s", perSecond >= 50_000);
    console.log(`      with loopback fetch + parse + validate included: ${Math.round(overall).toLocaleString("en")} rows/s`);
    ok = report("listing ingest live heap, pages 3–10 vs page 2", `${growth.toFixed(1)} MiB growth`, "flat (< 8 MiB)", growth < 8) && ok;
    return ok;
  } finally {
    await store.close();
    await bdns.close();
  }
}

const BIG = 200 * 1_000_000;
const DETAILS = 95;

/**
 * Child-process mode: a fake BDNS in its own process, so that what the bench measures (the storer's
 * memory, the gaps between request arrivals) is not disturbed by the server sharing its event loop.
 */
export async function serveFakeBdns(kind: string): Promise<void> {
  const bdns =
    kind === "big-document"
      ? await startFakeBdns({ dataset: makeDataset(1, { docs: 1 }).map((c) => (c.documents[0]!.long = BIG, c)) })
      : // 429 to any start within 100 ms of the previous one: BDNS's limit, enforced strictly.
        await startFakeBdns({ dataset: makeDataset(DETAILS, { light: true, docs: 0 }), minGapMs: 100 });
  process.stdout.write(`${bdns.url} ${bdns.dataset.map((c) => c.documents[0]?.id ?? c.bdns).join(",")}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => void bdns.close());
}

export async function startChildBdns(kind: string): Promise<{ url: string; ids: string[]; stats(): Promise<{ requests: number; tooMany: number; minGapMs: number; medianGapMs: number }>; stop(): void }> {
  const child = spawn(process.execPath, [process.argv[1]!, "--serve-fake-bdns", kind], { stdio: ["pipe", "pipe", "inherit"] });
  const [url, ids] = (await new Promise<string>((r) => child.stdout.once("data", (d) => r(String(d))))).trim().split(" ");
  return {
    url: url!,
    ids: ids!.split(","),
    stats: async () => (await fetch(`${url}/__stats`)).json() as never,
    stop: () => void child.stdin.end(),
  };
}

async function bigDocument(dir: string): Promise<boolean> {
  const child = await startChildBdns("big-document");
  const docs = new FolderDocumentStore(join(dir, "documents"));
  const client = new BdnsClient({ baseUrl: child.url, spacer: new StartSpacer(1000) });
  try {
    global.gc?.();
    const before = rssMiB();
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, rssMiB())), 10);
    const t0 = performance.now();
    const dl = await client.downloadDocument(child.ids[0]!);
    const stored = await docs.store("900000/big.bin", dl.body, BIG);
    const ms = performance.now() - t0;
    clearInterval(timer);
    peak = Math.max(peak, rssMiB());
    const growth = peak - before;
    console.log(`document: ${stored.size} bytes in ${(ms / 1000).toFixed(2)} s (${(stored.size / MiB / (ms / 1000)).toFixed(0)} MiB/s), sha256 ${stored.sha256.slice(0, 12)}…; RSS ${before.toFixed(0)} → peak ${peak.toFixed(0)} MiB`);
    return report("200 MB document stored, peak RSS growth", `${growth.toFixed(1)} MiB`, "< 64 MiB", growth < 64);
  } finally {
    child.stop();
  }
}

async function detailRate(): Promise<boolean> {
  const fake = await startChildBdns("detail-rate");
  const client = new BdnsClient({ baseUrl: fake.url, spacer: new StartSpacer(9.5), maxAttempts: 1 });
  try {
    const queue = [...fake.ids];
    const failures: unknown[] = [];
    const t0 = performance.now();
    const worker = async () => {
      for (let code = queue.shift(); code; code = queue.shift()) await client.getConvocatoria(code).catch((e: unknown) => failures.push(e));
    };
    await Promise.all(Array.from({ length: 8 }, worker)); // 8 concurrent workers, as a busy fleet would be
    const rate = fake.ids.length / ((performance.now() - t0) / 1000);
    const stats = await fake.stats();
    console.log(`      gaps between request arrivals at the server: min ${stats.minGapMs.toFixed(1)} ms, median ${stats.medianGapMs.toFixed(1)} ms`);
    let ok = report("detail fetching, 8 workers, 429 on bursts", `${rate.toFixed(2)} req/s`, "≥ 9 req/s", rate >= 9);
    ok = report("429 answers during that", String(stats.tooMany), "0", stats.tooMany === 0 && failures.length === 0) && ok;
    console.log(`      at this rate a full backfill of 640,000 details takes ${(640_000 / rate / 3600).toFixed(1)} h (BDNS's limit is the bound)`);
    return ok;
  } finally {
    fake.stop();
  }
}

export async function benchJobs(): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), "ayida-bench-"));
  try {
    const c = await bigDocument(dir); // first: a fresh process, so RSS growth is this document's alone
    const a = await listingIngest(dir);
    const b = await detailRate();
    return a && b && c;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

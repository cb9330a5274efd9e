/**
 * The datasets (issues #8 and #9):
 * - reference: the six reference datasets synced through their Inngest functions (in-process,
 *   @inngest/test) from a loopback BDNS in a child process that answers at once but, as BDNS does,
 *   429s a start that makes more than 10 in any sliding second (an earlier version 429'd any gap under
 *   100 ms, stricter than BDNS: arrival jitter of a few ms at a busy loopback server drew one 429 a run);
 *   requests must equal the minimum the endpoints allow and the rate must be the limiter's (≥ 9/s at
 *   9.5/s), with zero 429s;
 * - ingest: 1,000,000 concesiones rows, already parsed, into SQLite and PostgreSQL in 10,000-row
 *   pages, hashing and upsert included (≥ 100,000 and ≥ 50,000 rows/s);
 * - pipeline: 1,000,000 rows fetched from a loopback BDNS answering at once, page by page as the
 *   engine does (fetch + parse, canonicalise + hash, store): RSS after each page (growth ≤ 64 MiB after
 *   the first, flat) and where the time goes.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { InngestTestEngine, mockCtx } from "@inngest/test";
import pino from "pino";
import { BdnsClient } from "../src/adapters/bdns/client.js";
import { DEFAULT_RATE_PER_SECOND, StartSpacer } from "../src/adapters/bdns/limiter.js";
import { FolderDocumentStore } from "../src/adapters/store/documents.js";
import { Store } from "../src/adapters/store/store.js";
import { createInngestClient } from "../src/config/client.js";
import { parseEnv } from "../src/config/env.js";
import { concesiones } from "../src/datasets/concesiones.js";
import { DATASETS } from "../src/datasets/index.js";
import { createFunctions } from "../src/functions/index.js";
import type { JobDeps } from "../src/functions/deps.js";
import { readAnswer } from "../src/functions/datasets/rows.js";
import { unitParams } from "../src/functions/datasets/units.js";
import { startFakeBdns } from "../test/support/bdns-server.js";
import { makeDatasetsFixture, minimumRequests, type DatasetName } from "../test/support/bdns-datasets.js";
import { startFakeEventApi } from "../test/support/event-api.js";
import { startPostgres } from "../test/support/postgres.js";
import { report } from "./measure.js";

const MiB = 2 ** 20;
const REFERENCE = ["catalogos", "regiones", "organos", "planes-estrategicos", "grandes-beneficiarios", "sanciones"] as const;
/** Reference data at about its real size in pages: many catalogs and trees, ~2,000 plans, ~145,000 large beneficiaries. */
const referenceFixture = () => makeDatasetsFixture({ planes: { plans: 120 }, grandesBeneficiarios: { years: [2021, 2022, 2023, 2024, 2025], rowsPerYear: 25_000 }, sanciones: { rows: 2_000 } });
const MILLION = { from: "2026-01-01", to: "2026-04-10", rowsPerDay: 10_000 }; // 100 days × 10,000 = 1,000,000 rows

/** Child-process mode (bench/run.ts): a loopback BDNS serving `kind`'s fixture. */
export async function serveFakeDatasets(kind: string): Promise<void> {
  const bdns = await startFakeBdns(kind === "reference" ? { datasets: referenceFixture(), maxPerSecond: 10 } : { datasets: makeDatasetsFixture({ concesiones: MILLION }) });
  process.stdout.write(`${bdns.url}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => void bdns.close());
}

async function childBdns(kind: string) {
  const child = spawn(process.execPath, [process.argv[1]!, "--serve-fake-datasets", kind], { stdio: ["pipe", "pipe", "inherit"] });
  const url = (await new Promise<string>((r) => child.stdout.once("data", (d) => r(String(d))))).trim();
  return {
    url,
    stats: async () => (await fetch(`${url}/__stats`)).json() as Promise<{ requests: number; tooMany: number; minGapMs: number; medianGapMs: number }>,
    stop: () => void child.stdin.end(),
  };
}

async function reference(dir: string): Promise<boolean> {
  const fake = await childBdns("reference");
  const events = await startFakeEventApi();
  const store = await Store.open(join(dir, "reference.db"));
  const logger = pino({ level: "silent" });
  const deps: JobDeps = {
    bdns: new BdnsClient({ baseUrl: fake.url, spacer: new StartSpacer(DEFAULT_RATE_PER_SECOND), maxAttempts: 1 }),
    store: async () => store,
    documents: new FolderDocumentStore(join(dir, "documents")),
    logger,
    pageSize: 10_000,
  };
  const fns = createFunctions(createInngestClient(parseEnv({ INNGEST_DEV: events.url }), { logger }), deps);
  const fnFor = (name: string) => fns.find((f) => (f as unknown as { opts: { triggers: Array<{ event: string | { name: string } }> } }).opts.triggers.some((t) => (typeof t.event === "string" ? t.event : t.event.name) === name))!;
  try {
    let ok = true;
    let requests = 0;
    let errors = 0;
    const t0 = performance.now();
    for (const name of REFERENCE) {
      let seen = events.events().length;
      const queue = [{ name: `${name}/sync.requested`, data: { runId: "bench", timestamp: new Date().toISOString() } }];
      while (queue.length) {
        const e = queue.shift()!;
        const { error } = await new InngestTestEngine({ function: fnFor(e.name) as never, events: [e] as never, transformCtx: (ctx) => ({ ...mockCtx(ctx), attempt: 0 }) }).execute();
        // planes estratégicos: some details are broken on purpose (HTML inside a 200), and are recorded
        if (error && !(e.name === "planes-estrategicos/detail.requested")) {
          errors++;
          console.log(`      unexpected failure of ${e.name}: ${error instanceof Error ? error.message : String(error)}`);
        }
        const sent = events.events();
        queue.push(...(sent.slice(seen) as typeof queue));
        seen = sent.length;
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const stats = await fake.stats();
    requests = stats.requests;
    const fx = referenceFixture();
    const minimum = REFERENCE.reduce((n, d) => n + Object.values(minimumRequests(fx, d as DatasetName)).reduce((a, b) => a + b, 0), 0);
    const documents = (await store.db.selectFrom("planes_estrategicos_documentos" as never).select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()) as { n: number };
    console.log(`reference datasets: ${requests} BDNS requests (${Number(documents.n)} of them plan documents) in ${seconds.toFixed(1)} s; gaps at the server: min ${stats.minGapMs.toFixed(1)} ms, median ${stats.medianGapMs.toFixed(1)} ms`);
    ok = report("requests = the minimum the endpoints allow", `${requests - Number(documents.n)} (+ ${Number(documents.n)} documents)`, `${minimum}`, requests - Number(documents.n) === minimum) && ok;
    ok = report("reference datasets: requests/s", `${(requests / seconds).toFixed(2)} req/s`, "≥ 9 req/s (limiter 9.5/s)", requests / seconds >= 9) && ok;
    ok = report("429s / unexpected failures", `${stats.tooMany} / ${errors}`, "0 / 0", stats.tooMany === 0 && errors === 0) && ok;
    return ok;
  } finally {
    fake.stop();
    await events.close();
    await store.close();
  }
}

/** 1,000,000 rows, already parsed (as they come out of JSON.parse), prepared and stored page by page. */
async function ingest(label: string, url: string, target: number): Promise<boolean> {
  const fx = makeDatasetsFixture({ concesiones: MILLION });
  const store = await Store.open(url);
  await store.ensureRun("bench", "sync", {}, "concesiones");
  const feed = concesiones.feeds[0]!;
  const writer = store.tables.of(feed.table);
  let prepare = 0;
  let write = 0;
  const total = fx.concesiones.baseCount;
  try {
    for (let first = 0; first < total; first += 10_000) {
      const content = [];
      for (let i = first; i < Math.min(total, first + 10_000); i++) content.push(JSON.parse(fx.concesiones.jsonAt(i)!) as unknown);
      const t0 = performance.now();
      const page = readAnswer(feed, { content, totalPages: 100 }, { feed: feed.id }, feed.path);
      const t1 = performance.now();
      await writer.writePage(page.rows, { runId: "bench", dataset: "concesiones", now: new Date().toISOString(), since: new Date(0).toISOString() });
      prepare += t1 - t0;
      write += performance.now() - t1;
    }
    const perSecond = total / ((prepare + write) / 1000);
    console.log(`ingest ${label}: ${total.toLocaleString("en")} rows; canonicalise + hash ${Math.round(total / (prepare / 1000)).toLocaleString("en")} rows/s, store ${Math.round(total / (write / 1000)).toLocaleString("en")} rows/s`);
    return report(`store ingest, ${label} (hash + upsert)`, `${Math.round(perSecond).toLocaleString("en")} rows/s`, `≥ ${target.toLocaleString("en")} rows/s`, perSecond >= target);
  } finally {
    await store.close();
  }
}

/** The engine's page step, a million rows: RSS after each page, and the split of the time. */
async function pipeline(dir: string): Promise<boolean> {
  const fake = await childBdns("million");
  const store = await Store.open(join(dir, "pipeline.db"));
  await store.ensureRun("bench", "sync", {}, "concesiones");
  const client = new BdnsClient({ baseUrl: fake.url, spacer: new StartSpacer(1000), maxAttempts: 1 });
  const feed = concesiones.feeds[0]!;
  const writer = store.tables.of(feed.table);
  const unit = { feed: feed.id, from: MILLION.from, to: MILLION.to };
  const t = { fetch: 0, prepare: 0, store: 0 };
  const rss: number[] = [];
  let rows = 0;
  try {
    for (let page = 0, pages = 1; page < pages; page++) {
      const t0 = performance.now();
      const body = await client.fetchJson(feed.path, unitParams(feed, unit, page, 10_000), { page: true });
      const t1 = performance.now();
      const answer = readAnswer(feed, body, { feed: feed.id }, feed.path);
      const t2 = performance.now();
      await writer.writePage(answer.rows, { runId: "bench", dataset: "concesiones", now: new Date().toISOString(), since: new Date(0).toISOString() });
      const t3 = performance.now();
      t.fetch += t1 - t0;
      t.prepare += t2 - t1;
      t.store += t3 - t2;
      pages = answer.totalPages;
      rows += answer.rows.length;
      global.gc?.(); // what the process holds, not garbage it has not collected yet
      rss.push(process.memoryUsage().rss / MiB);
    }
    const all = t.fetch + t.prepare + t.store;
    const growth = Math.max(...rss.slice(1)) - rss[0]!;
    const tail = Math.max(...rss.slice(-20)) - Math.max(...rss.slice(1, 21));
    const pct = (x: number) => `${((x / all) * 100).toFixed(0)} %`;
    console.log(`pipeline: ${rows.toLocaleString("en")} rows in ${rss.length} pages, ${(all / 1000).toFixed(1)} s (${Math.round(rows / (all / 1000)).toLocaleString("en")} rows/s): fetch + parse ${pct(t.fetch)}, canonicalise + hash ${pct(t.prepare)}, store ${pct(t.store)}`);
    console.log(`      RSS (MiB) after pages 1, 10, 25, 50, 75, 100: ${[0, 9, 24, 49, 74, rss.length - 1].map((i) => rss[i]?.toFixed(0)).join(", ")}`);
    let ok = report("pipeline: RSS growth after the first page", `${growth.toFixed(1)} MiB`, "≤ 64 MiB", growth <= 64);
    ok = report("pipeline: RSS last 20 pages vs pages 2–21", `${tail >= 0 ? "+" : ""}${tail.toFixed(1)} MiB`, "flat (< 16 MiB)", tail < 16) && ok;
    return ok;
  } finally {
    fake.stop();
    await store.close();
  }
}

export async function benchDatasets(parts: string[] = (process.env.BENCH_PARTS ?? "reference,ingest,pipeline").split(",")): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), "ayida-bench-ds-"));
  let ok = true;
  try {
    if (parts.includes("pipeline")) ok = (await pipeline(dir)) && ok; // first: a fresh heap, so RSS is its own
    if (parts.includes("reference")) ok = (await reference(dir)) && ok;
    if (parts.includes("ingest")) {
      ok = (await ingest("SQLite", join(dir, "ingest.db"), 100_000)) && ok;
      const pg = await startPostgres();
      try {
        ok = (await ingest("PostgreSQL", await pg.createDatabase(), 50_000)) && ok;
      } finally {
        await pg.stop();
      }
    }
    console.log(`      datasets declared: ${DATASETS.length}`);
    return ok;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

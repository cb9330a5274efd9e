/**
 * The datasets (issues #8 and #9):
 * - reference: the six reference datasets synced through their Inngest functions (in-process,
 *   @inngest/test) from a loopback BDNS in a child process that answers at once but, as BDNS does,
 *   429s a start that makes more than 10 in any sliding second (an earlier version 429'd any gap under
 *   100 ms, stricter than BDNS: arrival jitter of a few ms at a busy loopback server drew one 429 a run);
 *   requests must equal the minimum the endpoints allow and the rate must be the limiter's (≥ 9/s at
 *   9.5/s), with zero 429s;
 * - ingest: 1,000,000 concesiones rows (BENCH_ROWS), already parsed, into SQLite and PostgreSQL in
 *   10,000-row pages, hashing and upsert included (issue 22: ≥ 50,000 and ≥ 40,000 rows/s), then a
 *   second pass with noise only (every name re-spelt, 0 changed: ≥ 150,000 and ≥ 80,000 rows/s), the
 *   bytes a row takes on disk, and raw better-sqlite3 INSERTs of the same rows into the same table and
 *   indexes (ours ≥ 70 % of it). CPU time per row is printed beside wall time: the machine is shared;
 * - pipeline: 1,000,000 rows fetched from a loopback BDNS answering at once, page by page as the
 *   engine does (fetch + parse, canonicalise + hash, store): ≤ 25 s, RSS after each page (growth ≤ 64 MiB
 *   after the first, flat) and where the time goes;
 * - backfill: a year of concesiones (BENCH_BACKFILL_DAYS, BENCH_BACKFILL_ROWS_PER_DAY) from a loopback BDNS
 *   taking 2.5 s a page, one process storing into PostgreSQL, with the pages in flight of one request (2)
 *   and of the fleet's whole pool (6): at BDNS's bound or not, and what the store's backends waited on.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { InngestTestEngine, mockCtx } from "@inngest/test";
import { sql } from "kysely";
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
import { DATASET_FLOW, POOLS } from "../src/functions/flow.js";
import { addDays } from "../src/contracts/window.js";
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
const MILLION = { from: "2026-01-01", to: "2026-04-10", rowsPerDay: 10_000 }; // 100 days × 10,000 = 1,000,000 rows (BENCH_ROWS: fewer days)

/** Child-process mode (bench/run.ts): a loopback BDNS serving `kind`'s fixture. */
export async function serveFakeDatasets(kind: string): Promise<void> {
  const bdns = await startFakeBdns(
    kind === "reference"
      ? { datasets: referenceFixture(), maxPerSecond: 10 }
      : kind === "backfill"
        ? { datasets: makeDatasetsFixture({ concesiones: backfillYear() }), latencyMs: (path) => (path.startsWith("/concesiones/busqueda") ? PAGE_LATENCY_MS : 0) }
        : { datasets: makeDatasetsFixture({ concesiones: million() }) },
  );
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

/** Rows in the ingest and pipeline parts: BENCH_ROWS (default 1,000,000; a smaller figure while developing), in 10,000-row days. */
function million() {
  const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
  const days = Math.max(1, Math.round(rows / 10_000));
  const to = new Date(Date.parse(`${MILLION.from}T00:00:00Z`) + (days - 1) * 86_400_000).toISOString().slice(0, 10);
  return { ...MILLION, to };
}

/**
 * BDNS's time for a 10,000-row page (bdns-api.md), and the pages the deployment keeps in flight
 * (flow.ts): one backfill request gets DATASET_FLOW's per-run limit (its pieces share its runId); the
 * fleet's pool, shared by every request, allows POOLS.pages.
 */
const PAGE_LATENCY_MS = 2_500;
const PER_REQUEST = DATASET_FLOW.concurrency[0].limit;
const POOL = POOLS.pages.limit;

/**
 * The backfill's year of concesiones: BENCH_BACKFILL_DAYS days from 2025-01-01 (default 365) of
 * BENCH_BACKFILL_ROWS_PER_DAY rows (default 11,000: ~27.7 M since 2020, bdns-api.md's volumes).
 */
function backfillYear() {
  const days = Number(process.env.BENCH_BACKFILL_DAYS ?? 365);
  const from = "2025-01-01";
  const to = new Date(Date.parse(`${from}T00:00:00Z`) + (days - 1) * 86_400_000).toISOString().slice(0, 10);
  return { from, to, rowsPerDay: Number(process.env.BENCH_BACKFILL_ROWS_PER_DAY ?? 11_000) };
}

/**
 * The "done when" of issue 22: a year of concesiones against a loopback BDNS that takes 2.5 s per
 * page, stored by one serve-like process on PostgreSQL, in 7-day pieces, page by page as the engine
 * does (fetch + parse, canonicalise + hash, store), with the pages in flight that one backfill request
 * gets (PER_REQUEST) and then with the fleet's whole pool (POOL: three requests at once). Each against
 * BDNS's bound for its schedule; the store's own rate is printed beside.
 */
async function backfill(): Promise<boolean> {
  const year = backfillYear();
  const fake = await childBdns("backfill");
  const pg = await startPostgres();
  let ok = true;
  try {
    for (const [inFlight, who] of [
      [PER_REQUEST, "one request (DATASET_FLOW's per-run limit)"],
      [POOL, "the fleet's pool (three requests)"],
    ] as const) {
      ok = (await backfillWith(await pg.createDatabase(), fake.url, year, inFlight, who)) && ok;
    }
    return ok;
  } finally {
    fake.stop();
    await pg.stop();
  }
}

async function backfillWith(url: string, bdnsUrl: string, year: ReturnType<typeof backfillYear>, inFlight: number, who: string): Promise<boolean> {
  const store = await Store.open(url);
  const waits = await sampleWaits(url);
  try {
    await store.ensureRun("backfill", "sync", {}, "concesiones");
    const client = new BdnsClient({ baseUrl: bdnsUrl, spacer: new StartSpacer(DEFAULT_RATE_PER_SECOND), maxAttempts: 3 });
    const feed = concesiones.feeds[0]!;
    const writer = store.tables.of(feed.table);
    const fx = makeDatasetsFixture({ concesiones: year });
    // As the engine runs it (functions/datasets/engine.ts): each 7-day piece is a run of its own whose
    // pages are steps one after the other; `inFlight` pieces at once.
    const pieces: Array<{ from: string; to: string; pages: number }> = [];
    for (let from = year.from; from <= year.to; from = addDays(from, 7)) {
      const to = addDays(from, 6) < year.to ? addDays(from, 6) : year.to;
      const { start, end } = fx.concesiones.range(from, addDays(to, 1));
      pieces.push({ from, to, pages: Math.ceil((end - start) / 10_000) });
    }
    let rows = 0;
    // The time at least one page was being stored (pages store concurrently): ≈ the whole run when the store bounds it.
    let storing = 0;
    let busySince = 0;
    let busyMs = 0;
    const since = new Date().toISOString();
    const t0 = performance.now();
    const pages = pieces.reduce((n, p) => n + p.pages, 0);
    // BDNS's bound for this schedule: the pieces taken in order by the first free of `inFlight`
    // workers, every page taking PAGE_LATENCY_MS and no time to store.
    const free = Array<number>(inFlight).fill(0);
    for (const p of pieces) free[free.indexOf(Math.min(...free))]! += p.pages * PAGE_LATENCY_MS;
    const boundSeconds = Math.max(...free) / 1000;
    const worker = async () => {
      for (let piece = pieces.shift(); piece; piece = pieces.shift()) {
        for (let page = 0; page < piece.pages; page++) {
          const body = await client.fetchJson(feed.path, unitParams(feed, { feed: feed.id, from: piece.from, to: piece.to }, page, 10_000), { page: true });
          const answer = readAnswer(feed, body, { feed: feed.id }, feed.path);
          if (storing++ === 0) busySince = performance.now();
          await writer.writePage(answer.rows, { runId: "backfill", dataset: "concesiones", now: new Date().toISOString(), since });
          if (--storing === 0) busyMs += performance.now() - busySince;
          rows += answer.rows.length;
        }
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const seconds = (performance.now() - t0) / 1000;
    const run = (await store.getRun("backfill", "concesiones"))!;
    const n = (x: number) => Math.round(x).toLocaleString("en");
    console.log(`backfill, ${inFlight} pages in flight, ${who}: ${n(rows)} concesiones (${year.from} … ${year.to}) in ${pages} pages, ${seconds.toFixed(1)} s = ${n(rows / seconds)} rows/s; BDNS's bound ${inFlight} × 10,000 / ${PAGE_LATENCY_MS / 1000} s = ${n((inFlight * 10_000) / (PAGE_LATENCY_MS / 1000))} rows/s (${boundSeconds.toFixed(0)} s for these pieces); the store was busy ${(busyMs / 1000).toFixed(1)} s of it: ${n(rows / (busyMs / 1000))} rows/s while storing (new ${n(run.new)})`);
    console.log(`      what the page transactions waited on (pg_stat_activity every 50 ms, ${waits.samples()} samples; share of backend-samples): ${waits.summary()}`);
    return report(`backfill on PostgreSQL, ${inFlight} pages in flight at 2.5 s`, `${seconds.toFixed(1)} s`, `≤ 1.25 × BDNS's bound (${(boundSeconds * 1.25).toFixed(0)} s)`, seconds <= boundSeconds * 1.25 && run.new === rows);
  } finally {
    await waits.stop();
    await store.close();
  }
}

/**
 * What the store's backends were doing, sampled from pg_stat_activity: running (on CPU, or waiting for
 * a core), or waiting, and on what (a lock on a row, a tuple, a transaction id; the WAL; I/O) — whether
 * concurrent pages contend or just share the cores.
 */
async function sampleWaits(url: string) {
  const { default: pgModule } = await import("pg");
  const client = new pgModule.Client({ connectionString: url });
  await client.connect();
  const counts = new Map<string, number>();
  let samples = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const r = await client.query<{ w: string }>(
        "SELECT coalesce(wait_event_type || ':' || wait_event, 'running') AS w FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
      );
      samples++;
      for (const { w } of r.rows) counts.set(w, (counts.get(w) ?? 0) + 1);
      await new Promise((res) => setTimeout(res, 50));
    }
  })();
  return {
    samples: () => samples,
    summary: () => {
      const total = [...counts.values()].reduce((a, b) => a + b, 0) || 1;
      return [...counts].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([w, n]) => `${w} ${((n / total) * 100).toFixed(0)} %`).join(", ") + ` (${(total / Math.max(1, samples)).toFixed(1)} active on average)`;
    },
    stop: async () => {
      stopped = true;
      await loop;
      await client.end();
    },
  };
}

interface IngestFigures {
  first: number;
  firstCpu: number;
  second: number;
  bytesPerRow: number;
}

/**
 * `total` concesiones rows, already parsed (as they come out of JSON.parse), prepared and stored page by
 * page; then a second pass over the same rows with noise only (every name re-spelt: 0 changed); then
 * what a row costs on disk.
 */
async function ingest(label: string, url: string, target: { first: number; second: number }): Promise<{ ok: boolean; figures: IngestFigures }> {
  const fx = makeDatasetsFixture({ concesiones: million() });
  const store = await Store.open(url);
  const feed = concesiones.feeds[0]!;
  const writer = store.tables.of(feed.table);
  const total = fx.concesiones.baseCount;
  const pass = async (runId: string, noiseSeed: number | undefined) => {
    await store.ensureRun(runId, "sync", {}, "concesiones");
    let prepare = 0;
    let write = 0;
    let cpu = 0;
    const since = new Date().toISOString();
    for (let first = 0; first < total; first += 10_000) {
      const content = [];
      for (let i = first; i < Math.min(total, first + 10_000); i++) content.push(JSON.parse(fx.concesiones.jsonAt(i, noiseSeed)!) as unknown);
      const c0 = cpuMs();
      const s0 = await serverCpu();
      const t0 = performance.now();
      const page = readAnswer(feed, { content, totalPages: 100 }, { feed: feed.id }, feed.path);
      const t1 = performance.now();
      await writer.writePage(page.rows, { runId, dataset: "concesiones", now: new Date().toISOString(), since });
      prepare += t1 - t0;
      write += performance.now() - t1;
      cpu += cpuMs() - c0 + ((await serverCpu()) - s0);
    }
    const run = (await store.getRun(runId, "concesiones"))!;
    return { perSecond: total / ((prepare + write) / 1000), prepare: total / (prepare / 1000), write: total / (write / 1000), perCpuSecond: total / (cpu / 1000), run };
  };
  const n = (x: number) => Math.round(x).toLocaleString("en");
  // CPU time (this process, and PostgreSQL's processes): what a row costs whatever else the shared machine runs.
  const serverCpu = store.dialect === "postgres" ? postgresCpuMs(store) : async () => 0;
  try {
    const one = await pass("bench-1", undefined);
    console.log(`ingest ${label}, first pass: ${n(total)} rows (new ${n(one.run.new)}); canonicalise + hash ${n(one.prepare)} rows/s, store ${n(one.write)} rows/s; ${n(one.perCpuSecond)} rows per CPU-second (ours${store.dialect === "postgres" ? " + PostgreSQL's" : ""})`);
    let ok = report(`store ingest, ${label} (hash + upsert)`, `${n(one.perSecond)} rows/s`, `≥ ${n(target.first)} rows/s`, one.perSecond >= target.first && one.run.new === total);
    const disk = await bytesOnDisk(store, "concesiones");
    console.log(`      on disk after the first pass, ${label}: ${n(disk.table / total)} B/row table + ${n(disk.indexes / total)} B/row indexes = ${n((disk.table + disk.indexes) / total)} B/row; raw_json ${n(disk.rawJson / total)} B/row of it (the JSON text: ${n(disk.rawText / total)} B)`);
    const two = await pass("bench-2", 7);
    console.log(`ingest ${label}, second pass with noise only: new ${n(two.run.new)}, changed ${n(two.run.changed)}, unchanged ${n(two.run.unchanged)}; canonicalise + hash ${n(two.prepare)} rows/s, store ${n(two.write)} rows/s; ${n(two.perCpuSecond)} rows per CPU-second`);
    ok = report(`second pass, noise only, ${label}`, `${n(two.perSecond)} rows/s`, `≥ ${n(target.second)} rows/s, 0 changed`, two.perSecond >= target.second && two.run.changed === 0 && two.run.unchanged === total) && ok;
    return { ok, figures: { first: one.perSecond, firstCpu: one.perCpuSecond, second: two.perSecond, bytesPerRow: (disk.table + disk.indexes) / total } };
  } finally {
    await store.close();
  }
}

/** This process's CPU time (user + system), ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** The CPU time (ms) of the PostgreSQL server's processes (backends and its own workers), from /proc. */
function postgresCpuMs(store: Store): () => Promise<number> {
  const tick = 1000 / 100; // USER_HZ
  return async () => {
    const pids = (await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity`.execute(store.db)).rows.map((r) => r.pid);
    let ms = 0;
    for (const pid of pids) {
      try {
        const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
        ms += (Number(f[11]) + Number(f[12])) * tick;
      } catch {
        // gone since
      }
    }
    return ms;
  };
}

/** Bytes a table takes (rows, TOAST) and its indexes take, and what its raw_json column holds. */
async function bytesOnDisk(store: Store, table: string): Promise<{ table: number; indexes: number; rawJson: number; rawText: number }> {
  const q = async <T>(text: string) => (await sql.raw<T>(text).execute(store.db)).rows[0]!;
  if (store.dialect === "postgres") {
    await sql.raw(`VACUUM ANALYZE ${table}`).execute(store.db);
    const r = await q<{ t: number; i: number; raw: number; text: number }>(
      `SELECT pg_table_size('${table}') AS t, pg_indexes_size('${table}') AS i, sum(pg_column_size(raw_json)) AS raw, sum(octet_length(raw_json::text)) AS text FROM ${table}`,
    );
    return { table: Number(r.t), indexes: Number(r.i), rawJson: Number(r.raw), rawText: Number(r.text) };
  }
  const r = await q<{ t: number; i: number }>(
    `SELECT sum(CASE WHEN name = '${table}' THEN pgsize ELSE 0 END) AS t, sum(CASE WHEN name <> '${table}' THEN pgsize ELSE 0 END) AS i FROM dbstat WHERE name = '${table}' OR name IN (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '${table}')`,
  );
  const raw = await q<{ raw: number }>(`SELECT sum(length(CAST(raw_json AS BLOB))) AS raw FROM ${table}`);
  return { table: Number(r.t), indexes: Number(r.i), rawJson: Number(raw.raw), rawText: Number(raw.raw) };
}

/**
 * The baseline: the same rows, already prepared, inserted by better-sqlite3 with plain multi-row
 * INSERTs (no lookup, no upsert, no totals) into a table with the same columns and indexes as the
 * store's, 10,000 rows a transaction, same pragmas. What SQLite itself costs on this machine.
 */
async function rawSqlite(dir: string, storeFile: string): Promise<{ perSecond: number; perCpuSecond: number }> {
  const { default: SQLite } = await import("better-sqlite3");
  const fx = makeDatasetsFixture({ concesiones: million() });
  const feed = concesiones.feeds[0]!;
  const from = new SQLite(storeFile, { readonly: true });
  const ddl = from.prepare<[], { sql: string }>("SELECT sql FROM sqlite_master WHERE tbl_name = 'concesiones' AND sql IS NOT NULL ORDER BY type DESC").all();
  from.close();
  const db = new SQLite(join(dir, "raw.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("wal_autocheckpoint = 25000");
  for (const d of ddl) db.exec(d.sql);
  const columns = [...Object.keys(feed.table.columns), "raw_json", "content_hash", "first_seen_at", "last_seen_at", "last_changed_at", "removed_at", "last_run_id"];
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  const insert = db.prepare(`INSERT INTO concesiones (${columns.join(", ")}) VALUES ${Array(100).fill(tuple).join(", ")}`);
  const total = fx.concesiones.baseCount;
  let ms = 0;
  let cpu = 0;
  for (let first = 0; first < total; first += 10_000) {
    const content = [];
    for (let i = first; i < Math.min(total, first + 10_000); i++) content.push(JSON.parse(fx.concesiones.jsonAt(i)!) as unknown);
    const { rows } = readAnswer(feed, { content, totalPages: 100 }, { feed: feed.id }, feed.path);
    const now = new Date().toISOString();
    const t0 = performance.now();
    const c0 = cpuMs();
    db.transaction(() => {
      for (let i = 0; i < rows.length; i += 100) {
        const params: unknown[] = [];
        for (const r of rows.slice(i, i + 100)) params.push(...r.values, r.raw, r.hash, now, now, now, null, "raw");
        insert.run(...params);
      }
    })();
    ms += performance.now() - t0;
    cpu += cpuMs() - c0;
  }
  db.close();
  return { perSecond: total / (ms / 1000), perCpuSecond: total / (cpu / 1000) };
}

/** The engine's page step, a million rows: RSS after each page, and the split of the time. */
async function pipeline(dir: string): Promise<boolean> {
  const fake = await childBdns("million");
  const store = await Store.open(join(dir, "pipeline.db"));
  await store.ensureRun("bench", "sync", {}, "concesiones");
  // Retries as the engine's client does: a page stored for longer than the server's keep-alive (5 s, on
  // a loaded machine) finds its socket closed (ECONNRESET), a transient failure.
  const client = new BdnsClient({ baseUrl: fake.url, spacer: new StartSpacer(1000), maxAttempts: 3 });
  const feed = concesiones.feeds[0]!;
  const writer = store.tables.of(feed.table);
  const unit = { feed: feed.id, from: MILLION.from, to: million().to };
  const t = { fetch: 0, prepare: 0, store: 0 };
  const rss: number[] = [];
  let rows = 0;
  const cpu0 = cpuMs();
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
    const cpu = cpuMs() - cpu0;
    const growth = Math.max(...rss.slice(1)) - rss[0]!;
    const tail = Math.max(...rss.slice(-20)) - Math.max(...rss.slice(1, 21));
    const pct = (x: number) => `${((x / all) * 100).toFixed(0)} %`;
    console.log(`pipeline: ${rows.toLocaleString("en")} rows in ${rss.length} pages, ${(all / 1000).toFixed(1)} s (${Math.round(rows / (all / 1000)).toLocaleString("en")} rows/s): fetch + parse ${pct(t.fetch)}, canonicalise + hash ${pct(t.prepare)}, store ${pct(t.store)}`);
    console.log(`      RSS (MiB) after pages 1, 10, 25, 50, 75, 100: ${[0, 9, 24, 49, 74, rss.length - 1].map((i) => rss[i]?.toFixed(0)).join(", ")}`);
    const limit = (25 * rows) / 1_000_000; // 25 s for a million rows
    let ok = report(`pipeline: ${rows.toLocaleString("en")} rows`, `${(all / 1000).toFixed(1)} s (CPU ${(cpu / 1000).toFixed(1)} s)`, `≤ ${limit.toFixed(1)} s`, all / 1000 <= limit);
    ok = report("pipeline: RSS growth after the first page", `${growth.toFixed(1)} MiB`, "≤ 64 MiB", growth <= 64);
    ok = report("pipeline: RSS last 20 pages vs pages 2–21", `${tail >= 0 ? "+" : ""}${tail.toFixed(1)} MiB`, "flat (< 16 MiB)", tail < 16) && ok;
    return ok;
  } finally {
    fake.stop();
    await store.close();
  }
}

export async function benchDatasets(parts: string[] = (process.env.BENCH_PARTS ?? "reference,ingest,pipeline,backfill").split(",")): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), "ayida-bench-ds-"));
  let ok = true;
  try {
    if (parts.includes("pipeline")) ok = (await pipeline(dir)) && ok; // first: a fresh heap, so RSS is its own
    if (parts.includes("reference")) ok = (await reference(dir)) && ok;
    if (parts.includes("backfill")) ok = (await backfill()) && ok;
    if (parts.includes("ingest")) {
      const lite = await ingest("SQLite", join(dir, "ingest.db"), { first: 50_000, second: 150_000 });
      ok = lite.ok && ok;
      const raw = await rawSqlite(dir, join(dir, "ingest.db"));
      const share = lite.figures.first / raw.perSecond;
      console.log(`raw SQLite INSERT, same rows already prepared, same indexes: ${Math.round(raw.perSecond).toLocaleString("en")} rows/s, ${Math.round(raw.perCpuSecond).toLocaleString("en")} rows per CPU-second; ours per CPU-second: ${((lite.figures.firstCpu / raw.perCpuSecond) * 100).toFixed(0)} % of it`);
      ok = report("SQLite hash + upsert vs raw SQLite INSERT (same indexes, rows prepared)", `${Math.round(raw.perSecond).toLocaleString("en")} rows/s raw: ours ${(share * 100).toFixed(0)} %`, "≥ 70 %", share >= 0.7) && ok;
      const pg = await startPostgres();
      try {
        ok = (await ingest("PostgreSQL", await pg.createDatabase(), { first: 40_000, second: 80_000 })).ok && ok;
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

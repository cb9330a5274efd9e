/**
 * One BDNS budget (issue #11): the mixed workload against a loopback BDNS that answers 429 to more than
 * 10 starts in any sliding second, in one process and in three worker processes sharing one
 * PostgreSQL or one SQLite file; then a daily-sized run started during a backfill.
 *
 * The Inngest queue is simulated in this process (say so in the figures): jobs wait here and are handed
 * to the workers under the limits flow.ts gives Inngest (per run and function: 2 pages, 8 details,
 * 12 documents in flight; env-wide pools: 6 pages, 24 items), oldest first, skipping what is at its
 * limit, to the worker with the fewest in flight. The workers are `serve`-like processes: the real BDNS
 * client, the real spacer and shared budget, the real store. The engine itself is the engine suite's.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { SharedBudget } from "../src/adapters/bdns/budget.js";
import { BdnsClient } from "../src/adapters/bdns/client.js";
import { StartSpacer, type BudgetObserver, type Work, type WorkKind } from "../src/adapters/bdns/limiter.js";
import { openBudgetStore } from "../src/adapters/store/budget.js";
import { Store } from "../src/adapters/store/store.js";
import { readAll } from "../src/net/request.js";
import { makeDataset, startFakeBdns } from "../test/support/bdns-server.js";
import { startPostgres } from "../test/support/postgres.js";
import { report } from "./measure.js";

const RATE = 9.5;
const PAGE_MS = 2_500;
const dataset = () => makeDataset(1_200, { light: true, docs: 2, firstDate: "2026-09-01", perDay: 100 });

interface Job {
  id: number;
  kind: WorkKind;
  run: string;
  arg: string;
  queuedAt: number;
  doneAt?: number;
}

// --- the child processes ---------------------------------------------------------------------

/** `--budget-bdns`: the loopback BDNS, alone in its process so that its arrival times are its own. */
export async function serveBudgetBdns(): Promise<void> {
  const bdns = await startFakeBdns({ dataset: dataset(), maxPerSecond: 10, latencyMs: (p) => (p === "/convocatorias/busqueda" ? PAGE_MS : 0) });
  process.stdout.write(`${bdns.url}\n`);
  createInterface({ input: process.stdin }).on("line", () => {
    const at = bdns.requests.map((r) => r.at);
    process.stdout.write(`${JSON.stringify({ requests: at.length, tooMany: bdns.tooMany(), first: at[0], last: at.at(-1) })}\n`);
    bdns.requests.length = 0;
  });
  process.stdin.on("end", () => void bdns.close());
}

/** `--budget-worker <json>`: a serve-like worker; jobs in on stdin, one JSON line each, done out. */
export async function budgetWorker(json: string): Promise<void> {
  const w = await openWorker(JSON.parse(json) as WorkerConfig);
  process.stdout.write("ready\n");
  createInterface({ input: process.stdin }).on("line", (line) => {
    if (line === "stats") return void process.stdout.write(`${JSON.stringify({ stats: w.stats() })}\n`);
    const job = JSON.parse(line) as Job;
    void runJob(w.client, job).then((ok) => process.stdout.write(`${JSON.stringify({ id: job.id, ok })}\n`));
  });
  process.stdin.on("end", () => void w.close().then(() => process.exit(0)));
}

interface WorkerConfig {
  bdnsUrl: string;
  /** Shared budget in this store, or undefined: the in-process spacer alone. */
  databaseUrl?: string;
}

/** Counts, per process, starts and the longest stretch without one while requests were waiting. */
class CountingSpacer extends StartSpacer {
  starts = 0;
  waiting = 0;
  longestStarved = 0;
  private lastStartAt = performance.now();
  override run<T>(start: () => Promise<T>, work?: Work): Promise<T> {
    if (this.waiting++ === 0) this.lastStartAt = performance.now(); // it starts waiting now
    return super.run(() => {
      const now = performance.now();
      this.longestStarved = Math.max(this.longestStarved, now - this.lastStartAt);
      this.lastStartAt = now;
      this.waiting--;
      this.starts++;
      return start();
    }, work);
  }
}

async function openWorker(c: WorkerConfig) {
  const store = c.databaseUrl ? await Store.open(c.databaseUrl) : undefined;
  const rtts: number[] = [];
  let missed = 0;
  const fallbacks: string[] = [];
  // The spacer reports a slot it woke up too late for; the budget, reservations and fallbacks.
  const observer: BudgetObserver = { reserved: (d) => void rtts.push(d.roundTripMs), missed: () => void missed++, fallback: (active, d) => void (active && fallbacks.push(d.reason ?? "?")) };
  const slots = c.databaseUrl ? new SharedBudget(async () => openBudgetStore(c.databaseUrl), { ratePerSecond: RATE, observer }) : undefined;
  const spacer = new CountingSpacer(RATE, slots ? { slots, observer } : { observer });
  await spacer.wait();
  spacer.starts = 0;
  return {
    client: new BdnsClient({ baseUrl: c.bdnsUrl, spacer, maxAttempts: 1 }),
    stats: () => ({ starts: spacer.starts, longestStarvedMs: spacer.longestStarved, missed, fallbacks, reservationMs: percentiles(rtts) }),
    async close() {
      await spacer.close();
      await store?.close();
    },
  };
}

async function runJob(client: BdnsClient, job: Job): Promise<boolean> {
  const c = client.for({ kind: job.kind, run: job.run });
  try {
    if (job.kind === "page") await c.searchConvocatorias({ from: "2026-09-01", to: "2026-09-12", page: Number(job.arg), pageSize: 100 });
    else if (job.kind === "detail") await c.getConvocatoria(job.arg);
    else await readAll((await c.downloadDocument(job.arg)).body);
    return true;
  } catch {
    return false;
  }
}

// --- the simulated Inngest queue ------------------------------------------------------------------

const PER_RUN: Record<string, number> = { page: 2, detail: 8, document: 12, plan: 8 };
const POOL = { page: 6, items: 24 };

interface Worker {
  inFlight: number;
  exec(job: Job): Promise<boolean>;
  stats(): Promise<{ starts: number; longestStarvedMs: number; missed: number; fallbacks: string[]; reservationMs: string }>;
  close(): Promise<void>;
}

class SimulatedQueue {
  private pending: Job[] = [];
  private running = new Map<string, number>();
  private pool = { page: 0, items: 0 };
  private nextId = 0;
  failures = 0;
  constructor(private readonly workers: Worker[]) {}

  add(run: string, work: Array<[WorkKind, string]>): Promise<Job[]> {
    const jobs = work.map(([kind, arg]) => ({ id: this.nextId++, kind, run, arg, queuedAt: performance.now() }));
    this.pending.push(...jobs);
    const done = new Promise<Job[]>((resolve) => (this.waiters.push({ jobs, resolve }), this.dispatch()));
    return done;
  }
  private waiters: Array<{ jobs: Job[]; resolve(j: Job[]): void }> = [];

  private dispatch(): void {
    for (let i = 0; i < this.pending.length; i++) {
      const job = this.pending[i]!;
      const key = `${job.run}/${job.kind}`;
      const pool = job.kind === "page" ? "page" : "items";
      if ((this.running.get(key) ?? 0) >= PER_RUN[job.kind]! || this.pool[pool] >= POOL[pool]) continue;
      this.pending.splice(i--, 1);
      this.running.set(key, (this.running.get(key) ?? 0) + 1);
      this.pool[pool]++;
      const worker = this.workers.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
      worker.inFlight++;
      void worker.exec(job).then((ok) => {
        worker.inFlight--;
        if (!ok) this.failures++;
        job.doneAt = performance.now();
        this.running.set(key, this.running.get(key)! - 1);
        this.pool[pool]--;
        this.waiters = this.waiters.filter((w) => (w.jobs.every((j) => j.doneAt) ? (w.resolve(w.jobs), false) : true));
        this.dispatch();
      });
    }
  }
}

function inProcessWorker(w: Awaited<ReturnType<typeof openWorker>>): Worker {
  return { inFlight: 0, exec: (job) => runJob(w.client, job), stats: async () => w.stats(), close: () => w.close() };
}

async function childWorker(c: WorkerConfig): Promise<Worker> {
  const child = spawn(process.execPath, [process.argv[1]!, "--budget-worker", JSON.stringify(c)], { stdio: ["pipe", "pipe", "inherit"] });
  const pending = new Map<number, (ok: boolean) => void>();
  let onStats: ((s: never) => void) | undefined;
  let ready: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  createInterface({ input: child.stdout }).on("line", (line) => {
    if (line === "ready") return ready();
    const m = JSON.parse(line) as { id?: number; ok?: boolean; stats?: never };
    if (m.stats) return onStats?.(m.stats);
    pending.get(m.id!)?.(m.ok!);
    pending.delete(m.id!);
  });
  await isReady;
  return {
    inFlight: 0,
    exec: (job) => new Promise((resolve) => (pending.set(job.id, resolve), child.stdin.write(`${JSON.stringify(job)}\n`))),
    stats: () => new Promise((resolve) => ((onStats = resolve), child.stdin.write("stats\n"))),
    close: () => new Promise<void>((resolve) => (child.once("exit", () => resolve()), child.stdin.end())),
  };
}

// --- the measurements ----------------------------------------------------------------------------

async function startBdnsChild() {
  const child = spawn(process.execPath, [process.argv[1]!, "--budget-bdns"], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const url = String((await lines.next()).value);
  return {
    url,
    /** What arrived since the last call: count, 429s, span. */
    async take() {
      child.stdin.write("take\n");
      return JSON.parse(String((await lines.next()).value)) as { requests: number; tooMany: number; first: number; last: number };
    },
    stop: () => void child.stdin.end(),
  };
}

/** The issue's mix: listing pages of 2.5 s, 200 details, 300 documents. */
function mixedWork(): Array<[WorkKind, string]> {
  const d = dataset();
  const pages: Array<[WorkKind, string]> = Array.from({ length: 10 }, (_, i) => ["page", String(i)]);
  const details: Array<[WorkKind, string]> = d.slice(0, 200).map((c) => ["detail", c.bdns]);
  const documents: Array<[WorkKind, string]> = d.slice(200, 350).flatMap((c) => c.documents.map((x) => ["document", String(x.id)] as [WorkKind, string]));
  return [...pages, ...details, ...documents];
}

async function mixed(name: string, bdns: Awaited<ReturnType<typeof startBdnsChild>>, workers: Worker[]): Promise<boolean> {
  const queue = new SimulatedQueue(workers);
  await bdns.take();
  const t0 = performance.now();
  await queue.add("mixed", mixedWork());
  const wall = (performance.now() - t0) / 1000;
  const seen = await bdns.take();
  const rate = (seen.requests - 1) / ((seen.last - seen.first) / 1000);
  const stats = await Promise.all(workers.map((w) => w.stats()));
  console.log(`      ${name}: ${seen.requests} requests in ${wall.toFixed(1)} s (last page answers 2.5 s after its start); per process: ${stats.map((s) => `${s.starts} starts, longest without a start while waiting ${s.longestStarvedMs.toFixed(0)} ms, ${s.missed} slots given up, ${s.fallbacks.length === 0 ? "never fell back" : `fell back ${s.fallbacks.length}× (${[...new Set(s.fallbacks)].join("; ")})`}, reservation ${s.reservationMs}`).join("; ")}`);
  let ok = report(`${name}: request rate at BDNS`, `${rate.toFixed(2)} req/s`, "≥ 9.2 req/s", rate >= 9.2);
  ok = report(`${name}: 429s (> 10 starts in a sliding second)`, `${seen.tooMany} (failed jobs ${queue.failures})`, "0", seen.tooMany === 0 && queue.failures === 0) && ok;
  if (workers.length > 1) {
    const starved = Math.max(...stats.map((s) => s.longestStarvedMs));
    ok = report(`${name}: no process idle while work waits`, `longest ${starved.toFixed(0)} ms`, "< 1 s", starved < 1000) && ok;
  }
  return ok;
}

/** A daily-sized run (40 details, 60 documents), alone and then 5 s into a backfill. */
async function dailyDuringBackfill(bdns: Awaited<ReturnType<typeof startBdnsChild>>, workers: Worker[]): Promise<boolean> {
  const d = dataset();
  const daily: Array<[WorkKind, string]> = [...d.slice(1000, 1040).map((c) => ["detail", c.bdns] as [WorkKind, string]), ...d.slice(1040, 1070).flatMap((c) => c.documents.map((x) => ["document", String(x.id)] as [WorkKind, string]))];
  const backfill: Array<[WorkKind, string]> = [
    ...Array.from({ length: 12 }, (_, i) => ["page", String(i % 12)] as [WorkKind, string]),
    ...d.slice(0, 500).map((c) => ["detail", c.bdns] as [WorkKind, string]),
    ...d.slice(500, 900).flatMap((c) => c.documents.map((x) => ["document", String(x.id)] as [WorkKind, string])),
  ];
  const span = (jobs: Job[]) => (Math.max(...jobs.map((j) => j.doneAt!)) - Math.min(...jobs.map((j) => j.queuedAt))) / 1000;
  const queue = new SimulatedQueue(workers);
  const alone = span(await queue.add("daily-alone", daily));
  const back = queue.add("backfill", backfill);
  await new Promise((r) => setTimeout(r, 5_000));
  const during = span(await queue.add("daily", daily));
  const backfillLeft = await Promise.race([back.then(() => false), Promise.resolve(true)]);
  await back;
  await bdns.take();
  const bound = 2 * alone + 2;
  console.log(`      daily run (40 details, 60 documents): alone ${alone.toFixed(1)} s; started 5 s into a backfill (12 pages, 500 details, 800 documents) ${during.toFixed(1)} s; the backfill ${backfillLeft ? "was still running when it finished" : "had finished first (the bench is too short)"}`);
  return report("daily run during a backfill", `${during.toFixed(1)} s (alone ${alone.toFixed(1)} s)`, `≤ 2 × alone + 2 s = ${bound.toFixed(1)} s`, during <= bound && backfillLeft);
}

export async function benchBudget(): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), "ayida-bench-budget-"));
  const bdns = await startBdnsChild();
  const pg = await startPostgres();
  let ok = true;
  try {
    // The cost of the shared path, one process alone: a reservation's round trip.
    const one = inProcessWorker(await openWorker({ bdnsUrl: bdns.url }));
    ok = (await mixed("1 process, in-process spacer", bdns, [one])) && ok;
    await one.close();
    const oneShared = inProcessWorker(await openWorker({ bdnsUrl: bdns.url, databaseUrl: join(dir, "one.db") }));
    ok = (await mixed("1 process, shared budget on SQLite", bdns, [oneShared])) && ok;
    await oneShared.close();

    for (const [name, databaseUrl] of [["PostgreSQL", await pg.createDatabase()], ["one SQLite file", join(dir, "three.db")]] as const) {
      if (name === "PostgreSQL") await (await Store.open(databaseUrl)).close(); // migrated once, before three processes race to
      const workers = await Promise.all([0, 1, 2].map(() => childWorker({ bdnsUrl: bdns.url, databaseUrl })));
      ok = (await mixed(`3 processes sharing ${name}`, bdns, workers)) && ok;
      if (name === "PostgreSQL") ok = (await dailyDuringBackfill(bdns, workers)) && ok;
      await Promise.all(workers.map((w) => w.close()));
    }
  } finally {
    bdns.stop();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return ok;
}

function percentiles(xs: number[]): string {
  if (xs.length === 0) return "n/a";
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(2);
  return `p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`;
}

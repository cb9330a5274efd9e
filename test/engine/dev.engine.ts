/**
 * `ayida-jobs dev --sample --sync all` with the real Inngest Dev Server (the suite's binary, through
 * INNGEST_DEV_BIN), as a newcomer runs it: ready, the sync of every dataset done within a minute,
 * with no network — every dataset's sample rows in the store, every document the sample announces on
 * disk at its announced size — and Ctrl-C leaves no process behind.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DATASETS } from "../../src/datasets/index.js";
import { startSampleBdns, type SampleBdns } from "../../src/sample/server.js";
import { readSampleDataset, sampleClient, sampleDocuments } from "../support/sample-read.js";
import { freePorts } from "./support/free-ports.js";
import { resolveInngestBinary } from "./support/inngest-binary.js";
import { startProcess, tailOf, type ChildProc } from "./support/processes.js";
import { BIN } from "./support/repo.js";
import { waitFor } from "./support/wait.js";

const dir = mkdtempSync(join(tmpdir(), "ayida-engine-dev-"));
let dev: ChildProc;
let sample: SampleBdns; // the same data, for what the store must hold
let enginePort: number;

/** Every live (non-zombie) process below `pid`, from /proc. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [, state, ppid] = /\) (\S) (\d+)/.exec(stat)!;
      if (state !== "Z") children.set(Number(ppid), [...(children.get(Number(ppid)) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  for (const queue = [pid]; queue.length; ) for (const c of children.get(queue.shift()!) ?? []) out.push(c), queue.push(c);
  return out;
}
const alive = (pid: number) => {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

beforeAll(async () => {
  const binary = resolveInngestBinary();
  [enginePort] = (await freePorts(1)) as [number];
  sample = await startSampleBdns();
  dev = startProcess("dev", process.execPath, ["--", BIN, "dev", "--sample", "--sync", "all", "--port", "0", "--inngest-port", String(enginePort)], {
    env: { PATH: process.env.PATH, HOME: dir, NODE_ENV: "test", CI: "1", FORCE_COLOR: "0", INNGEST_DEV_BIN: binary.path },
    cwd: dir,
    logDir: dir,
  });
});
afterAll(async () => {
  await dev?.kill();
  await sample?.close();
  rmSync(dir, { recursive: true, force: true });
});

it("ready, then the sync of every dataset succeeds within a minute of starting, offline", async () => {
  const started = performance.now();
  await waitFor("dev to be ready", () => {
    if (dev.hasExited()) throw new Error(`dev exited:\n${tailOf(dev)}`);
    return /ready in [\d.]+ s/.test(dev.output()) && /^ {2}logs /m.test(dev.output()); // stderr's line, and stdout's summary
  }, { timeoutMs: 60_000, describe: () => tailOf(dev, 10) });
  expect(dev.output()).toContain(`Dev Server UI  http://localhost:${enginePort}`);
  await waitFor("the sync to succeed", () => {
    if (dev.hasExited()) throw new Error(`dev exited:\n${tailOf(dev)}`);
    if (/run \S+ (failed|is not done)/.test(dev.output())) throw new Error(`the sync did not succeed:\n${tailOf(dev)}`);
    return /run \S+ succeeded in/.test(dev.output());
  }, { timeoutMs: Math.max(1000, 60_000 - (performance.now() - started)), describe: () => tailOf(dev, 10) });
  expect(dev.output()).toContain("the sync is done; the Dev Server and serve keep running until Ctrl-C");
});

it("every dataset's sample rows are in the store, and every document the sample announces is on disk", async () => {
  const db = new Database(join(dir, "data/sample/ayida-jobs.db"), { readonly: true, fileMustExist: true });
  const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  const bdns = sampleClient(sample.url);
  for (const d of DATASETS) {
    const { rows } = await readSampleDataset(bdns, d.name);
    for (const [table, n] of Object.entries(rows)) expect(count(table), `${d.name}: ${table}`).toBe(n);
  }
  const docs = await sampleDocuments(bdns);
  const convocatorias = docs.filter((x) => x.owner.startsWith("convocatoria"));
  expect(count("convocatorias")).toBe(new Set(convocatorias.map((x) => x.owner)).size);
  expect(db.prepare("SELECT count(*) AS n FROM convocatorias WHERE detail_json IS NOT NULL").get()).toEqual({ n: count("convocatorias") });
  const stored = db.prepare("SELECT id, stored_size, stored_path FROM documentos").all() as Array<{ id: string; stored_size: number; stored_path: string }>;
  expect(stored.map((s) => [s.id, s.stored_size]).sort()).toEqual(convocatorias.map((x) => [x.id, x.size]).sort());
  for (const s of stored) expect(statSync(join(dir, "data/sample/documents", s.stored_path)).size).toBe(s.stored_size);
  const plans = db.prepare("SELECT id FROM planes_estrategicos_documentos WHERE stored_size > 0").all() as Array<{ id: string }>;
  expect(plans.map((p) => p.id).sort()).toEqual(docs.filter((x) => x.owner.startsWith("plan")).map((x) => x.id).sort());
  db.close();
});

it("Ctrl-C: exit 130, and no process dev started is left", async () => {
  const below = descendants(dev.pid);
  expect(below.length).toBeGreaterThanOrEqual(2); // the watchdog and the Dev Server
  process.kill(dev.pid, "SIGINT");
  expect(await dev.exited).toEqual({ code: 130, signal: null });
  expect(below.filter(alive)).toEqual([]);
  expect(dev.output()).toContain("stopped");
});

/**
 * A fleet on PostgreSQL survives its database, on the real engine: three `serve` instances behind one
 * app URL (a round-robin balancer the Dev Server syncs), one PostgreSQL for the store and the BDNS
 * budget, the BDNS stand-in. In the middle of a sync the database is restarted — `pg_ctl restart -m
 * fast` (every session ends with 57P01) — and, in a second sync, stopped with `-m immediate` (sessions
 * dropped without a word) and started again 3 s later. Meanwhile an operator follows each run with
 * `sync … --wait --json` and `status … --watch --json`, both reading the same database.
 *
 * What must hold: no instance exits; the steps that failed while the database was away are retried by
 * the engine and the run ends with exact counters (nothing counted twice: a step whose commit was cut
 * is retried as one transaction, Store.once); `--wait` and `status --watch` ride the outage out, exit 0
 * and print exactly one JSON document each.
 *
 * The Dev Server runs with --retry-interval 1 and serve with RETRY_BACKOFF=1s: an attempt failed by
 * the outage is retried a second later, not after Inngest's 15 s + jitter.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { documentBytes, makeDataset, type FakeConvocatoria } from "../support/bdns-server.js";
import { startDeployment, type Deployment } from "./support/deployment.js";
import { waitFor } from "./support/wait.js";

// Two windows of 40 convocatorias with a document each: one sync per case, each a single piece.
const dataset = makeDataset(80, { firstDate: "2026-11-02", perDay: 8, docs: 1, light: true });
const windows = [
  { from: "2026-11-02", to: "2026-11-06", convocatorias: dataset.slice(0, 40) },
  { from: "2026-11-07", to: "2026-11-11", convocatorias: dataset.slice(40) },
];

let d: Deployment;
beforeAll(async () => {
  d = await startDeployment({ dataset, instances: 3, database: "postgres", retryIntervalS: 1, serveEnv: { RETRY_BACKOFF: "1s" } });
}, 120_000);
afterAll(() => d?.close());

/** One short-lived query (a connection of its own, so that the outage cannot take the test's down with it). */
async function query<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: d.postgres!.url, connectionTimeoutMillis: 2_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const storedDetails = async (codes: readonly string[]) => Number((await query<{ n: string }>("SELECT COUNT(*) AS n FROM convocatorias WHERE bdns = ANY($1) AND content_hash IS NOT NULL", [codes]))[0]!.n);

async function syncThroughOutage(runId: string, w: (typeof windows)[number], outage: () => Promise<void>) {
  const env = d.operatorEnv();
  const wait = d.cli(["sync", "convocatorias", "--from", w.from, "--to", w.to, "--run-id", runId, "--wait", "--json"], env);
  const watch = d.cli(["status", runId, "--watch", "--json"], env);
  const codes = w.convocatorias.map((c) => c.bdns);
  // In the middle of it: some details stored, most not.
  await waitFor(`run ${runId} to store its first details`, async () => (await storedDetails(codes).catch(() => 0)) >= 6, { timeoutMs: 90_000, intervalMs: 100, describe: d.diagnose });
  expect(await storedDetails(codes), "the outage came too late to be in the middle of the sync").toBeLessThan(40);
  await outage();
  const [sent, watched] = await Promise.all([wait, watch]);
  return { sent, watched };
}

function expectOneDocument(r: { code: number | null; stdout: string; stderr: string }, what: string) {
  expect(r.code, `${what}: ${r.stderr.slice(-3000)}`).toBe(0);
  expect(r.stdout.trim().split("\n"), `${what}: exactly one JSON document on stdout`).toHaveLength(1);
  expect(r.stderr, what).not.toContain("Unhandled 'error' event");
  return JSON.parse(r.stdout) as { ok: boolean; run: { runId: string; state: string } };
}

async function expectExact(runId: string, convocatorias: readonly FakeConvocatoria[]) {
  const [run] = await query("SELECT * FROM sync_runs WHERE run_id = $1", [runId]);
  expect(run).toMatchObject({ status: "succeeded", pieces: 1, pieces_done: 1, listed: 40, queued: 40, new: 40, changed: 0, unchanged: 0, failed: 0, documents_stored: 40 });
  const items = await query<{ kind: string; state: string; n: string }>("SELECT kind, state, COUNT(*) AS n FROM run_items WHERE run_id = $1 GROUP BY kind, state ORDER BY kind, state", [runId]);
  expect(items.map((i) => [i.kind, i.state, Number(i.n)])).toEqual([
    ["detail", "stored", 40],
    ["document", "stored", 40],
    ["piece", "stored", 1],
  ]);
  // Every record and file as BDNS served it (detail_json is jsonb on PostgreSQL: read as its text).
  const rows = new Map((await query<{ bdns: string; detail_json: string }>("SELECT bdns, detail_json::text AS detail_json FROM convocatorias WHERE bdns = ANY($1)", [convocatorias.map((c) => c.bdns)])).map((r) => [r.bdns, r]));
  const docs = new Map((await query<{ id: string; sha256: string; stored_path: string }>("SELECT id, sha256, stored_path FROM documentos WHERE bdns = ANY($1)", [convocatorias.map((c) => c.bdns)])).map((r) => [r.id, r]));
  for (const c of convocatorias) {
    const { advertencia: _notice, ...record } = c.detail;
    expect(JSON.parse(rows.get(c.bdns)!.detail_json), `detail of ${c.bdns}`).toEqual(record);
    for (const doc of c.documents) {
      const want = createHash("sha256").update(documentBytes(doc)).digest("hex");
      const row = docs.get(String(doc.id));
      expect(row?.sha256, `document ${doc.id} recorded`).toBe(want);
      expect(createHash("sha256").update(readFileSync(join(d.store.documentsDir, row!.stored_path))).digest("hex"), `document ${doc.id} on disk`).toBe(want);
    }
  }
}

function expectFleetAlive() {
  for (const s of d.instances) {
    expect(s.proc.hasExited(), `${s.proc.name} exited:\n${s.proc.output().slice(-3000)}`).toBe(false);
    expect(s.proc.output(), s.proc.name).not.toContain("Unhandled 'error' event");
  }
}

it("pg_ctl restart -m fast in the middle of a sync: no instance exits, exact counters, --wait and status --watch exit 0 with one JSON document", async () => {
  const { sent, watched } = await syncThroughOutage("outage-fast", windows[0]!, () => d.postgres!.server.restart("fast"));
  expectFleetAlive();
  expect(expectOneDocument(sent, "sync --wait")).toMatchObject({ ok: true, run: { runId: "outage-fast", state: "succeeded" } });
  expect(expectOneDocument(watched, "status --watch")).toMatchObject({ ok: true, run: { runId: "outage-fast", state: "succeeded" } });
  await expectExact("outage-fast", windows[0]!.convocatorias);
  // The instances said what happened, once each way at most, and rode it out.
  expect(d.instances.some((s) => s.proc.output().includes("store: a database connection was lost"))).toBe(true);
}, 180_000);

it("pg_ctl stop -m immediate, started again 3 s later, in the middle of a sync: the same", async () => {
  const { sent, watched } = await syncThroughOutage("outage-immediate", windows[1]!, async () => {
    await d.postgres!.server.stopServer("immediate");
    await new Promise((r) => setTimeout(r, 3_000));
    await d.postgres!.server.startServer();
  });
  expectFleetAlive();
  expect(expectOneDocument(sent, "sync --wait")).toMatchObject({ ok: true, run: { runId: "outage-immediate", state: "succeeded" } });
  expect(expectOneDocument(watched, "status --watch")).toMatchObject({ ok: true, run: { runId: "outage-immediate", state: "succeeded" } });
  await expectExact("outage-immediate", windows[1]!.convocatorias);
}, 180_000);

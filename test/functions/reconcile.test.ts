/**
 * serve's reconcile (src/functions/reconcile.ts) on a real store (SQLite and PostgreSQL) against a
 * loopback engine record that answers as the Dev Server's REST API was observed to (events by name,
 * newest first, with our id and its own internal id; each event's runs). Work whose run the engine
 * ended without the store hearing of it fails with the engine's reason, once; work still going, or
 * in a run that moves, is left alone and not even asked about.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openEngineRecord } from "../../src/adapters/inngest/engine-record.js";
import { RunQueries } from "../../src/adapters/store/run-queries.js";
import { Store, workItem } from "../../src/adapters/store/store.js";
import { parseEnv } from "../../src/config/env.js";
import { buildDetailRequests, buildDocumentRequest, payload } from "../../src/contracts/build.js";
import { buildSyncRequests } from "../../src/contracts/sync-requests.js";
import { EVENT } from "../../src/contracts/schemas.js";
import { Reconciler } from "../../src/functions/reconcile.js";
import { readRunState } from "../../src/runs/state.js";
import { startFakeEventApi, type FakeEventApi, type RecordedEvent } from "../support/event-api.js";
import { usePostgres } from "../support/postgres.js";

const T0 = Date.UTC(2026, 10, 28, 3, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const AFTER_MS = 120_000;
const UNREACHABLE = { error: { error: "Unable to reach SDK URL", name: "Error", message: "Unable to reach SDK URL" } };

let engine: FakeEventApi;
const pg = usePostgres();
beforeAll(async () => {
  engine = await startFakeEventApi();
});
afterAll(() => engine.close());

describe.each(["sqlite", "postgres"] as const)("reconcile on %s", (dialect) => {
  let store: Store;
  let now: Date;
  let logs: Array<Record<string, unknown>>;
  const reconciler = () => {
    const record = openEngineRecord(parseEnv({ INNGEST_DEV: engine.url }));
    if ("unavailable" in record) throw new Error(record.unavailable);
    const logger = pino({ level: "debug" }, new Writable({ write: (c, _e, done) => (logs.push(JSON.parse(String(c))), done()) }));
    return new Reconciler(async () => store, record, logger, { afterMs: AFTER_MS, now: () => now });
  };
  /** As a sender's POST would record it: the event as the contracts build it, received at `s`. */
  const sent = (e: { name: string; data: Record<string, unknown>; id: string }, s: number) => engine.addEvent({ ...e, receivedAt: at(s) });
  const ctx = (runId: string) => ({ runId, timestamp: at(0) });
  const restCalls = () => engine.requests.filter((r) => r.path.startsWith("/v1/")).length;

  beforeEach(async () => {
    engine.recorded.length = 0;
    engine.requests.length = 0;
    engine.setRuns(undefined);
    logs = [];
    now = new Date(T0 + 600_000);
    store = await Store.open(dialect === "sqlite" ? join(mkdtempSync(join(tmpdir(), "ayida-reconcile-")), "ayida.db") : await pg().createDatabase());
  });
  afterEach(() => store.close());

  it("a queued detail whose run the engine failed (serve unreachable): failed with the engine's reason, counted once; retrying the pass changes nothing", async () => {
    await store.ensureRun("r1", "sync", { from: "2026-11-21", to: "2026-11-27" }, "convocatorias", at(0));
    await store.setPieces("r1", 1);
    const [ok, lost] = buildDetailRequests(["900001", "900002"], ctx("r1"));
    sent(ok!, 2);
    sent(lost!, 2);
    await store.queueItems("r1", [workItem.detail("900001"), workItem.detail("900002")], at(3));
    await store.itemDone("r1", workItem.piece({ from: "2026-11-21", to: "2026-11-27" }), "stored", at(3));
    await store.completePiece("r1", "convocatorias", at(3));
    await store.itemDone("r1", workItem.detail("900001"), "stored", at(5));
    engine.setRuns((e) => (e.id === lost!.id ? [{ run_id: "01RUN2", status: "Failed", ended_at: at(9), output: UNREACHABLE }] : [{ run_id: "01RUN1", status: "Completed" }]));

    const r = reconciler();
    const pass = await r.pass();
    expect(pass.recorded).toEqual([{ runId: "r1", dataset: "convocatorias", kind: "detail", item: "900002", failure: "ENGINE_FAILED", reason: expect.stringContaining("run 01RUN2 as failed (Unable to reach SDK URL)") }]);
    const s = await readRunState(new RunQueries(store.db), "r1");
    expect(s).toMatchObject({ state: "failed", done: true, totals: { items: { stored: 2, failed: 1, queued: 0 }, counters: { failed: 1 } } });
    expect(s.failures).toEqual([expect.objectContaining({ kind: "detail", item: "900002", bdns: "900002", failure: "ENGINE_FAILED" })]);

    now = new Date(now.getTime() + 10 * AFTER_MS);
    expect((await r.pass()).recorded).toEqual([]);
    expect((await store.getRun("r1"))!.failed).toBe(1);
  });

  it("work the engine still runs (scheduled, running, between attempts) or completed is left alone", async () => {
    await store.ensureRun("r2", "detail", {}, "convocatorias", at(0));
    const [a, b] = buildDetailRequests(["1", "2"], ctx("r2"));
    sent(a!, 0);
    sent(b!, 0);
    await store.itemFailing("r2", workItem.detail("1"), { attempt: 6, maxAttempts: 6, failure: "SERVER", reason: "HTTP 500", nextAttemptAt: null }, at(1));
    await store.queueItems("r2", [workItem.detail("2")], at(1));
    // The Dev Server lists a run between attempts as Failed, without an end time: not over.
    engine.setRuns((e) => [e.id === a!.id ? { run_id: "run-a", status: "Failed", ended_at: null, output: UNREACHABLE } : { run_id: "run-b", status: "Scheduled" }]);
    const pass = await reconciler().pass();
    expect(pass).toMatchObject({ asked: 2, going: 2, recorded: [] });
    expect((await readRunState(new RunQueries(store.db), "r2")).state).toBe("running");
  });

  it("an event the engine received but started no run for: NEVER_STARTED once it is older than RECONCILE_AFTER; not before", async () => {
    await store.ensureRun("r3", "document", {}, "convocatorias", at(0));
    const doc = buildDocumentRequest("900003", "77", ctx("r3"));
    sent(doc, 0);
    await store.queueItems("r3", [workItem.document("900003", "77")], at(0));
    now = new Date(T0 + 60_000); // the run is quiet for a minute only
    expect(await reconciler().pass()).toMatchObject({ asked: 0, recorded: [] });
    expect(restCalls()).toBe(0); // a run that moved within RECONCILE_AFTER is not asked about at all
    now = new Date(T0 + AFTER_MS + 1000);
    const pass = await reconciler().pass();
    expect(pass.recorded).toEqual([expect.objectContaining({ kind: "document", item: "900003/77", failure: "NEVER_STARTED", reason: expect.stringContaining(`received the event at ${at(0)} but started no function run`) })]);
  });

  it("a repeat of an event (same id, a new internal id, no run) does not hide the first copy's run", async () => {
    await store.ensureRun("r4", "detail", {}, "convocatorias", at(0));
    const [d] = buildDetailRequests(["4"], ctx("r4"));
    const first = sent(d!, 0);
    sent(d!, 30); // a CI step re-run with the same --run-id: Inngest drops the repeat
    await store.queueItems("r4", [workItem.detail("4")], at(1));
    engine.setRuns((e) => (e.internal_id === first ? [{ run_id: "01R4", status: "Running" }] : []));
    expect(await reconciler().pass()).toMatchObject({ asked: 1, going: 1, recorded: [] });
  });

  it("a run that is still moving is not asked about, whatever its oldest items say", async () => {
    await store.ensureRun("r5", "sync", {}, "convocatorias", at(0));
    const [d1, d2] = buildDetailRequests(["51", "52"], ctx("r5"));
    sent(d1!, 0);
    sent(d2!, 0);
    await store.queueItems("r5", [workItem.detail("51"), workItem.detail("52")], at(0));
    await store.itemDone("r5", workItem.detail("51"), "stored", new Date(now.getTime() - 5000).toISOString());
    engine.setRuns(() => [{ run_id: "x", status: "Failed", ended_at: at(9), output: UNREACHABLE }]);
    expect(await reconciler().pass()).toMatchObject({ asked: 0, recorded: [] });
    expect(restCalls()).toBe(0);
  });

  it("an item failing with an attempt still due is not asked about", async () => {
    await store.ensureRun("r6", "detail", {}, "convocatorias", at(0));
    sent(buildDetailRequests(["6"], ctx("r6"))[0]!, 0);
    await store.itemFailing("r6", workItem.detail("6"), { attempt: 5, maxAttempts: 6, failure: "SERVER", reason: "HTTP 500", nextAttemptAt: new Date(now.getTime() + 60_000).toISOString() }, at(1));
    engine.setRuns(() => [{ run_id: "x", status: "Failed", ended_at: at(9), output: UNREACHABLE }]);
    expect(await reconciler().pass()).toMatchObject({ asked: 0, recorded: [] });
  });

  it("sync rows: a sync whose own run the engine failed fails its row; a `sync all` dataset never picked up fails as NEVER_STARTED", async () => {
    const events = buildSyncRequests({ dataset: "all", from: "2026-11-21", to: "2026-11-27" }, ctx("r7"));
    for (const e of events) sent(e, 0);
    // convocatorias' function picked the run up and filed all eleven; then serve went away for good.
    await store.ensureRequested("r7", events.map((e) => e.name.split("/")[0]!), at(1));
    await store.ensureRun("r7", "sync", { from: "2026-11-21", to: "2026-11-27" }, "convocatorias", at(1));
    await store.setPieces("r7", 1);
    for (const d of ["organos", "regiones"]) {
      await store.ensureRun("r7", "sync", {}, d, at(2));
      await store.setPieces("r7", 1, d);
      await store.itemDone("r7", { dataset: d, kind: "piece", key: "p" }, "stored", at(3));
      await store.completePiece("r7", d, at(3));
    }
    const failedSync = events.find((e) => e.name === EVENT.syncRequested)!;
    engine.setRuns((e) => (e.id === failedSync.id ? [{ run_id: "01SYNC", status: "Failed", ended_at: at(8), output: UNREACHABLE }] : e.name.startsWith("organos/") || e.name.startsWith("regiones/") ? [{ run_id: "ok", status: "Completed" }] : []));
    const pass = await reconciler().pass();
    expect(pass.recorded.map((x) => [x.dataset, x.failure]).sort()).toEqual([
      ["ayudas-estado", "NEVER_STARTED"],
      ["catalogos", "NEVER_STARTED"],
      ["concesiones", "NEVER_STARTED"],
      ["convocatorias", "ENGINE_FAILED"],
      ["grandes-beneficiarios", "NEVER_STARTED"],
      ["minimis", "NEVER_STARTED"],
      ["partidos-politicos", "NEVER_STARTED"],
      ["planes-estrategicos", "NEVER_STARTED"],
      ["sanciones", "NEVER_STARTED"],
    ]);
    const s = await readRunState(new RunQueries(store.db), "r7");
    expect(s).toMatchObject({ state: "failed", done: true });
    expect(s.datasets.filter((d) => d.status === "failed")).toHaveLength(9);
    // Filed as the failure handler would have: the request's own item (one piece: the piece itself).
    expect(s.failures.find((f) => f.dataset === "convocatorias")).toMatchObject({ kind: "piece", item: "2026-11-21..2026-11-27", failure: "ENGINE_FAILED" });
    expect(s.failures.find((f) => f.dataset === "organos")).toBeUndefined();
  });

  it("asks again later, less and less often, about what is still going", async () => {
    await store.ensureRun("r8", "detail", {}, "convocatorias", at(0));
    sent(buildDetailRequests(["8"], ctx("r8"))[0]!, 0);
    await store.queueItems("r8", [workItem.detail("8")], at(0));
    engine.setRuns(() => [{ run_id: "r", status: "Running" }]);
    const r = reconciler();
    expect((await r.pass()).asked).toBe(1);
    now = new Date(now.getTime() + AFTER_MS / 2);
    expect((await r.pass()).asked).toBe(0);
    now = new Date(now.getTime() + AFTER_MS / 2);
    expect((await r.pass()).asked).toBe(1);
    now = new Date(now.getTime() + AFTER_MS);
    expect((await r.pass()).asked).toBe(0); // twice as long now
    now = new Date(now.getTime() + AFTER_MS);
    expect((await r.pass()).asked).toBe(1);
    // Still going; then the engine gives up: recorded at the next ask.
    engine.setRuns(() => [{ run_id: "r", status: "Failed", ended_at: at(400), output: { error: { message: "attempt to write a readonly database" } } }]);
    now = new Date(now.getTime() + 4 * AFTER_MS);
    expect((await r.pass()).recorded).toEqual([expect.objectContaining({ item: "8", reason: expect.stringContaining("(attempt to write a readonly database)") })]);
  });

  it("never over an outcome a function wrote meanwhile", async () => {
    await store.ensureRun("r9", "detail", {}, "convocatorias", at(0));
    await store.itemDone("r9", workItem.detail("9"), "stored", at(1));
    await store.recordFailure("r9", workItem.detail("9"), { failure: "ENGINE_FAILED", reason: "late word", onlyIfUnsettled: true }, at(2));
    expect(await store.getItem("r9", workItem.detail("9"))).toMatchObject({ state: "stored" });
    expect((await store.getRun("r9"))!.failed).toBe(0);
  });

  it("the piece of a windowed dataset and a fanned-out convocatorias piece are found by their own events", async () => {
    await store.ensureRun("r10", "sync", { from: "2026-01-01", to: "2026-01-20" }, "convocatorias", at(0));
    await store.setPieces("r10", 3);
    const pieces = [
      ["2026-01-01", "2026-01-07"],
      ["2026-01-08", "2026-01-14"],
    ].map(([from, to]) => payload(EVENT.syncPieceRequested, { ...ctx("r10"), from: from!, to: to! }));
    for (const p of pieces) sent(p, 1);
    await store.queueItems("r10", pieces.map((p) => workItem.piece(p.data as { from: string; to: string })), at(2));
    engine.setRuns((e: RecordedEvent) => (e.data.from === "2026-01-01" ? [{ run_id: "p1", status: "Cancelled", ended_at: at(9) }] : [{ run_id: "p2", status: "Running" }]));
    const pass = await reconciler().pass();
    expect(pass.recorded).toEqual([expect.objectContaining({ kind: "piece", item: "2026-01-01..2026-01-07", failure: "ENGINE_CANCELLED" })]);
    expect(await store.getRun("r10")).toMatchObject({ status: "failed" }); // as the piece's failure handler does
  });
});

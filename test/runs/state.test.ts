/**
 * A run's state from what the store knows (src/runs/state.ts over src/adapters/store/run-queries.ts), on
 * a real SQLite file and a real PostgreSQL server: the store's rows are written with the same Store
 * methods the functions use, step by step, and the state is read after each step.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RunQueries } from "../../src/adapters/store/run-queries.js";
import { Store, workItem } from "../../src/adapters/store/store.js";
import { runStateSchema, runSummarySchema } from "../../src/cli/output-schemas.js";
import { datasetEventOf } from "../../src/contracts/dataset-events.js";
import { expectationsOf, withExpectations } from "../../src/runs/expectations.js";
import { listRuns, readRunState } from "../../src/runs/state.js";
import { usePostgres } from "../support/postgres.js";

const pgServer = usePostgres();

const T = (s: number) => new Date(Date.UTC(2026, 10, 28, 3, 0, s)).toISOString();

describe.each(["sqlite", "postgres"] as const)("run state on %s", (dialect) => {
  let store: Store;
  let q: RunQueries;
  let url: string;
  beforeEach(async () => {
    url = dialect === "sqlite" ? join(mkdtempSync(join(tmpdir(), "ayida-runs-")), "ayida.db") : await pgServer().createDatabase();
    store = await Store.open(url);
    q = new RunQueries(store.db);
  });
  afterEach(() => store.close());

  const read = (runId: string) => readRunState(q, runId, { now: new Date(T(59)) });

  it("a run the store knows nothing of is pending", async () => {
    const s = await read("nobody");
    expect(runStateSchema.parse(s)).toMatchObject({ runId: "nobody", state: "pending", done: false, datasets: [], startedAt: null, failures: [], failing: [] });
  });

  it("a one-piece convocatorias sync, step by step: running until every item has an outcome; failed for good → failed", async () => {
    await store.ensureRun("s1", "sync", { from: "2026-11-21", to: "2026-11-27" }, "convocatorias", T(0));
    await store.setPieces("s1", 1);
    let s = await read("s1");
    expect(s).toMatchObject({ state: "running", done: false, startedAt: T(0), finishedAt: null, durationMs: 59_000 });
    expect(s.datasets).toEqual([expect.objectContaining({ dataset: "convocatorias", kind: "sync", status: "running", window: { from: "2026-11-21", to: "2026-11-27" }, pieces: { total: 1, done: 0 } })]);

    // the piece lists 3, queues their details, is done: the row succeeded, the details still queued
    await store.count("s1", "listed", 3);
    await store.queueItems("s1", ["1", "2", "3"].map(workItem.detail), T(5));
    await store.count("s1", "queued", 3);
    await store.itemDone("s1", workItem.piece({ from: "2026-11-21", to: "2026-11-27" }), "stored", T(5));
    await store.completePiece("s1", "convocatorias", T(5));
    s = await read("s1");
    expect(s).toMatchObject({ state: "running", done: false });
    expect(s.datasets[0]).toMatchObject({ status: "succeeded", done: false, counters: { listed: 3, queued: 3 }, items: { queued: 3, stored: 1, total: 4 } });

    // 1 stored, 2 unchanged-then… 3 failing (attempt 2 of 6, next at T(40))
    await store.itemDone("s1", workItem.detail("1"), "stored", T(10));
    await store.itemDone("s1", workItem.detail("2"), "unchanged", T(11));
    await store.itemFailing("s1", workItem.detail("3"), { attempt: 2, maxAttempts: 6, failure: "SERVER", reason: "HTTP 503", nextAttemptAt: T(40) }, T(12));
    s = await read("s1");
    expect(s).toMatchObject({ state: "running", totals: { items: { queued: 0, failing: 1, stored: 2, unchanged: 1, failed: 0, total: 4 } } });
    expect(s.datasets[0]!.failing).toEqual({ count: 1, maxAttempt: 2, maxAttempts: 6, nextAttemptAt: T(40) });
    expect(s.failing).toEqual([{ dataset: "convocatorias", kind: "detail", item: "3", attempt: 2, maxAttempts: 6, failure: "SERVER", reason: "HTTP 503", nextAttemptAt: T(40), updatedAt: T(12) }]);

    await store.recordFailure("s1", workItem.detail("3"), { failure: "RETRIES_EXHAUSTED", reason: "HTTP 503, 6 times" }, T(50));
    s = await read("s1");
    expect(runStateSchema.parse(s)).toMatchObject({ state: "failed", done: true, startedAt: T(0), finishedAt: T(50), durationMs: 50_000, failing: [], failuresOmitted: 0 });
    expect(s.failures).toEqual([{ dataset: "convocatorias", kind: "detail", item: "3", bdns: "3", documentId: null, failure: "RETRIES_EXHAUSTED", reason: "HTTP 503, 6 times", at: T(50) }]);
    expect(s.datasets[0]).toMatchObject({ state: "failed", done: true, counters: { failed: 1 } });
  });

  it("a sync row is running until its pieces are done, even when every item it filed so far has an outcome", async () => {
    await store.ensureRun("bf", "sync", { from: "2026-08-01", to: "2026-09-20" }, "convocatorias", T(0));
    await store.setPieces("bf", 2);
    await store.itemDone("bf", workItem.piece({ from: "2026-08-01", to: "2026-08-07" }), "stored", T(1));
    await store.completePiece("bf");
    expect(await read("bf")).toMatchObject({ state: "running" });
    await store.itemDone("bf", workItem.piece({ from: "2026-08-08", to: "2026-08-14" }), "stored", T(2));
    await store.completePiece("bf");
    expect(await read("bf")).toMatchObject({ state: "succeeded", done: true, totals: { pieces: { total: 2, done: 2 } } });
  });

  it("a sync row that failed for good fails the run once nothing else is pending", async () => {
    await store.ensureRun("sf", "sync", {}, "organos", T(0));
    await store.recordFailure("sf", { dataset: "organos", kind: "sync", key: "" }, { failure: "RETRIES_EXHAUSTED", reason: "BDNS down" }, T(3));
    await store.finishRun("sf", "failed", "organos", T(3));
    expect(await read("sf")).toMatchObject({ state: "failed", done: true, datasets: [expect.objectContaining({ dataset: "organos", status: "failed", state: "failed" })] });
  });

  /**
   * A detail run with one of its two documents stored, and queries that read its rows, then let the
   * other document be stored by a function (another connection), then read its items: the order in
   * which a reader without one snapshot would report it done with a counter one short.
   */
  async function runWithLastDocumentStoredBetweenReads(runId: string) {
    await store.ensureRun(runId, "detail", {}, "convocatorias", T(0));
    await store.queueItems(runId, [workItem.document("5", "51"), workItem.document("5", "52")], T(1));
    await store.itemDone(runId, workItem.detail("5"), "stored", T(1));
    const storeDocument = (s: Store, id: string, at: string) => s.atomically(async (tx) => (await tx.count(runId, "documents_stored"), await tx.itemDone(runId, workItem.document("5", id), "stored", at)));
    await storeDocument(store, "51", T(2));
    const writer = await Store.open(url);
    class WritesAfterRows extends RunQueries {
      private markRowsRead!: () => void;
      private rowsRead = new Promise<void>((r) => (this.markRowsRead = r));
      protected override on(db: ConstructorParameters<typeof RunQueries>[0]): RunQueries {
        return new WritesAfterRows(db);
      }
      override async rows(ids: readonly string[]) {
        const r = await super.rows(ids);
        this.markRowsRead();
        return r;
      }
      override async itemGroups(ids: readonly string[]) {
        await this.rowsRead;
        await storeDocument(writer, "52", T(3));
        return super.itemGroups(ids);
      }
    }
    return { queries: new WritesAfterRows(store.db), close: () => writer.close() };
  }

  it("a read sees one moment: a document stored between reading the counters and the items does not make a run done with a counter short", async () => {
    const race = await runWithLastDocumentStoredBetweenReads("m1");
    try {
      const s = await readRunState(race.queries, "m1", { now: new Date(T(59)) });
      expect(s.datasets[0]!.itemsByKind.document).toMatchObject({ stored: s.totals.counters.documentsStored });
      expect(s).toMatchObject({ state: "running", done: false, totals: { counters: expect.objectContaining({ documentsStored: 1 }) } });
      expect(await read("m1")).toMatchObject({ state: "succeeded", totals: { counters: expect.objectContaining({ documentsStored: 2 }) } });
    } finally {
      await race.close();
    }
  });

  it("a list sees one moment too: a document stored between reading the counters and the items does not list a run as done with a counter short", async () => {
    const race = await runWithLastDocumentStoredBetweenReads("m2");
    try {
      const [listed] = await listRuns(race.queries, { limit: 1, now: new Date(T(59)) });
      expect(listed).toMatchObject({ runId: "m2", state: "running", done: false, totals: { counters: expect.objectContaining({ documentsStored: 1 }) } });
      expect(listed!.datasets[0]!.itemsByKind.document).toMatchObject({ stored: 1 });
      expect((await listRuns(q, { limit: 1, now: new Date(T(59)) }))[0]).toMatchObject({ runId: "m2", state: "succeeded", totals: { counters: expect.objectContaining({ documentsStored: 2 }) } });
    } finally {
      await race.close();
    }
  });

  it("a direct detail request: picked up (its row) but nothing filed yet is running, not done; its item ends it", async () => {
    await store.ensureRun("d1", "detail", {}, "convocatorias", T(0));
    expect(await read("d1")).toMatchObject({ state: "running", done: false, datasets: [expect.objectContaining({ kind: "detail", items: expect.objectContaining({ total: 0 }) })] });
    await store.itemDone("d1", workItem.detail("5"), "unchanged", T(2));
    const s = await read("d1");
    expect(s).toMatchObject({ state: "succeeded", done: true, finishedAt: T(2) });
    // The row of a direct request has no work of its own: its status is its items' outcome, not the
    // "running" it was filed with (runs --json showed "status":"running" beside "state":"succeeded").
    expect(s.datasets[0]).toMatchObject({ status: "succeeded", state: "succeeded", finishedAt: T(2) });
  });

  it("a direct request's row reads running while its items are, and failed when one failed for good", async () => {
    await store.ensureRun("d2", "document", {}, "convocatorias", T(0));
    await store.queueItems("d2", [workItem.document("5", "a.pdf"), workItem.document("5", "b.pdf")], T(1));
    await store.itemDone("d2", workItem.document("5", "a.pdf"), "stored", T(2));
    expect((await read("d2")).datasets[0]).toMatchObject({ status: "running", state: "running", finishedAt: null });
    await store.recordFailure("d2", workItem.document("5", "b.pdf"), { failure: "HTTP_404", reason: "gone" }, T(3));
    const s = await read("d2");
    expect(s).toMatchObject({ state: "failed", done: true });
    expect(s.datasets[0]).toMatchObject({ status: "failed", state: "failed", finishedAt: T(3) });
  });

  it("--wait's expectations: what was sent and not seen keeps the run pending, then running, until every item appears", async () => {
    const events = [
      { name: "convocatorias/detail.requested" },
      { name: "convocatorias/detail.requested" },
      { name: "organos/sync.requested" },
    ];
    const expected = expectationsOf(events, datasetEventOf);
    expect(expected).toEqual([
      { dataset: "convocatorias", kind: "detail", count: 2 },
      { dataset: "organos", kind: "sync", count: 1 },
    ]);
    let s = withExpectations(await read("w1"), expected);
    expect(s).toMatchObject({ state: "pending", done: false, awaiting: [
      { dataset: "convocatorias", kind: "detail", expected: 2, seen: 0 },
      { dataset: "organos", kind: "sync", expected: 1, seen: 0 },
    ] });
    await store.ensureRun("w1", "detail", {}, "convocatorias", T(0));
    await store.itemDone("w1", workItem.detail("1"), "stored", T(1));
    s = withExpectations(await read("w1"), expected);
    expect((await read("w1")).state).toBe("succeeded"); // what the store alone says
    expect(s).toMatchObject({ state: "running", done: false, finishedAt: null });
    await store.itemDone("w1", workItem.detail("2"), "stored", T(2));
    // a detail row is not a sync row: organos' request is still not seen
    await store.ensureRun("w1", "detail", {}, "organos", T(2));
    expect(withExpectations(await read("w1"), expected).awaiting).toEqual([{ dataset: "organos", kind: "sync", expected: 1, seen: 0 }]);
    await store.ensureRun("w1", "sync", {}, "organos", T(3));
    await store.setPieces("w1", 1, "organos");
    await store.itemDone("w1", { dataset: "organos", kind: "piece", key: "organos:C" }, "stored", T(4));
    await store.completePiece("w1", "organos", T(4));
    expect(runStateSchema.parse(withExpectations(await read("w1"), expected))).toMatchObject({ state: "succeeded", done: true, awaiting: [] });
  });

  it("sync all is every dataset it asked for from the first pick-up: six done of eleven is running, not succeeded", async () => {
    const all = ["convocatorias", "catalogos", "regiones", "organos", "planes-estrategicos", "grandes-beneficiarios", "sanciones", "concesiones", "ayudas-estado", "minimis", "partidos-politicos"];
    // The first function to pick up one of the run's events files all eleven as requested.
    await store.ensureRequested("a11", all, T(0));
    await store.ensureRequested("a11", all, T(1)); // each function does: nothing changes the second time
    for (const d of all.slice(0, 6)) {
      await store.ensureRun("a11", "sync", {}, d, T(2));
      await store.setPieces("a11", 1, d);
      await store.itemDone("a11", { dataset: d, kind: "piece", key: "p" }, "stored", T(3));
      await store.completePiece("a11", d, T(3));
    }
    const s = runStateSchema.parse(await read("a11"));
    expect(s).toMatchObject({ state: "running", done: false });
    expect(s.datasets).toHaveLength(11);
    expect(s.datasets.filter((d) => d.done).map((d) => d.dataset).sort()).toEqual(all.slice(0, 6).sort());
    expect(s.datasets.find((d) => d.dataset === "minimis")).toMatchObject({ kind: "sync", status: "requested", state: "running", done: false });
    // --wait's expectation of minimis's sync request is not met by a row no function has picked up.
    const expected = expectationsOf([{ name: "minimis/sync.requested" }], datasetEventOf);
    expect(withExpectations(s, expected).awaiting).toEqual([{ dataset: "minimis", kind: "sync", expected: 1, seen: 0 }]);
    // Picked up: the row is that dataset's sync row, as if it had never been a placeholder (started when requested).
    await store.ensureRun("a11", "sync", { from: "2026-11-01", to: "2026-11-07" }, "minimis", T(9));
    expect(await store.getRun("a11", "minimis")).toMatchObject({ kind: "sync", status: "running", window_from: "2026-11-01", started_at: T(0) });
    expect(withExpectations(await read("a11"), expected).awaiting).toEqual([]);
    // A placeholder never turns a row another request already started back into one.
    await store.ensureRequested("a11", ["minimis"], T(10));
    expect(await store.getRun("a11", "minimis")).toMatchObject({ status: "running" });
  });

  it("a sync picked up under a run another request started becomes that dataset's sync row", async () => {
    await store.ensureRun("u1", "detail", { retryOf: "orig" }, "convocatorias", T(0));
    await store.ensureRun("u1", "sync", { from: "2026-11-01", to: "2026-11-07", retryOf: "other" }, "convocatorias", T(5));
    expect(await store.getRun("u1")).toMatchObject({ kind: "sync", status: "running", window_from: "2026-11-01", window_to: "2026-11-07", retry_of: "orig", started_at: T(0) });
    // a second sync request (a failure handler's) changes nothing
    await store.finishRun("u1", "succeeded");
    await store.ensureRun("u1", "sync", {}, "convocatorias", T(9));
    expect(await store.getRun("u1")).toMatchObject({ kind: "sync", status: "succeeded", window_from: "2026-11-01" });
  });

  it("runs newest first, by dataset, limited; retries linked both ways; sync all is one run over its datasets", async () => {
    await store.ensureRun("old", "sync", {}, "organos", T(1));
    await store.recordFailure("old", { dataset: "organos", kind: "piece", key: "organos:C" }, { failure: "SERVER", reason: "x" }, T(2));
    await store.finishRun("old", "failed", "organos", T(2));
    await store.ensureRun("all-1", "sync", { from: "2026-11-21", to: "2026-11-27" }, "convocatorias", T(10));
    await store.ensureRun("all-1", "sync", {}, "organos", T(11));
    await store.ensureRun("all-1", "sync", {}, "catalogos", T(12));
    await store.ensureRun("retry-1", "retry", { retryOf: "old" }, "organos", T(20));
    await store.itemDone("retry-1", { dataset: "organos", kind: "piece", key: "organos:C" }, "stored", T(21));

    const runs = await listRuns(q, { limit: 20, now: new Date(T(59)) });
    expect(runs.map((r) => [r.runId, r.state])).toEqual([
      ["retry-1", "succeeded"],
      ["all-1", "running"],
      ["old", "failed"],
    ]);
    for (const r of runs) runSummarySchema.parse(r);
    expect(runs[1]!.datasets.map((d) => d.dataset)).toEqual(["convocatorias", "catalogos", "organos"]);
    expect(runs[0]).toMatchObject({ retryOf: "old", retries: [] });
    expect(runs[2]).toMatchObject({ retryOf: null, retries: ["retry-1"] });
    expect((await read("old")).retries).toEqual(["retry-1"]);
    expect((await listRuns(q, { limit: 1 })).map((r) => r.runId)).toEqual(["retry-1"]);
    expect((await listRuns(q, { limit: 20, dataset: "catalogos" })).map((r) => r.runId)).toEqual(["all-1"]);
    expect(await listRuns(q, { limit: 20, dataset: "sanciones" })).toEqual([]);
  });

  it("lists are bounded and say how many they left out", async () => {
    await store.ensureRun("many", "detail", {}, "convocatorias", T(0));
    for (let i = 1; i <= 7; i++) await store.recordFailure("many", workItem.detail(String(i)), { failure: "NOT_FOUND", reason: "gone" }, T(i));
    const s = await readRunState(q, "many", { failures: 5 });
    expect(s.failures.map((f) => f.item)).toEqual(["1", "2", "3", "4", "5"]);
    expect(s).toMatchObject({ failuresOmitted: 2, totals: { items: { failed: 7 } } });
  });

  it("the store's last activity moves with any run's items, and not otherwise", async () => {
    expect(await q.lastActivity()).toBeNull();
    await store.ensureRun("a", "detail", {}, "convocatorias", T(1));
    expect(await q.lastActivity()).toBe(T(1));
    await store.itemFailing("a", workItem.detail("1"), { attempt: 1, maxAttempts: 6, failure: "SERVER", reason: "x", nextAttemptAt: T(30) }, T(7));
    expect(await q.lastActivity()).toBe(T(7));
    await read("a");
    expect(await q.lastActivity()).toBe(T(7));
  });

  it("a reader opens an existing store without migrating it, and a missing SQLite file is an error, not a new store", async () => {
    await store.ensureRun("r", "detail", {}, "convocatorias", T(1));
    const reader = await Store.open(url, { migrate: false });
    try {
      expect((await readRunState(new RunQueries(reader.db), "r")).datasets).toHaveLength(1);
    } finally {
      await reader.close();
    }
    if (dialect === "sqlite") {
      const missing = join(mkdtempSync(join(tmpdir(), "ayida-runs-")), "nope", "ayida.db");
      await expect(Store.open(missing, { migrate: false })).rejects.toThrow();
    }
  });
});

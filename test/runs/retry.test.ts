/**
 * `retry`'s plan (src/runs/retry.ts): each failed item back to the event that requests it, built by the
 * contracts' builders; and the whole loop through the real functions (@inngest/test, loopback BDNS and
 * event API, a real SQLite file): a run fails, its retry re-requests what failed under a new run that
 * the functions record as linked, and that run succeeds.
 */
import { afterEach, describe, expect, it } from "vitest";
import { RunQueries } from "../../src/adapters/store/run-queries.js";
import { newRunContext } from "../../src/contracts/build.js";
import { datasetPayload } from "../../src/contracts/dataset-events.js";
import { DATASETS, findDataset } from "../../src/datasets/index.js";
import { unitKey, unitsOf } from "../../src/functions/datasets/units.js";
import { parseUnitKey, planRetry, unitOfRecord } from "../../src/runs/retry.js";
import { readRunState, type DatasetState, type FailedItem } from "../../src/runs/state.js";
import { makeDataset } from "../support/bdns-server.js";
import { makeDatasetsFixture } from "../support/bdns-datasets.js";
import { startJobsHarness, type JobsHarness } from "../support/jobs.js";

const TS = "2026-11-28T10:00:00.000Z";
const ctx = { runId: "r1.retry", timestamp: TS, retryOf: "r1" };
const failed = (dataset: string, kind: string, item: string, more: Partial<FailedItem> = {}): FailedItem => ({ dataset, kind, item, bdns: null, documentId: null, failure: "X", reason: "why", at: TS, ...more });
const withWindow = (dataset: string, window: { from: string; to: string } | null) => ({ dataset, window }) as DatasetState;

describe("the retry plan", () => {
  it("reads every unit key of every dataset back (unitKey → parseUnitKey)", () => {
    for (const d of DATASETS) {
      const units = unitsOf(d, Object.fromEntries(d.feeds.map((f) => [f.id, ["2024", "2025"]])), [{ from: "2026-09-01", to: "2026-09-07" }]);
      for (const u of units) expect(parseUnitKey(unitKey(u)), `${d.name} ${unitKey(u)}`).toEqual(u);
    }
    expect(unitOfRecord("busqueda 2026-09-01..2026-09-07 page 3 #12")).toBe("busqueda 2026-09-01..2026-09-07");
    expect(unitOfRecord("organos:C page 0 #3.1.2")).toBe("organos:C");
    expect(parseUnitKey("not a key!")).toBeUndefined();
  });

  it("each kind of failure becomes its event, built by the contracts, under the new runId with retryOf", () => {
    const organos = findDataset("organos")!;
    const planes = findDataset("planes-estrategicos")!;
    const plan = planRetry(
      {
        datasets: [withWindow("convocatorias", { from: "2026-11-21", to: "2026-11-27" })],
        failures: [
          failed("convocatorias", "detail", "123", { bdns: "123" }),
          failed("convocatorias", "document", "123/77", { bdns: "123", documentId: "77" }),
          failed("convocatorias", "piece", "2026-11-21..2026-11-27"),
          failed("organos", "piece", "organos:C"),
          failed("organos", "record", "organos:C page 0 #4"), // the same unit: one event
          failed("planes-estrategicos", "detail", "31"),
          failed("planes-estrategicos", "document", "31/900"),
        ],
      },
      ctx,
    );
    expect(plan.skipped).toEqual([]);
    expect(plan.events.map((e) => e.id)).toEqual([
      "convocatorias/sync.piece.requested?from=2026-11-21&to=2026-11-27&runId=r1.retry",
      "organos/sync.piece.requested?feed=organos&sweep=C&runId=r1.retry",
      "convocatorias/detail.requested?bdns=123&runId=r1.retry",
      "planes-estrategicos/detail.requested?id=31&runId=r1.retry",
      "documents/storage.requested?bdns=123&documentId=77&runId=r1.retry",
      "planes-estrategicos/document.requested?id=31&documentId=900&runId=r1.retry",
    ]);
    for (const e of plan.events) expect(e.data).toMatchObject({ runId: "r1.retry", timestamp: TS, retryOf: "r1" });
    expect(plan.events[1]).toEqual(datasetPayload(organos, "piece", { runId: "r1.retry", timestamp: TS, retryOf: "r1", feed: "organos", sweep: "C" }));
    expect(plan.events[3]).toEqual(datasetPayload(planes, "detail", { id: "31", runId: "r1.retry", timestamp: TS, retryOf: "r1" }));
    expect(plan.items).toHaveLength(7);
    expect(plan.items.filter((i) => i.id === plan.events[1]!.id).map((i) => i.kind)).toEqual(["piece", "record"]);
  });

  it("a convocatorias listing record refused (a code that can never be valid) re-requests its piece, once for its piece", () => {
    const plan = planRetry({ datasets: [], failures: [failed("convocatorias", "record", "2026-11-21..2026-11-27 page 0 #2"), failed("convocatorias", "record", "2026-11-21..2026-11-27 page 3 #0"), failed("convocatorias", "piece", "2026-11-21..2026-11-27")] }, ctx);
    expect(plan.skipped).toEqual([]);
    expect(plan.events.map((e) => e.id)).toEqual(["convocatorias/sync.piece.requested?from=2026-11-21&to=2026-11-27&runId=r1.retry"]);
    expect(plan.items.map((i) => i.kind)).toEqual(["piece", "record", "record"]);
  });

  it("a failed sync request is re-sent over the run's window, and its dataset's pieces are left to it", () => {
    const plan = planRetry(
      {
        datasets: [withWindow("convocatorias", { from: "2026-08-01", to: "2026-09-20" }), withWindow("concesiones", null), withWindow("organos", null)],
        failures: [
          failed("convocatorias", "sync", ""),
          failed("convocatorias", "piece", "2026-08-01..2026-08-07"),
          failed("convocatorias", "detail", "9", { bdns: "9" }),
          failed("concesiones", "sync", ""),
          failed("organos", "sync", ""),
        ],
      },
      { ...ctx },
      { full: true },
    );
    expect(plan.events.map((e) => e.id)).toEqual([
      "convocatorias/sync.requested?from=2026-08-01&to=2026-09-20&full=true&runId=r1.retry",
      "organos/sync.requested?full=true&runId=r1.retry",
      "convocatorias/detail.requested?bdns=9&runId=r1.retry",
    ]);
    expect(plan.skipped).toEqual([
      expect.objectContaining({ dataset: "concesiones", kind: "sync", reason: expect.stringContaining("ayida-jobs sync concesiones --from") }),
      expect.objectContaining({ dataset: "convocatorias", kind: "piece", reason: "re-done by the convocatorias sync this retry re-sends" }),
    ]);
  });

  it("what cannot be re-requested is skipped with the reason, never guessed", () => {
    const plan = planRetry({ datasets: [], failures: [failed("gone-dataset", "detail", "1"), failed("organos", "detail", "1"), failed("organos", "piece", "nope:"), failed("convocatorias", "record", "x")] }, ctx);
    expect(plan.events).toEqual([]);
    expect(plan.skipped.map((s) => s.reason)).toEqual([
      "not a unit of organos (feed[:sweep][ from..to])",
      "not a piece of a convocatorias window (from..to)",
      "gone-dataset is not a dataset this version knows",
      "organos has no details",
    ]);
  });

  it("a retry is a new run: its id must differ from the run it retries", () => {
    expect(() => newRunContext({ runId: "same", retryOf: "same" })).toThrow(/must not be the run it retries/);
    expect(newRunContext({ runId: "b", retryOf: "a" })).toMatchObject({ runId: "b", retryOf: "a" });
  });
});

describe("a failed run, retried through the functions", () => {
  let h: JobsHarness;
  afterEach(() => h.close());

  it("convocatorias: a detail and a document that failed for good are re-requested under a linked run, which succeeds", async () => {
    h = await startJobsHarness(makeDataset(3, { docs: 2 }));
    const q = new RunQueries(h.store.db);
    h.bdns.fault((p, params) => p === "/convocatorias" && params.get("numConv") === "900001", { status: 204 });
    h.bdns.fault((p, params) => p === "/convocatorias/documentos" && params.get("idDocumento") === "9000001", { status: 400, body: { codigo: "ERR_VALIDACION", error: "No existe el documento solicitado" } });
    await h.runAll({ name: "convocatorias/sync.requested", data: { runId: "r1", timestamp: TS, from: "2026-09-01", to: "2026-09-07" } });
    const r1 = await readRunState(q, "r1");
    expect(r1).toMatchObject({ state: "failed", done: true });
    expect(r1.failures.map((f) => [f.kind, f.item, f.failure])).toEqual([
      ["detail", "900001", "NOT_FOUND"],
      ["document", "900000/9000001", "UNKNOWN_DOCUMENT"],
    ]);

    const plan = planRetry(r1, newRunContext({ runId: "r2", retryOf: "r1" }));
    expect(plan.events.map((e) => e.name)).toEqual(["convocatorias/detail.requested", "documents/storage.requested"]);
    for (const e of plan.events) expect((await h.runAll(e)).filter((r) => r.error)).toEqual([]);

    const r2 = await readRunState(q, "r2");
    expect(r2).toMatchObject({ state: "succeeded", done: true, retryOf: "r1", totals: { items: { failed: 0 } } });
    // the detail fanned out its two documents; with the retried one (stored by then: unchanged) all are done
    expect(r2.datasets[0]!.itemsByKind).toMatchObject({ detail: { total: 1, stored: 1 }, document: { total: 3 } });
    expect((await readRunState(q, "r1")).retries).toEqual(["r2"]);
  });

  it("a dataset: a unit that failed for good is re-requested as its piece; the new run is recorded as the retry", async () => {
    const fx = makeDatasetsFixture({ grandesBeneficiarios: { years: [2024], rowsPerYear: 5 }, sanciones: { rows: 5 }, planes: { plans: 2 } });
    h = await startJobsHarness([], { datasets: fx, pageSize: 10 });
    const q = new RunQueries(h.store.db);
    h.bdns.fault((p, params) => p === "/reglamentos" && params.get("ambito") === "M", { status: 400, body: { codigo: "ERR_VALIDACION", error: "Parámetro incorrecto" } });
    await h.runAll({ name: "catalogos/sync.requested", data: { runId: "c1", timestamp: TS } });
    // what Inngest's onFailure does for the unit's failed run (the test engine does not run it)
    await h.store.finishRun("c1", "failed", "catalogos");
    const c1 = await readRunState(q, "c1");
    expect(c1).toMatchObject({ state: "failed", failures: [expect.objectContaining({ dataset: "catalogos", kind: "piece", item: "reglamentos:M", failure: "VALIDATION" })] });

    const plan = planRetry(c1, newRunContext({ runId: "c2", retryOf: "c1" }));
    expect(plan.events).toEqual([expect.objectContaining({ name: "catalogos/sync.piece.requested", id: "catalogos/sync.piece.requested?feed=reglamentos&sweep=M&runId=c2", data: expect.objectContaining({ retryOf: "c1" }) })]);
    expect((await h.runAll(plan.events[0]!)).filter((r) => r.error)).toEqual([]);
    expect(await h.store.getRun("c2", "catalogos")).toMatchObject({ kind: "retry", retry_of: "c1", fetched: fx.reglamentos.M.length });
    expect(await readRunState(q, "c2")).toMatchObject({ state: "succeeded", retryOf: "c1", totals: { items: { stored: 1, total: 1 } } });
  });
});

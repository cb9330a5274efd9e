/**
 * What makes "done" true, written by the real functions (@inngest/test over the loopback BDNS and event
 * API, a real SQLite file): every item is filed before the item that fanned it out is marked done, a
 * sync with nothing to fetch ends its own row, and a retried piece records its run as a retry.
 */
import { InngestTestEngine, mockCtx } from "@inngest/test";
import { afterEach, describe, expect, it } from "vitest";
import { RunQueries } from "../../src/adapters/store/run-queries.js";
import { workItem } from "../../src/adapters/store/store.js";
import { newRunContext } from "../../src/contracts/build.js";
import { planRetry } from "../../src/runs/retry.js";
import { readRunState } from "../../src/runs/state.js";
import { makeDataset } from "../support/bdns-server.js";
import { makeDatasetsFixture } from "../support/bdns-datasets.js";
import { startJobsHarness, type JobsHarness } from "../support/jobs.js";

const TS = "2026-11-28T10:00:00.000Z";
let h: JobsHarness;
afterEach(() => h.close());

describe("done, as the functions file it", () => {
  it("a detail whose documents could not be requested is not done: its item waits for them", async () => {
    h = await startJobsHarness(makeDataset(1, { docs: 2 }));
    h.events.setFault(() => ({ status: 500, body: '{"error":"down"}' }));
    const event = { name: "convocatorias/detail.requested", data: { bdns: "900000", runId: "d1", timestamp: TS } };
    const once = new InngestTestEngine({ function: h.fnFor(event.name) as never, events: [event] as never, transformCtx: (ctx) => ({ ...mockCtx(ctx), attempt: 0 }) });
    expect((await once.execute()).error).toBeDefined(); // the fan-out failed: Inngest will retry the function
    expect(await h.store.getConvocatoria("900000")).toMatchObject({ content_hash: expect.any(String) }); // the detail is stored…
    expect(await h.store.getItem("d1", workItem.detail("900000"))).toBeUndefined(); // …but the item is not done
    expect(await readRunState(new RunQueries(h.store.db), "d1")).toMatchObject({ state: "running", done: false });

    h.events.setFault(undefined); // the retry of the function: the memoized fetch, then the fan-out
    const runs = await h.runAll(event);
    expect(runs.map((x) => x.error)).toEqual([undefined, undefined, undefined]);
    expect(await readRunState(new RunQueries(h.store.db), "d1")).toMatchObject({ state: "succeeded", totals: { items: { total: 3 } } });
  });

  it("a sync with nothing to fetch (a sweep BDNS lists empty) ends its row: the run succeeds", async () => {
    const fx = makeDatasetsFixture({ grandesBeneficiarios: { years: [], rowsPerYear: 1 }, sanciones: { rows: 1 }, planes: { plans: 1 } });
    h = await startJobsHarness([], { datasets: fx });
    const runs = await h.runAll({ name: "grandes-beneficiarios/sync.requested", data: { runId: "g0", timestamp: TS } });
    expect(runs.map((x) => x.error)).toEqual([undefined]);
    expect(await h.store.getRun("g0", "grandes-beneficiarios")).toMatchObject({ status: "succeeded", pieces: 0 });
    expect(await readRunState(new RunQueries(h.store.db), "g0")).toMatchObject({ state: "succeeded", done: true });
  });

  it("a convocatorias piece that failed for good, retried: the new run lists it, fans out its details, and succeeds as a recorded retry", async () => {
    h = await startJobsHarness(makeDataset(4, { firstDate: "2026-09-01", perDay: 1, docs: 0 }));
    const q = new RunQueries(h.store.db);
    h.bdns.fault((p, params) => p === "/convocatorias/busqueda" && params.get("fechaDesde") === "08/09/2026", { status: 400, body: { codigo: "ERR_VALIDACION", error: "Parámetros incorrectos" } });
    const first = await h.runAll({ name: "convocatorias/sync.requested", data: { runId: "p1", timestamp: TS, from: "2026-09-01", to: "2026-09-14" } });
    expect(first.filter((x) => x.error).map((x) => x.data)).toEqual([expect.objectContaining({ from: "2026-09-08", to: "2026-09-14" })]);
    await h.store.finishRun("p1", "failed"); // what Inngest's onFailure does for the failed piece (the test engine does not run it)
    const p1 = await readRunState(q, "p1");
    expect(p1).toMatchObject({ state: "failed", failures: [expect.objectContaining({ kind: "piece", item: "2026-09-08..2026-09-14", failure: "VALIDATION" })] });

    const plan = planRetry(p1, newRunContext({ runId: "p2", retryOf: "p1" }));
    expect(plan.events.map((e) => e.id)).toEqual(["convocatorias/sync.piece.requested?from=2026-09-08&to=2026-09-14&runId=p2"]);
    const runs = await h.runAll(plan.events[0]!);
    expect(runs.map((x) => x.error)).toEqual([undefined]); // the 4 convocatorias all have their detail already: nothing to fan out
    expect(await h.store.getRun("p2")).toMatchObject({ kind: "retry", retry_of: "p1", listed: 0 });
    expect(await readRunState(q, "p2")).toMatchObject({ state: "succeeded", retryOf: "p1", datasets: [expect.objectContaining({ itemsByKind: { piece: expect.objectContaining({ stored: 1 }) } })] });
    expect((await readRunState(q, "p1")).retries).toEqual(["p2"]);
  });
});

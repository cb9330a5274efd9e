/**
 * The copy never shrinks on one answer (src/functions/datasets/removal.ts), through the datasets'
 * functions against the loopback BDNS, on SQLite and PostgreSQL: an empty answer (a 204 on a catalog,
 * `200 []` on a tree, an empty page of an award window), an incomplete one, and a shrink past the
 * threshold mark nothing removed; the run counts and names what it held back; `allowRemoval` (the
 * CLI's `--allow-removal`) forces it, carried on to every piece.
 */
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RunQueries } from "../../src/adapters/store/run-queries.js";
import { runStateSchema } from "../../src/cli/output-schemas.js";
import { statusLines } from "../../src/cli/run-view.js";
import { readRunState } from "../../src/runs/state.js";
import { ALWAYS_REMOVABLE, MAX_REMOVAL_SHARE, removalAllowance, removalVerdict } from "../../src/functions/datasets/removal.js";
import { DATASETS } from "../../src/datasets/index.js";
import { makeDatasetsFixture, requestMatches, type DatasetsFixture } from "../support/bdns-datasets.js";
import { startJobsHarness, type JobsHarness } from "../support/jobs.js";
import { usePostgres } from "../support/postgres.js";

const TS = "2026-11-28T10:00:00.000Z";
const pg = usePostgres();

describe("the removal rule", () => {
  const e = (over: Partial<Parameters<typeof removalVerdict>[0]>) => removalVerdict({ live: 100, missing: 1, fetched: 99, allowRemoval: false, ...over });

  it("an empty answer removes nothing; an incomplete one neither; at most 10 % of a scope (at least one row) goes at once", () => {
    expect(MAX_REMOVAL_SHARE).toBe(0.1);
    expect(ALWAYS_REMOVABLE).toBe(1);
    expect(e({ fetched: 0, missing: 100 })).toMatchObject({ remove: false, reason: "empty" });
    expect(e({ live: 1, fetched: 0, missing: 1 })).toMatchObject({ remove: false, reason: "empty" });
    expect(e({ fetched: 89, announced: 100, missing: 11 })).toMatchObject({ remove: false, reason: "incomplete" });
    expect(e({ fetched: 90, announced: 90, missing: 10 })).toEqual({ remove: true });
    expect(e({ fetched: 89, missing: 11 })).toMatchObject({ remove: false, reason: "shrink", message: expect.stringContaining("11 rows of 100") });
    expect(removalAllowance(5)).toBe(1);
    expect(removalAllowance(29)).toBe(2);
    expect(e({ live: 5, fetched: 4, missing: 1 })).toEqual({ remove: true });
    expect(e({ live: 5, fetched: 3, missing: 2 })).toMatchObject({ remove: false, reason: "shrink" });
    expect(e({ missing: 0, fetched: 0 })).toEqual({ remove: true }); // nothing to remove: nothing to hold
  });

  it("allowRemoval lifts every hold", () => {
    for (const over of [{ fetched: 0, missing: 100 }, { fetched: 5, announced: 100, missing: 95 }, { fetched: 50, missing: 50 }]) expect(e({ ...over, allowRemoval: true })).toEqual({ remove: true });
  });
});

describe.each(["sqlite", "postgres"] as const)("removal held back on %s", (dialect) => {
  let h: JobsHarness;
  let fx: DatasetsFixture;
  beforeEach(async () => {
    const days = { from: "2026-09-01", to: "2026-09-21", rowsPerDay: (d: string) => 8 + (Number(d.slice(8)) % 5) };
    fx = makeDatasetsFixture({ concesiones: days, ayudasEstado: days, minimis: days, partidosPoliticos: { rows: 23 }, grandesBeneficiarios: { years: [2024, 2025], rowsPerYear: 12 }, sanciones: { rows: 12 }, planes: { plans: 6 } });
    h = await startJobsHarness([], { datasets: fx, pageSize: 10, ...(dialect === "postgres" && { databaseUrl: await pg().createDatabase() }) });
  });
  afterEach(() => h.close());

  const sync = (dataset: string, runId: string, extra: Record<string, unknown> = {}) => h.runAll({ name: `${dataset}/sync.requested`, data: { runId, timestamp: TS, ...extra } });
  const errors = (runs: Awaited<ReturnType<typeof sync>>) => runs.filter((r) => r.error).map((r) => `${r.name} ${JSON.stringify(r.data)}: ${String(r.error)}`);
  const count = async (table: string, where: string) => Number((await sql.raw<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`).execute(h.store.db)).rows[0]!.n);
  const state = (runId: string) => readRunState(new RunQueries(h.store.db), runId);
  const holds = async (runId: string) => (await h.store.db.selectFrom("removal_holds").selectAll().where("run_id", "=", runId).orderBy("unit").execute()).map((x) => ({ ...x, held: Number(x.held), live: Number(x.live) }));

  it.each(DATASETS.map((d) => [d.name, d] as const))("%s: BDNS answering empty on every endpoint once marks nothing removed and holds back every row it had", async (name, d) => {
    const window = d.strategy === "windowed" ? { from: "2026-09-07", to: "2026-09-09" } : {};
    const ownErrors = (runs: Awaited<ReturnType<typeof sync>>) => errors(runs).filter((e) => !e.startsWith(`${name}/detail.requested`)); // plans whose detail is HTML: by design
    expect(ownErrors(await sync(name, "e1", window))).toEqual([]);
    const tables = [...new Set(d.feeds.map((f) => f.table.name))];
    const live = async () => {
      let n = 0;
      for (const t of tables) n += await count(t, d.strategy === "windowed" ? `removed_at IS NULL AND ${d.feeds[0]!.table.registrationDate} BETWEEN '2026-09-07' AND '2026-09-09'` : "removed_at IS NULL");
      return n;
    };
    const had = await live();
    expect(had).toBeGreaterThan(0);
    for (const f of d.feeds) fx.failures.push({ path: f.path, reply: f.answer === "page" ? { status: 200, body: { content: [], totalPages: 0, totalElements: 0 } } : { status: 204 } });
    expect(ownErrors(await sync(name, "e2", window))).toEqual([]);
    for (const t of tables) expect(await count(t, "removed_at IS NOT NULL"), t).toBe(0);
    expect(await h.store.getRun("e2", name)).toMatchObject({ status: "succeeded", removed: 0, removals_held: had });
    expect((await holds("e2")).every((x) => x.reason === "empty")).toBe(true);
  });

  it("a 204 on a catalog: none of its rows is marked removed; the run counts, names and explains what it held back", async () => {
    expect(errors(await sync("catalogos", "c1"))).toEqual([]);
    expect(await count("catalogos", "catalogo = 'finalidades' AND removed_at IS NULL")).toBe(10);
    h.bdns.fault(requestMatches("/finalidades"), { status: 204 });
    fx.catalogs.beneficiarios.pop(); // a real removal elsewhere still happens (1 of 4: one row always may go)
    expect(errors(await sync("catalogos", "c2"))).toEqual([]);

    expect(await count("catalogos", "catalogo = 'finalidades' AND removed_at IS NOT NULL")).toBe(0);
    expect(await count("catalogos", "catalogo = 'beneficiarios' AND removed_at IS NOT NULL")).toBe(1);
    expect(await h.store.getRun("c2", "catalogos")).toMatchObject({ status: "succeeded", removed: 1, removals_held: 10 });
    expect(await holds("c2")).toEqual([expect.objectContaining({ dataset: "catalogos", unit: "finalidades", held: 10, live: 10, reason: "empty", message: "BDNS answered empty where 10 rows were listed" })]);

    const s = runStateSchema.parse(await state("c2"));
    expect(s).toMatchObject({ state: "succeeded", totals: { counters: { removed: 1, removalsHeld: 10 } } });
    expect(s.warnings).toEqual([expect.stringMatching(/^catalogos: 10 rows not marked removed: .*`ayida-jobs sync catalogos --allow-removal`/)]);
    expect(s.heldRemovals).toEqual([expect.objectContaining({ dataset: "catalogos", unit: "finalidades", rows: 10, of: 10, reason: "empty" })]);
    const text = statusLines(s as never).join("\n");
    expect(text).toContain("removal held back (10 rows not marked removed):");
    expect(text).toContain("catalogos finalidades: 10 of 10 rows (empty): BDNS answered empty where 10 rows were listed");
    expect(text).toContain("if BDNS really dropped them: ayida-jobs sync catalogos --allow-removal");
    expect(h.logs.some((l) => l.level === 40 && String(l.msg).startsWith("removal held back: BDNS answered empty"))).toBe(true);
  });

  it("`200 []` on the regions tree: nothing removed, every node held back", async () => {
    await sync("regiones", "g1");
    const nodes = await count("regiones", "removed_at IS NULL");
    expect(nodes).toBeGreaterThan(40);
    h.bdns.fault(requestMatches("/regiones"), { status: 200, body: [] });
    expect(errors(await sync("regiones", "g2"))).toEqual([]);
    expect(await count("regiones", "removed_at IS NOT NULL")).toBe(0);
    expect(await h.store.getRun("g2", "regiones")).toMatchObject({ status: "succeeded", removed: 0, removals_held: nodes });
    expect(await holds("g2")).toEqual([expect.objectContaining({ unit: "regiones", held: nodes, reason: "empty" })]);
  });

  it("an award window answered with an empty page (the first, or one in the middle): nothing of the window is removed", async () => {
    const window = { from: "2026-09-07", to: "2026-09-13" };
    await sync("concesiones", "w1", window);
    const stored = await count("concesiones", "removed_at IS NULL");
    expect(stored).toBeGreaterThan(50);
    const unit = "busqueda 2026-09-07..2026-09-13";

    // The whole window answers an empty page: BDNS says it holds nothing.
    const emptyPage = { content: [], totalPages: 0, totalElements: 0, number: 0, size: 10, numberOfElements: 0, empty: true };
    h.bdns.fault(requestMatches("/concesiones/busqueda", { page: "0" }), { status: 200, body: emptyPage });
    expect(errors(await sync("concesiones", "w2", window))).toEqual([]);
    expect(await count("concesiones", "removed_at IS NOT NULL")).toBe(0);
    expect(await holds("w2")).toEqual([expect.objectContaining({ unit, held: stored, live: stored, reason: "empty" })]);

    // One page in the middle comes back empty, its neighbours whole: 10 rows missing, against what page 0 announced.
    const totalPages = Math.ceil(stored / 10);
    h.bdns.fault(requestMatches("/concesiones/busqueda", { page: "2" }), { status: 200, body: { ...emptyPage, totalPages, totalElements: stored, number: 2 } });
    expect(errors(await sync("concesiones", "w3", window))).toEqual([]);
    expect(await count("concesiones", "removed_at IS NOT NULL")).toBe(0);
    expect(await holds("w3")).toEqual([expect.objectContaining({ unit, held: 10, live: stored, reason: "incomplete", message: `BDNS announced ${stored} rows but sent ${stored - 10}: the answer is incomplete` })]);
    expect(await h.store.getRun("w3", "concesiones")).toMatchObject({ status: "succeeded", removed: 0, removals_held: 10 });
  });

  it("a shrink above the threshold is held back; one within it is marked", async () => {
    await sync("partidos-politicos", "p1");
    expect(await count("partidos_politicos", "removed_at IS NULL")).toBe(23);
    for (const i of [3, 7, 11]) fx.partidosPoliticos.remove(i); // 3 of 23: more than 10 % (2)
    await sync("partidos-politicos", "p2");
    expect(await count("partidos_politicos", "removed_at IS NOT NULL")).toBe(0);
    expect(await holds("p2")).toEqual([expect.objectContaining({ unit: "busqueda", held: 3, live: 23, reason: "shrink" })]);
    expect(await h.store.getRun("p2", "partidos-politicos")).toMatchObject({ removed: 0, removals_held: 3 });

    fx.partidosPoliticos.restore(11); // 2 of 23: within what one answer may remove
    await sync("partidos-politicos", "p3");
    expect(await count("partidos_politicos", "removed_at IS NOT NULL")).toBe(2);
    expect(await h.store.getRun("p3", "partidos-politicos")).toMatchObject({ removed: 2, removals_held: 0 });
    expect(await holds("p3")).toEqual([]);
  });

  it("allowRemoval (--allow-removal) forces it: carried on to every piece, it marks what the empty answer no longer holds", async () => {
    await sync("catalogos", "f1");
    fx.catalogs.finalidades.length = 0; // BDNS really emptied it: a 204 on every call from now on
    await sync("catalogos", "f2");
    expect(await h.store.getRun("f2", "catalogos")).toMatchObject({ removed: 0, removals_held: 10 });

    const runs = await sync("catalogos", "f3", { allowRemoval: true });
    expect(errors(runs)).toEqual([]);
    const pieces = h.events.events().filter((e) => e.name === "catalogos/sync.piece.requested" && (e.data as { runId: string }).runId === "f3");
    expect(pieces).toHaveLength(12);
    for (const p of pieces) {
      expect(p.data).toMatchObject({ allowRemoval: true });
      expect(p.id).toContain("allowRemoval=true");
    }
    expect(await count("catalogos", "catalogo = 'finalidades' AND removed_at IS NOT NULL")).toBe(10);
    expect(await h.store.getRun("f3", "catalogos")).toMatchObject({ status: "succeeded", removed: 10, removals_held: 0 });
    expect((await state("f3")).warnings).toEqual([]);
  });

  it("a windowed sync forced over one piece marks that piece's rows only", async () => {
    await sync("concesiones", "fw1", { from: "2026-09-01", to: "2026-09-14" });
    h.bdns.fault(requestMatches("/concesiones/busqueda", { fechaRegInicio: "08/09/2026" }), { status: 200, body: { content: [], totalPages: 0, totalElements: 0 } });
    const runs = await sync("concesiones", "fw2", { from: "2026-09-08", to: "2026-09-14", allowRemoval: true });
    expect(errors(runs)).toEqual([]);
    const inWindow = await count("concesiones", "fecha_alta >= '2026-09-08' AND fecha_alta <= '2026-09-14'");
    expect(await count("concesiones", "removed_at IS NOT NULL")).toBe(inWindow);
    expect(await count("concesiones", "removed_at IS NOT NULL AND fecha_alta < '2026-09-08'")).toBe(0);
  });
});

/**
 * The four award datasets through their functions, on SQLite and PostgreSQL, against the loopback
 * BDNS with the real API's date semantics (fechaRegFin exclusive): day boundaries, a long window split
 * into pieces, noise, repeats across pages, removal within a completed window, and a piece that dies
 * half-way and is run again.
 */
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addDays } from "../../src/contracts/window.js";
import { countRequests, makeDatasetsFixture, minimumRequests, toBdnsDay, type DatasetsFixture, type RowSource } from "../support/bdns-datasets.js";
import { startJobsHarness, type JobsHarness } from "../support/jobs.js";
import { usePostgres } from "../support/postgres.js";

const TS = "2026-11-28T10:00:00.000Z";
const pg = usePostgres();

/** The ids BDNS holds for registration days [from, to] (inclusive). */
function idsOf<R extends object>(src: RowSource<R>, from: string, to: string, id: (r: R) => number): number[] {
  const { start, end } = src.range(from, addDays(to, 1));
  const out: number[] = [];
  for (let i = start; i < end; i++) {
    const r = src.rowAt(i);
    if (r) out.push(id(r));
  }
  return out.sort((a, b) => a - b);
}

describe.each(["sqlite", "postgres"] as const)("award datasets on %s", (dialect) => {
  let h: JobsHarness;
  let fx: DatasetsFixture;
  beforeEach(async () => {
    const days = { from: "2026-09-01", to: "2026-09-21", rowsPerDay: (d: string) => 8 + (Number(d.slice(8)) % 5) };
    fx = makeDatasetsFixture({ concesiones: days, ayudasEstado: days, minimis: days, partidosPoliticos: { rows: 23 } });
    h = await startJobsHarness([], { datasets: fx, pageSize: 10, ...(dialect === "postgres" && { databaseUrl: await pg().createDatabase() }) });
  });
  afterEach(() => h.close());

  const sync = (dataset: string, runId: string, window: { from?: string; to?: string; allowRemoval?: boolean } = {}) => h.runAll({ name: `${dataset}/sync.requested`, data: { runId, timestamp: TS, ...window } });
  const errors = (runs: Awaited<ReturnType<typeof sync>>) => runs.filter((r) => r.error).map((r) => `${r.name} ${JSON.stringify(r.data)}: ${String(r.error)}`);
  const ids = async (table: string, key: string, where = "removed_at IS NULL") => (await sql.raw<{ k: number }>(`SELECT ${key} AS k FROM ${table} WHERE ${where} ORDER BY ${key}`).execute(h.store.db)).rows.map((r) => Number(r.k));

  it("the upper bound is exclusive at BDNS: a day is asked as [D, D+1); consecutive days are disjoint and their union is the range", async () => {
    expect(errors(await sync("concesiones", "d1", { from: "2026-09-03", to: "2026-09-03" }))).toEqual([]);
    const asked = h.bdns.requests.filter((r) => r.path === "/concesiones/busqueda");
    expect(asked.every((r) => r.params.get("fechaRegInicio") === "03/09/2026" && r.params.get("fechaRegFin") === "04/09/2026")).toBe(true);
    const day3 = await ids("concesiones", "id");
    expect(day3).toEqual(idsOf(fx.concesiones, "2026-09-03", "2026-09-03", (r) => r.id));
    await sync("concesiones", "d2", { from: "2026-09-04", to: "2026-09-04" });
    const both = await ids("concesiones", "id");
    const day4 = both.filter((id) => !day3.includes(id));
    expect(day4).toEqual(idsOf(fx.concesiones, "2026-09-04", "2026-09-04", (r) => r.id));
    expect(both).toEqual(idsOf(fx.concesiones, "2026-09-03", "2026-09-04", (r) => r.id));
    expect(await h.store.getRun("d2", "concesiones")).toMatchObject({ new: day4.length, unchanged: 0, removed: 0 });
  });

  it("a long window is split into ≤ 7-day pieces fanned out as events; it stores exactly the rows of the window, with the fewest requests", async () => {
    const runs = await sync("concesiones", "w1", { from: "2026-09-02", to: "2026-09-15" });
    expect(errors(runs)).toEqual([]);
    const pieces = runs.filter((r) => r.name === "concesiones/sync.piece.requested").map((r) => [r.data.from, r.data.to]);
    expect(pieces).toEqual([["2026-09-02", "2026-09-08"], ["2026-09-09", "2026-09-15"]]);
    expect(await ids("concesiones", "id")).toEqual(idsOf(fx.concesiones, "2026-09-02", "2026-09-15", (r) => r.id));
    const minimum = minimumRequests(fx, "concesiones", { pageSize: 10, pieces: [{ from: "2026-09-02", toExclusive: "2026-09-09" }, { from: "2026-09-09", toExclusive: "2026-09-16" }] });
    expect(countRequests(h.bdns.requests, "/concesiones/busqueda")).toBe(minimum["/concesiones/busqueda"]);
    expect(await h.store.getRun("w1", "concesiones")).toMatchObject({ status: "succeeded", pieces: 2, pieces_done: 2, window_from: "2026-09-02", window_to: "2026-09-15" });
  });

  it.each([
    ["concesiones", "names re-spelt", "concesiones", "id"],
    ["ayudas-estado", "names re-spelt, '#' lists shuffled", "ayudas_estado", "id_concesion"],
    ["minimis", "names re-spelt, '; ' lists shuffled (labels with ';' inside)", "minimis", "id_concesion"],
  ])("%s: a second pass over unchanged data with noise (%s) reports 0 changed, and stores the latest spelling", async (dataset, _noise, table, key) => {
    const window = { from: "2026-09-07", to: "2026-09-13" };
    await sync(dataset, "n1", window);
    const first = await h.store.getRun("n1", dataset);
    expect(first!.new).toBeGreaterThan(40);
    const before = (await sql.raw<{ raw_json: string }>(`SELECT raw_json FROM ${table} ORDER BY ${key}`).execute(h.store.db)).rows.map((r) => r.raw_json);
    fx.noise = true;
    await sync(dataset, "n2", window);
    expect(await h.store.getRun("n2", dataset)).toMatchObject({ new: 0, changed: 0, unchanged: first!.new, removed: 0 });
    const after = (await sql.raw<{ raw_json: string }>(`SELECT raw_json FROM ${table} ORDER BY ${key}`).execute(h.store.db)).rows.map((r) => r.raw_json);
    expect(after).not.toEqual(before); // what BDNS sent this time is what is kept
  });

  it.each([
    ["concesiones", "concesiones", "id", (fx: DatasetsFixture) => fx.concesiones],
    ["ayudas-estado", "ayudas_estado", "id_concesion", (fx: DatasetsFixture) => fx.ayudasEstado],
    ["minimis", "minimis", "id_concesion", (fx: DatasetsFixture) => fx.minimis],
  ] as const)("%s: a corrected NIF is a change (who received it is content): changed 1, last_changed_at moves, the new NIF stored", async (dataset, table, key, source) => {
    const window = { from: "2026-09-07", to: "2026-09-07" };
    await sync(dataset, "nif1", window);
    const src = source(fx) as unknown as RowSource<{ beneficiario: string }>;
    const { start } = src.range("2026-09-07", "2026-09-08");
    const before = src.rowAt(start)!;
    const id = Number((await sql.raw<{ k: number }>(`SELECT ${key} AS k FROM ${table} ORDER BY ${key} LIMIT 1`).execute(h.store.db)).rows[0]!.k);
    const name = before.beneficiario.replace(/^\S+\s+(-\s+)?/, "");
    src.patch(start, { beneficiario: `B99999999 ${name}` });
    await sync(dataset, "nif2", window);
    expect(await h.store.getRun("nif2", dataset)).toMatchObject({ new: 0, changed: 1 });
    const row = (await sql.raw<{ nif: string; last_changed_at: string; first_seen_at: string; last_seen_at: string }>(`SELECT nif, last_changed_at, first_seen_at, last_seen_at FROM ${table} WHERE ${key} = ${id}`).execute(h.store.db)).rows[0]!;
    expect(row.nif).toBe("B99999999");
    expect(row.last_changed_at).toBe(row.last_seen_at);
    expect(row.last_changed_at > row.first_seen_at).toBe(true);
  });

  it("a row that offset paging repeats across pages is stored once and counted once", async () => {
    fx.concesiones.repeatAcrossPages = true;
    await sync("concesiones", "p1", { from: "2026-09-07", to: "2026-09-13" });
    const expected = idsOf(fx.concesiones, "2026-09-07", "2026-09-13", (r) => r.id);
    expect(await ids("concesiones", "id")).toEqual(expected);
    expect(await h.store.getRun("p1", "concesiones")).toMatchObject({ new: expected.length, changed: 0, unchanged: 0 });
  });

  it("a row gone from a completed window is marked removed (never deleted), by its own registration date; rows outside are untouched", async () => {
    await sync("concesiones", "x1", { from: "2026-09-01", to: "2026-09-14" });
    const { start } = fx.concesiones.range("2026-09-10", "2026-09-11");
    const goneId = fx.concesiones.rowAt(start)!.id;
    fx.concesiones.remove(start);
    const { start: outside } = fx.concesiones.range("2026-09-03", "2026-09-04");
    fx.concesiones.remove(outside); // gone too, but outside the next window: nothing may say so
    await sync("concesiones", "x2", { from: "2026-09-08", to: "2026-09-14" });
    expect(await ids("concesiones", "id", "removed_at IS NOT NULL")).toEqual([goneId]);
    expect(await h.store.getRun("x2", "concesiones")).toMatchObject({ removed: 1 });
  });

  it("a two-piece window synced twice: nothing removed, changed or held back; a forced one-day pass marks nothing outside its day", async () => {
    const window = { from: "2026-09-02", to: "2026-09-15" };
    await sync("concesiones", "t1", window);
    const all = await ids("concesiones", "id");
    await sync("concesiones", "t2", window);
    expect(await h.store.getRun("t2", "concesiones")).toMatchObject({ pieces: 2, new: 0, changed: 0, unchanged: all.length, removed: 0, removals_held: 0 });
    // One day, forced: its own rows are all still there, so nothing of it goes; its neighbours are not its to mark.
    expect(errors(await sync("concesiones", "t3", { from: "2026-09-08", to: "2026-09-08", allowRemoval: true }))).toEqual([]);
    expect(await ids("concesiones", "id", "removed_at IS NOT NULL")).toEqual([]);
    expect(await h.store.getRun("t3", "concesiones")).toMatchObject({ removed: 0, removals_held: 0 });
  });

  it("a piece that dies half-way keeps the pages it stored; run again, it stores them with 0 new and completes the rest", async () => {
    const window = { from: "2026-09-07", to: "2026-09-13" };
    fx.failures.push({ path: "/concesiones/busqueda", params: { page: "3" }, reply: { status: 500 } });
    const { start } = fx.concesiones.range("2026-09-08", "2026-09-09");
    await sync("concesiones", "h0", window); // a first, complete pass would show removals; here the first is partial
    fx.failures.length = 0;
    expect(await h.store.getRun("h0", "concesiones")).toMatchObject({ status: "running", new: 30, pieces_done: 0 });
    fx.concesiones.remove(start); // gone before the piece completes
    const again = await sync("concesiones", "h0", window);
    expect(errors(again)).toEqual([]);
    const expected = idsOf(fx.concesiones, "2026-09-07", "2026-09-13", (r) => r.id);
    expect((await ids("concesiones", "id")).length).toBe(expected.length);
    const run = await h.store.getRun("h0", "concesiones");
    expect(run).toMatchObject({ status: "succeeded", pieces_done: 1, removed: 1 });
    expect(run!.new).toBe(expected.length + 1); // every row once (the removed one before it went)
  });

  it("partidos políticos has no registration date: every sync fetches all of it and replaces it", async () => {
    expect(errors(await sync("partidos-politicos", "pp1"))).toEqual([]);
    expect(countRequests(h.bdns.requests, "/partidospoliticos/busqueda")).toBe(minimumRequests(fx, "partidos-politicos", { pageSize: 10 })["/partidospoliticos/busqueda"]);
    expect(h.bdns.requests.some((r) => r.params.has("fechaRegInicio"))).toBe(false);
    expect(await ids("partidos_politicos", "id")).toHaveLength(23);
    fx.partidosPoliticos.remove(4);
    fx.noise = true;
    await sync("partidos-politicos", "pp2");
    expect(await h.store.getRun("pp2", "partidos-politicos")).toMatchObject({ new: 0, changed: 0, unchanged: 22, removed: 1 });
  });

  it("the default window is the 7 days ending the day before the request; the floor bounds an early one", async () => {
    const runs = await h.runAll({ name: "concesiones/sync.requested", data: { runId: "df", timestamp: "2026-09-15T08:00:00.000Z" } });
    expect(errors(runs)).toEqual([]);
    expect(await h.store.getRun("df", "concesiones")).toMatchObject({ window_from: "2026-09-08", window_to: "2026-09-14" });
    const asked = h.bdns.requests.filter((r) => r.path === "/concesiones/busqueda");
    expect(new Set(asked.map((r) => `${r.params.get("fechaRegInicio")}..${r.params.get("fechaRegFin")}`))).toEqual(new Set([`${toBdnsDay("2026-09-08")}..${toBdnsDay("2026-09-15")}`]));
  });

  it("`sync all` with a window before a dataset's floor: the dataset starts at its floor, and a window wholly before it asks BDNS for nothing", async () => {
    // concesiones begins in 2020: `sync all --from 2019-12-28 --to 2020-01-02` asks it for 2020-01-01..02 only,
    expect(errors(await sync("concesiones", "fl1", { from: "2019-12-28", to: "2020-01-02" }))).toEqual([]);
    const asked = () => h.bdns.requests.filter((r) => r.path === "/concesiones/busqueda").map((r) => `${r.params.get("fechaRegInicio")}..${r.params.get("fechaRegFin")}`);
    expect(new Set(asked())).toEqual(new Set([`${toBdnsDay("2020-01-01")}..${toBdnsDay("2020-01-03")}`]));
    // and `sync all --from 2014-01-01 --to 2014-01-10` (convocatorias' data) has nothing of concesiones to sync: not 2020-01-01.
    const before = asked().length;
    expect(errors(await sync("concesiones", "fl2", { from: "2014-01-01", to: "2014-01-10" }))).toEqual([]);
    expect(asked().slice(before)).toEqual([]);
    // The run records the window it was asked for, not one that ends before it starts.
    expect(await h.store.getRun("fl2", "concesiones")).toMatchObject({ status: "succeeded", pieces: 0, window_from: "2014-01-01", window_to: "2014-01-10" });
    // A window that ends on the floor's own day holds that day: it is asked for.
    const beforeFloorDay = asked().length;
    expect(errors(await sync("concesiones", "fl3", { from: "2019-12-28", to: "2020-01-01" }))).toEqual([]);
    expect(asked().slice(beforeFloorDay).map((r) => r.split("..")[0])).toEqual([toBdnsDay("2020-01-01")]);
    expect(await h.store.getRun("fl3", "concesiones")).toMatchObject({ status: "succeeded", pieces: 1, window_from: "2020-01-01", window_to: "2020-01-01" });
  });
});

/**
 * The datasets' tables on both databases: a page stored in one transaction with its counters,
 * noise-free re-passes that change nothing, repeats across pages, removal scoped to what a completed
 * fetch covered, and every declared table matching its migration.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { Store } from "../../src/adapters/store/store.js";
import type { PreparedRow } from "../../src/adapters/store/dataset-tables.js";
import { STANDARD_COLUMNS } from "../../src/adapters/store/dataset-tables.js";
import { DATASETS } from "../../src/datasets/index.js";
import { catalogos } from "../../src/datasets/catalogos.js";
import { concesiones } from "../../src/datasets/concesiones.js";
import { readAnswer } from "../../src/functions/datasets/rows.js";
import { usePostgres } from "../support/postgres.js";

const pgServer = usePostgres();

const reglamentos = catalogos.feeds.find((f) => f.id === "reglamentos")!;
const rowsOf = (list: unknown[], sweep = "C"): PreparedRow[] => readAnswer(reglamentos, list, { feed: "reglamentos", sweep }, "/reglamentos").rows;
const t = (s: number) => new Date(Date.UTC(2026, 10, 28, 10, 0, s)).toISOString();

describe.each(["sqlite", "postgres"] as const)("dataset tables on %s", (dialect) => {
  let store: Store;
  let url: string;
  beforeEach(async () => {
    url = dialect === "sqlite" ? join(mkdtempSync(join(tmpdir(), "ayida-ds-")), "ds.db") : await pgServer().createDatabase();
    store = await Store.open(url);
    for (const run of ["r1", "r2", "r3"]) await store.ensureRun(run, "sync", {}, "catalogos");
  });
  afterEach(() => store.close());

  const table = () => store.tables.of(reglamentos.table);
  const rows = async () => (await store.db.selectFrom("catalogos" as never).selectAll().orderBy("id" as never).orderBy("ambito" as never).execute()) as unknown as Array<Record<string, unknown>>;

  it("stores a page: typed columns, raw JSON, hash, times; counters move in the same transaction", async () => {
    const counts = await table().writePage(rowsOf([{ id: 0, descripcion: "SIN REGLAMENTO " }, { descripcion: "REGLAMENTO (UE) 2023/2831", id: 21 }]), { runId: "r1", dataset: "catalogos", now: t(1), since: t(0) });
    expect(counts).toEqual({ fetched: 2, new: 2, changed: 0, unchanged: 0, repeated: 0 });
    const stored = await rows();
    expect(stored.map((r) => [r.catalogo, r.ambito, r.id, r.descripcion])).toEqual([["reglamentos", "C", 0, "SIN REGLAMENTO"], ["reglamentos", "C", 21, "REGLAMENTO (UE) 2023/2831"]]);
    expect(JSON.parse(String(stored[0]!.raw_json))).toEqual({ id: 0, descripcion: "SIN REGLAMENTO " });
    expect(stored[0]).toMatchObject({ first_seen_at: t(1), last_seen_at: t(1), last_changed_at: t(1), removed_at: null, last_run_id: "r1", content_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(await store.getRun("r1", "catalogos")).toMatchObject({ fetched: 2, new: 2, changed: 0, unchanged: 0 });
  });

  it("a page is stored whole or not at all: a row that fails past the first 100-row statement leaves no row and no counter moved", async () => {
    const page = rowsOf(Array.from({ length: 150 }, (_, i) => ({ id: i + 1, descripcion: `R${i + 1}` })));
    page[120]!.values[2] = null; // its id: a key column, NOT NULL — the store refuses it
    await expect(table().writePage(page, { runId: "r1", dataset: "catalogos", now: t(1), since: t(0) })).rejects.toThrow(/null|NOT NULL/i);
    expect(await rows()).toEqual([]);
    expect(await store.getRun("r1", "catalogos")).toMatchObject({ fetched: 0, new: 0, changed: 0, unchanged: 0 });
    // The same page without the bad row is stored whole, and counted once.
    await table().writePage(page.filter((_, i) => i !== 120), { runId: "r1", dataset: "catalogos", now: t(2), since: t(0) });
    expect(await rows()).toHaveLength(149);
    expect(await store.getRun("r1", "catalogos")).toMatchObject({ fetched: 149, new: 149 });
  });

  it("a second pass with only noise (order, trailing spaces, key order) changes nothing; a real change is one change", async () => {
    await table().writePage(rowsOf([{ id: 1, descripcion: "A" }, { id: 2, descripcion: "B" }]), { runId: "r1", dataset: "catalogos", now: t(1), since: t(0) });
    const second = await table().writePage(rowsOf([{ descripcion: "B ", id: 2 }, { id: 1, descripcion: " A" }]), { runId: "r2", dataset: "catalogos", now: t(11), since: t(10) });
    expect(second).toMatchObject({ new: 0, changed: 0, unchanged: 2 });
    expect((await rows()).map((r) => [r.last_changed_at, r.last_seen_at, r.descripcion])).toEqual([[t(1), t(11), "A"], [t(1), t(11), "B"]]);
    const third = await table().writePage(rowsOf([{ id: 1, descripcion: "A" }, { id: 2, descripcion: "B2" }]), { runId: "r3", dataset: "catalogos", now: t(21), since: t(20) });
    expect(third).toMatchObject({ new: 0, changed: 1, unchanged: 1 });
    expect((await rows())[1]).toMatchObject({ descripcion: "B2", last_changed_at: t(21), first_seen_at: t(1) });
  });

  it("a row repeated within a page or across the pages of one fetch is stored once and counted once", async () => {
    const first = await table().writePage(rowsOf([{ id: 1, descripcion: "A" }, { id: 2, descripcion: "B" }, { id: 1, descripcion: "A" }]), { runId: "r1", dataset: "catalogos", now: t(1), since: t(0) });
    expect(first).toEqual({ fetched: 3, new: 2, changed: 0, unchanged: 0, repeated: 1 });
    const next = await table().writePage(rowsOf([{ id: 2, descripcion: "B" }, { id: 3, descripcion: "C" }]), { runId: "r1", dataset: "catalogos", now: t(2), since: t(0) });
    expect(next).toEqual({ fetched: 2, new: 1, changed: 0, unchanged: 0, repeated: 1 });
    expect(await rows()).toHaveLength(3);
    expect(await store.getRun("r1", "catalogos")).toMatchObject({ fetched: 5, new: 3, unchanged: 0 });
  });

  it("marks removed only what the completed fetch of its own scope did not return, never deletes; a comeback is a change", async () => {
    await table().writePage(rowsOf([{ id: 1, descripcion: "A" }, { id: 2, descripcion: "B" }], "C"), { runId: "r1", dataset: "catalogos", now: t(1), since: t(0) });
    await table().writePage(rowsOf([{ id: 1, descripcion: "A" }], "M"), { runId: "r1", dataset: "catalogos", now: t(1), since: t(0) });
    // ámbito C again, without id 2; ámbito M not fetched this time
    await table().writePage(rowsOf([{ id: 1, descripcion: "A" }], "C"), { runId: "r2", dataset: "catalogos", now: t(11), since: t(10) });
    const { removed } = await table().markRemoved({ equals: { catalogo: "reglamentos", ambito: "C" } }, { runId: "r2", dataset: "catalogos", unit: "reglamentos:C", now: t(12), since: t(10) });
    expect(removed).toBe(1);
    const all = await rows();
    expect(all.map((r) => [r.ambito, r.id, r.removed_at])).toEqual([["C", 1, null], ["M", 1, null], ["C", 2, t(12)]]);
    expect(await store.getRun("r2", "catalogos")).toMatchObject({ removed: 1 });
    const back = await table().writePage(rowsOf([{ id: 2, descripcion: "B" }], "C"), { runId: "r3", dataset: "catalogos", now: t(21), since: t(20) });
    expect(back).toMatchObject({ changed: 1 });
    expect((await rows()).find((r) => r.id === 2 && r.ambito === "C")).toMatchObject({ removed_at: null, last_changed_at: t(21) });
  });

  it("a removal held back marks nothing, and is recorded and counted once per run and unit (a retried step counts nothing twice)", async () => {
    await table().writePage(rowsOf([{ id: 1, descripcion: "A" }, { id: 2, descripcion: "B" }, { id: 3, descripcion: "C" }]), { runId: "r1", dataset: "catalogos", now: t(1), since: t(0) });
    const seen: Array<{ live: number; missing: number }> = [];
    const hold = (c: { live: number; missing: number }) => (seen.push(c), { remove: false as const, reason: "empty", message: "BDNS answered empty" });
    const o = { runId: "r2", dataset: "catalogos", unit: "reglamentos:C", now: t(12), since: t(10) };
    const scope = { equals: { catalogo: "reglamentos", ambito: "C" } };
    expect(await table().markRemoved(scope, o, hold)).toEqual({ removed: 0, held: 3, hold: { remove: false, reason: "empty", message: "BDNS answered empty" } });
    expect(await table().markRemoved(scope, o, hold)).toMatchObject({ removed: 0, held: 3 });
    expect(seen).toEqual([{ live: 3, missing: 3 }, { live: 3, missing: 3 }]);
    expect((await rows()).map((r) => r.removed_at)).toEqual([null, null, null]);
    expect(await store.getRun("r2", "catalogos")).toMatchObject({ removed: 0, removals_held: 3 });
    const holds = await store.db.selectFrom("removal_holds").selectAll().execute();
    expect(holds.map((h) => [h.run_id, h.dataset, h.unit, Number(h.held), Number(h.live), h.reason, h.message, h.at])).toEqual([["r2", "catalogos", "reglamentos:C", 3, 3, "empty", "BDNS answered empty", t(12)]]);
  });

  it("an award page with an impossible date and a NUL in a text is stored whole: the date is none, the raw JSON keeps the rest", async () => {
    const feed = concesiones.feeds[0]!;
    await store.ensureRun("n1", "sync", {}, "concesiones");
    const page = readAnswer(feed, { content: [{ id: 1, fechaConcesion: "2026-02-30", fechaAlta: "2026-03-01", beneficiario: "B1 EMPRESA\u0000 SL", importe: 0.1 }, { id: 2, fechaConcesion: "2026-02-28", fechaAlta: "2026-03-01", importe: 0.2 }], totalPages: 1 }, { feed: feed.id }, feed.path).rows;
    expect(await store.tables.of(feed.table).writePage(page, { runId: "n1", dataset: "concesiones", now: t(1), since: t(0) })).toMatchObject({ new: 2 });
    const stored = (await sql<{ id: number; fecha_concesion: string | null; importe: number; raw_json: string }>`SELECT id, fecha_concesion, importe, raw_json FROM concesiones ORDER BY id`.execute(store.db)).rows;
    expect(stored.map((r) => [Number(r.id), r.fecha_concesion, r.importe])).toEqual([[1, null, 0.1], [2, "2026-02-28", 0.2]]);
    expect(JSON.parse(stored[0]!.raw_json)).toMatchObject({ fechaConcesion: "2026-02-30", beneficiario: "B1 EMPRESA SL" });
  });

  const award = (id: number, o: Record<string, unknown> = {}) => ({ id, idPersona: 70 + (id % 2), idConvocatoria: 900, fechaConcesion: "2026-03-02", fechaAlta: "2026-03-03", beneficiario: `B${id} EMPRESA ${id} SL`, importe: 10, convocatoria: `Ayudas ${id}`, ...o });
  const awardRows = (content: unknown[]) => readAnswer(concesiones.feeds[0]!, { content, totalPages: 1 }, { feed: "busqueda" }, "/concesiones/busqueda").rows;
  const awards = async () =>
    (await sql<Record<string, unknown>>`SELECT id, nif, beneficiario, convocatoria, importe, raw_json, first_seen_at, last_seen_at, last_changed_at, removed_at, last_run_id FROM concesiones ORDER BY id`.execute(store.db)).rows.map((r) => ({ ...r, id: Number(r.id), importe: Number(r.importe) }) as Record<string, unknown>);

  it("one page holding new, changed, re-spelt (unchanged) and returning rows writes each as what it is: the latest spelling kept, times moved only where they should", async () => {
    const table = store.tables.of(concesiones.feeds[0]!.table);
    for (const run of ["a1", "a2", "a3"]) await store.ensureRun(run, "sync", {}, "concesiones");
    await table.writePage(awardRows([1, 2, 3, 4].map((id) => award(id))), { runId: "a1", dataset: "concesiones", now: t(1), since: t(0) });
    expect(await table.markRemoved({ equals: {}, dateRange: { column: "fecha_alta", from: "2026-03-03", to: "2026-03-03" } }, { runId: "a1", dataset: "concesiones", unit: "u", now: t(2), since: t(2) }, (c) => (c.missing === 4 ? { remove: true } : { remove: false, reason: "x", message: "x" }))).toMatchObject({ removed: 4 });
    await table.writePage(awardRows([1, 2, 3].map((id) => award(id))), { runId: "a1", dataset: "concesiones", now: t(3), since: t(3) }); // 1–3 back; 4 stays removed
    const page = awardRows([award(1, { beneficiario: "B1 Empresa 1, S.L. " }), award(2, { importe: 12.5 }), award(3), award(4, { beneficiario: "B4 EMPRESA 4 S.L." }), award(5)]);
    expect(await table.writePage(page, { runId: "a2", dataset: "concesiones", now: t(11), since: t(10) })).toEqual({ fetched: 5, new: 1, changed: 2, unchanged: 2, repeated: 0 });
    const stored = await awards();
    expect(stored.map((r) => [r.id, r.nif, r.beneficiario, r.importe, r.first_seen_at, r.last_seen_at, r.last_changed_at, r.removed_at, r.last_run_id])).toEqual([
      [1, "B1", "Empresa 1, S.L.", 10, t(1), t(11), t(3), null, "a2"], // re-spelt: the new name, nothing changed
      [2, "B2", "EMPRESA 2 SL", 12.5, t(1), t(11), t(11), null, "a2"], // changed
      [3, "B3", "EMPRESA 3 SL", 10, t(1), t(11), t(3), null, "a2"], // unchanged
      [4, "B4", "EMPRESA 4 S.L.", 10, t(1), t(11), t(11), null, "a2"], // back after removal: a change, with its new spelling
      [5, "B5", "EMPRESA 5 SL", 10, t(11), t(11), t(11), null, "a2"], // new
    ]);
    expect(JSON.parse(String(stored[0]!.raw_json))).toMatchObject({ beneficiario: "B1 Empresa 1, S.L. " });
    const totals = (await sql<{ p: number; n: number; s: number }>`SELECT id_persona AS p, concesiones AS n, importe AS s FROM beneficiarios_totales ORDER BY 1`.execute(store.db)).rows;
    expect(totals.map((r) => [Number(r.p), Number(r.n), Number(r.s)])).toEqual([[70, 2, 22.5], [71, 3, 30]]);
    expect(await store.getRun("a2", "concesiones")).toMatchObject({ fetched: 5, new: 1, changed: 2, unchanged: 2 });
  });

  it("texts with backslashes, quotes, tabs, newlines, other scripts and empty strings are stored as sent, on both databases", async () => {
    const table = store.tables.of(concesiones.feeds[0]!.table);
    await store.ensureRun("e1", "sync", {}, "concesiones");
    const odd = ['C:\\ruta\\a "b"', "tab\there", "line\nbreak\r\n", "\\N", "ñandú — 中文 😀", "\\.", "a\\tb"];
    const content = odd.map((c, i) => award(i + 1, { convocatoria: c, urlBR: i === 0 ? "" : null, descripcionCooficial: c }));
    await table.writePage(awardRows(content), { runId: "e1", dataset: "concesiones", now: t(1), since: t(0) });
    const stored = await awards();
    expect(stored.map((r) => r.convocatoria)).toEqual(odd.map((c) => c.trim()));
    expect(stored.map((r) => JSON.parse(String(r.raw_json)).convocatoria)).toEqual(odd);
    const urls = (await sql<{ u: string | null }>`SELECT url_br AS u FROM concesiones ORDER BY id`.execute(store.db)).rows.map((r) => r.u);
    expect(urls).toEqual(odd.map(() => null)); // "" is no URL (toText), and null stays null
    // the same rows again, re-spelt only: unchanged, and stored as sent again
    await store.ensureRun("e2", "sync", {}, "concesiones");
    expect(await table.writePage(awardRows(content.map((c) => ({ ...c, beneficiario: `${c.beneficiario} ` }))), { runId: "e2", dataset: "concesiones", now: t(11), since: t(10) })).toMatchObject({ unchanged: odd.length });
    expect((await awards()).map((r) => JSON.parse(String(r.raw_json)).convocatoria)).toEqual(odd);
  });

  it("two writers of the same award rows at once (two runs over one week) count each row once in the totals", async () => {
    const feed = concesiones.feeds[0]!;
    await store.ensureRun("c1", "sync", {}, "concesiones");
    const other = await Store.open(store.dialect === "sqlite" ? store.location : url);
    try {
      for (let round = 0; round < 5; round++) {
        const content = Array.from({ length: 300 }, (_, i) => ({ id: round * 1000 + i, idPersona: 7 + (i % 3), fechaConcesion: "2025-03-03", fechaAlta: `2026-03-0${1 + (i % 3)}`, beneficiario: "B1 EMPRESA SL", importe: 10 }));
        const page = readAnswer(feed, { content, totalPages: 1 }, { feed: feed.id }, feed.path).rows;
        const o = { runId: "c1", dataset: "concesiones", now: t(round + 1), since: t(round) };
        await Promise.all([store.tables.of(feed.table).writePage(page, o), other.tables.of(feed.table).writePage(page, o)]);
      }
    } finally {
      await other.close();
    }
    const totals = (await sql<{ p: number; n: number; s: number }>`SELECT id_persona AS p, concesiones AS n, importe AS s FROM beneficiarios_totales ORDER BY 1`.execute(store.db)).rows;
    expect(totals.map((r) => [Number(r.p), Number(r.n), Number(r.s)])).toEqual([[7, 500, 5000], [8, 500, 5000], [9, 500, 5000]]);
  });

  it("keysWithNull finds the rows still missing a column (details not fetched yet)", async () => {
    const plans = DATASETS.find((d) => d.name === "planes-estrategicos")!;
    const feed = plans.feeds[0]!;
    const page = { content: [{ id: 3101, descripcion: "P1" }, { id: 3102, descripcion: "P2" }], totalPages: 1 };
    await store.ensureRun("p", "sync", {}, plans.name);
    await store.tables.of(feed.table).writePage(readAnswer(feed, page, { feed: feed.id }, "/x").rows, { runId: "p", dataset: plans.name, now: t(1), since: t(0) });
    expect(await store.tables.of(feed.table).keysWithNull("detail_hash", [3101, 3102])).toEqual([3101, 3102]);
    expect(await store.tables.details(feed.table).storeDetail("3101", { json: "{}", hash: "h", columns: { fecha_aprobacion: "2026-01-02" } }, t(2))).toBe("new");
    expect(await store.tables.of(feed.table).keysWithNull("detail_hash", [3101, 3102])).toEqual([3102]);
    expect(await store.tables.details(feed.table).storeDetail("3101", { json: "{}", hash: "h", columns: {} }, t(3))).toBe("unchanged");
    expect(await store.tables.details(feed.table).storeDetail("9", { json: "{}", hash: "h", columns: {} }, t(3))).toBe("no-row");
  });

  /** Columns that lead an index of the table (the portal's queries use them). */
  async function indexedColumns(table: string): Promise<string[]> {
    if (store.dialect === "sqlite") {
      const list = (await sql<{ name: string }>`SELECT name FROM pragma_index_list(${table})`.execute(store.db)).rows;
      const cols = await Promise.all(list.map(async (i) => (await sql<{ name: string }>`SELECT name FROM pragma_index_info(${i.name})`.execute(store.db)).rows[0]?.name ?? ""));
      return cols;
    }
    const rows = (await sql<{ def: string }>`SELECT indexdef AS def FROM pg_indexes WHERE tablename = ${table}`.execute(store.db)).rows;
    return rows.map((r) => /\(([a-z_0-9]+)/.exec(r.def)?.[1] ?? "");
  }

  it("every declared table exists with its declared columns, key and the standard columns", async () => {
    const tables = await store.db.introspection.getTables();
    for (const d of DATASETS) {
      for (const feed of d.feeds) {
        const found = tables.find((x) => x.name === feed.table.name);
        expect(found, `${d.name}: table ${feed.table.name}`).toBeDefined();
        const names = found!.columns.map((c) => c.name);
        expect(names, `${feed.table.name} columns`).toEqual(expect.arrayContaining([...Object.keys(feed.table.columns), ...STANDARD_COLUMNS]));
        for (const k of feed.table.key) expect(found!.columns.find((c) => c.name === k)!.isNullable, `${feed.table.name}.${k} is part of the key`).toBe(false);
        const indexed = await indexedColumns(feed.table.name);
        for (const [c, col] of Object.entries(feed.table.columns)) if (col.index) expect(indexed, `${feed.table.name}.${c} is indexed`).toContain(c);
        if (feed.table.registrationDate) expect(indexed, `${feed.table.name}: its registration date is indexed`).toContain(feed.table.registrationDate);
      }
    }
  });
});

/**
 * The portal's reads (src/adapters/store/portal-reads.ts, docs/portal-reads.md) on both databases,
 * against the schema the migrations make, on data written by the store's own writes (listings, details,
 * documents, award pages, removals): each read returns the rows a model of the data says it should, and
 * its plan uses the index the read names (EXPLAIN QUERY PLAN / EXPLAIN) — a test that fails when the
 * index is dropped, which one case does on purpose (test/support/read-plans.ts reads the plans). Timings are the bench's (`npm run bench store-reads`).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detailSchema, searchRowSchema } from "../../src/adapters/bdns/schemas.js";
import { indexOf, PORTAL_READS, readById, type StoreDialect } from "../../src/adapters/store/portal-reads.js";
import { Store } from "../../src/adapters/store/store.js";
import { ayudasEstado } from "../../src/datasets/ayudas-estado.js";
import { concesiones } from "../../src/datasets/concesiones.js";
import { minimis } from "../../src/datasets/minimis.js";
import type { DatasetDeclaration } from "../../src/datasets/types.js";
import { readAnswer } from "../../src/functions/datasets/rows.js";
import { usePostgres } from "../support/postgres.js";
import { IN_INDEX_ORDER, readPlan, runRead } from "../support/read-plans.js";

const pgServer = usePostgres();

const TODAY = "2026-11-28";
const T0 = "2026-11-20T10:00:00.000Z";
const T1 = "2026-11-27T10:00:00.000Z";
const T2 = "2026-11-28T09:00:00.000Z";
const remove = () => ({ remove: true as const });

// --- the model: what the store is given, and what each read should then return ------------------

const ORGANOS = ["DIRECCIÓN GENERAL DE TRANSICIÓN ENERGÉTICA", "AYUNTAMIENTO DE EJEMPLO", "SERVICIO PÚBLICO DE EMPLEO"];
const TITLES = ["Ayudas a la eficiencia energética de viviendas", "Subvenciones para la rehabilitación de edificios", "Programa de EFICIENCIA ENERGETICA industrial", "Becas de formación"];
const DATES = ["2024-03-01", "2025-02-10", "2025-06-15", "2025-06-15", "2026-09-01"];

interface Conv {
  bdns: string;
  id: number;
  fecha: string;
  organo: string;
  titulo: string;
  region: string;
  sector: string;
  inicio: string | null;
  fin: string | null;
  abiertoBdns: boolean;
  removed: boolean;
}

/** 40 convocatorias; codes cross 99999 → 100000 (text order is not number order). */
const CONVS: Conv[] = Array.from({ length: 40 }, (_, i) => {
  const window = [
    ["2026-11-01", "2026-12-15"], // open
    ["2026-10-01", "2026-11-10"], // closed
    ["2026-12-01", "2027-01-31"], // not yet
    [null, "2026-11-28"], // open: closes today
    [null, null], // a free-text deadline: BDNS's flag
  ][i % 5]!;
  return {
    bdns: String(99_990 + i),
    id: 5_000_000 + i,
    fecha: DATES[i % 5]!,
    organo: ORGANOS[i % 3]!,
    titulo: `${TITLES[i % 4]} ${i}`,
    region: i % 2 === 0 ? "ES52" : "ES30",
    sector: ["F", "L", "A"][i % 3]!,
    inicio: window[0] ?? null,
    fin: window[1] ?? null,
    abiertoBdns: i % 10 === 4,
    removed: i === 7 || i === 32,
  };
});
/** Convocatoria 9's title as its second detail has it. */
const RETITLED = "Ayudas a la movilidad sostenible";
const titleOf = (c: Conv) => (c === CONVS[9] ? RETITLED : c.titulo);

function detailOf(c: Conv) {
  return {
    id: c.id,
    codigoBDNS: c.bdns,
    organo: { nivel1: "AUTONOMICA", nivel2: "COMUNITAT VALENCIANA", nivel3: c.organo },
    fechaRecepcion: c.fecha,
    descripcion: c.titulo,
    descripcionLeng: null,
    presupuestoTotal: 1000 + Number(c.bdns),
    abierto: c.abiertoBdns,
    fechaInicioSolicitud: c.inicio,
    fechaFinSolicitud: c.fin,
    regiones: [{ descripcion: `${c.region} - ${c.region === "ES52" ? "COMUNIDAD VALENCIANA" : "COMUNIDAD DE MADRID"}` }],
    sectores: [{ codigo: c.sector, descripcion: `Sector ${c.sector}` }],
    documentos: [0, 1].map((d) => ({ id: Number(c.bdns) * 10 + d, nombreFic: `doc ${d}.pdf`, descripcion: "Documento", long: 100 + d, datMod: c.fecha, datPublicacion: `2026-0${d + 1}-01` })),
  };
}

interface Award {
  id: number;
  idPersona: number;
  nif: string;
  name: string;
  conv: Conv;
  fechaConcesion: string;
  fechaAlta: string;
  importe: number;
  removed: boolean;
}

/** 12 beneficiaries: 6 companies, 6 people behind two masked NIFs. 150 awards over 2024–2026. */
const AWARDS: Award[] = Array.from({ length: 150 }, (_, i) => {
  const p = i % 12;
  const year = 2024 + (Math.floor(i / 12) % 3);
  return {
    id: 700_000 + i,
    idPersona: 20_000_000 + p,
    nif: p < 6 ? `B0000000${p}` : p < 9 ? "***1234**" : "***9876**",
    name: p < 6 ? `EMPRESA ${p} SL` : `PERSONA ${p}`,
    conv: CONVS[i % 10]!,
    fechaConcesion: `${year}-0${1 + (i % 9)}-1${i % 10}`,
    fechaAlta: `2026-09-0${1 + (i % 7)}`,
    importe: 1000 + ((i * 37) % 900) + (i % 4) * 0.25 + (i === 5 ? 500 : 0), // 5's amount changes in the second pass
    removed: `2026-09-0${1 + (i % 7)}` === "2026-09-07", // gone from their window in the second pass
  };
});
/** What BDNS said in the first pass. */
const firstPass = (a: Award): Award => (a.id === 700_005 ? { ...a, importe: a.importe - 500 } : a);
const awardRecord = (a: Award) => ({
  id: a.id,
  codConcesion: `SB${a.id}`,
  idConvocatoria: a.conv.id,
  numeroConvocatoria: a.conv.bdns,
  convocatoria: a.conv.titulo,
  nivel1: "AUTONOMICA",
  nivel3: a.conv.organo,
  fechaConcesion: a.fechaConcesion,
  fechaAlta: a.fechaAlta,
  idPersona: a.idPersona,
  beneficiario: `${a.nif} ${a.name}`,
  instrumento: "SUBVENCIÓN",
  importe: a.importe,
  ayudaEquivalente: a.importe / 2,
});

const live = CONVS.filter((c) => !c.removed);
const byDateCode = (a: Conv, b: Conv) => (a.fecha === b.fecha ? Number(b.bdns) - Number(a.bdns) : a.fecha < b.fecha ? 1 : -1);
const newestAwards = (list: Award[]) => list.filter((a) => !a.removed).sort((a, b) => (a.fechaConcesion === b.fechaConcesion ? b.id - a.id : a.fechaConcesion < b.fechaConcesion ? 1 : -1));
const yearOf = (a: Award) => Number(a.fechaConcesion.slice(0, 4));
const round = (n: number) => Math.round(n * 100) / 100;

/** Each read: its values, and the rows it should return (as one comparable value each). */
const CASES: Record<string, { values: Record<string, unknown>; expected: () => unknown[]; row: (r: Record<string, unknown>) => unknown }> = {
  "convocatorias-latest": { values: {}, expected: () => [...live].sort(byDateCode).slice(0, 20).map((c) => c.bdns), row: (r) => r.bdns },
  convocatoria: {
    values: { bdns: "99993", today: TODAY },
    expected: () => [["99993", 99993, 1]], // [null, 2026-11-28]: open, closing today
    row: (r) => [r.bdns, Number(r.codigo), Number(r.abierto)],
  },
  "convocatoria-documentos": { values: { bdns: "99995" }, expected: () => ["999951"], row: (r) => r.id }, // its detail dropped document 0
  "convocatorias-abiertas": {
    values: { today: TODAY },
    expected: () =>
      live
        .filter((c) => c.fin !== null && c.fin >= TODAY && (c.inicio === null || c.inicio <= TODAY))
        .sort((a, b) => (a.fin === b.fin ? Number(a.bdns) - Number(b.bdns) : a.fin! < b.fin! ? -1 : 1))
        .slice(0, 20)
        .map((c) => c.bdns),
    row: (r) => r.bdns,
  },
  "convocatorias-busqueda": {
    values: { q: "eficiencia energetica" },
    expected: () => live.filter((c) => /eficiencia energ[ée]tica/i.test(titleOf(c))).sort(byDateCode).slice(0, 20).map((c) => c.bdns),
    row: (r) => r.bdns,
  },
  "convocatorias-busqueda-total": { values: { q: "ENERGÉTICA" }, expected: () => [live.filter((c) => /energ[ée]tica/i.test(titleOf(c))).length], row: (r) => Number(r.n) },
  "convocatorias-region-sector-ejercicio": {
    values: { region: "ES52", sector: "F", desde: "2025-01-01", hasta: "2026-01-01" },
    expected: () => live.filter((c) => c.region === "ES52" && c.sector === "F" && c.fecha.startsWith("2025")).sort(byDateCode).map((c) => c.bdns),
    row: (r) => r.bdns,
  },
  "convocatorias-organo": {
    values: { organo: ORGANOS[1] },
    expected: () => live.filter((c) => c.organo === ORGANOS[1]).sort(byDateCode).slice(0, 20).map((c) => c.fecha),
    row: (r) => r.fecha_recepcion,
  },
  "convocatorias-cambios": { values: { since: T1 }, expected: () => [["100022", true], ["99997", true], ["99999", false]], row: (r) => [r.bdns, r.removed_at !== null] }, // removed at T2 (7, 32) and changed at T2 (9)
  "concesiones-nif": { values: { nif: "***1234**" }, expected: () => newestAwards(AWARDS.filter((a) => a.nif === "***1234**")).slice(0, 20).map((a) => a.id), row: (r) => Number(r.id) },
  "concesiones-nif-total": {
    values: { nif: "B00000003" },
    expected: () => {
      const mine = AWARDS.filter((a) => a.nif === "B00000003" && !a.removed);
      return [[mine.length, round(mine.reduce((s, a) => s + a.importe, 0))]];
    },
    row: (r) => [Number(r.concesiones), round(Number(r.importe))],
  },
  "concesiones-persona": { values: { id_persona: 20_000_007 }, expected: () => newestAwards(AWARDS.filter((a) => a.idPersona === 20_000_007)).map((a) => a.id), row: (r) => Number(r.id) },
  "beneficiario-ejercicios": {
    values: { id_persona: 20_000_001 },
    expected: () =>
      [2026, 2025, 2024]
        .map((y) => AWARDS.filter((a) => a.idPersona === 20_000_001 && !a.removed && yearOf(a) === y))
        .filter((l) => l.length > 0)
        .map((l) => [yearOf(l[0]!), l.length, round(l.reduce((s, a) => s + a.importe, 0))]),
    row: (r) => [Number(r.ejercicio), Number(r.concesiones), round(Number(r.importe))],
  },
  "concesiones-convocatoria": { values: { id_convocatoria: CONVS.find((c) => c.bdns === "99992")!.id }, expected: () => newestAwards(AWARDS.filter((a) => a.conv.bdns === "99992")).map((a) => a.id), row: (r) => Number(r.id) },
  "concesiones-convocatoria-total": {
    values: { bdns: "99992" },
    expected: () => {
      const mine = AWARDS.filter((a) => a.conv.bdns === "99992" && !a.removed);
      return [[mine.length, round(mine.reduce((s, a) => s + a.importe, 0))]];
    },
    row: (r) => [Number(r.concesiones), round(Number(r.importe))],
  },
  "concesiones-ultimas": {
    values: {},
    expected: () => AWARDS.filter((a) => !a.removed).sort((a, b) => (a.fechaAlta === b.fechaAlta ? b.id - a.id : a.fechaAlta < b.fechaAlta ? 1 : -1)).slice(0, 20).map((a) => a.id),
    row: (r) => Number(r.id),
  },
  "concesiones-cambios": { values: { since: T1 }, expected: () => AWARDS.filter((a) => a.removed || a.id === 700_005).map((a) => [a.id, a.removed]), row: (r) => [Number(r.id), r.removed_at !== null] },
  "concesiones-retiradas": { values: { since: T1 }, expected: () => AWARDS.filter((a) => a.removed).map((a) => a.id), row: (r) => Number(r.id) },
  "ranking-ejercicio": {
    values: { ejercicio: 2025 },
    expected: () => {
      const sums = new Map<number, number>();
      for (const a of AWARDS) if (!a.removed && yearOf(a) === 2025) sums.set(a.idPersona, (sums.get(a.idPersona) ?? 0) + a.importe);
      return [...sums].sort((x, y) => y[1] - x[1]).map(([p, s]) => [p, round(s)]);
    },
    row: (r) => [Number(r.id_persona), round(Number(r.importe))],
  },
  "minimis-tres-anios": { values: { id_persona: 20_000_002, desde: "2023-11-28" }, expected: () => [[2, 300]], row: (r) => [Number(r.concesiones), Number(r.ayuda_equivalente)] },
  "ayudas-estado-persona": { values: { id_persona: 20_000_002 }, expected: () => [900_002, 900_001], row: (r) => Number(r.id_concesion) },
};

const pageOf = (d: DatasetDeclaration, content: unknown[]) => readAnswer(d.feeds[0]!, { content, totalPages: 1 }, { feed: d.feeds[0]!.id }, d.feeds[0]!.path).rows;

/** The model, written through the store's own writes (and its removals), in three passes. */
async function build(store: Store): Promise<void> {
  await store.ensureRun("r0", "sync", {});
  await store.ensureRun("r0", "sync", {}, "concesiones");
  const listing = (list: Conv[]) => list.map((c) => searchRowSchema.parse({ id: c.id, numeroConvocatoria: c.bdns, descripcion: c.titulo, fechaRecepcion: c.fecha, nivel1: "AUTONOMICA", nivel2: "COMUNITAT VALENCIANA", nivel3: c.organo }));
  // T0: everything listed, every detail and its documents stored.
  await store.upsertListing(listing(CONVS), "r0", T0);
  for (const c of CONVS) {
    const raw = detailOf(c);
    await store.upsertDetail(detailSchema.parse(raw), raw, "r0", T0);
    await store.upsertDocuments(c.bdns, detailSchema.parse(raw).documentos!, { now: T0 });
  }
  // T2: 7 and 32 are no longer listed (removed); 9's title changes; 99995's detail drops document 0.
  await store.upsertListing(listing(live), "r0", T2);
  for (const d of [...new Set(DATES)]) await store.markConvocatoriasRemoved({ from: d, to: d }, { runId: "r0", dataset: "convocatorias", unit: d, now: T2, since: T2 }, remove);
  const changed = { ...detailOf(CONVS[9]!), descripcion: RETITLED };
  await store.upsertDetail(detailSchema.parse(changed), changed, "r0", T2);
  const five = detailOf(CONVS[5]!);
  await store.upsertDocuments("99995", detailSchema.parse(five).documentos!.slice(1), { now: T2, removal: { runId: "r0", decide: remove } });

  // Awards: every one at T0 (two pages); at T2 one changes its amount, names are re-spelt (noise), and
  // the awards of 2026-09-07 are gone from their window (removed).
  const writer = store.tables.of(concesiones.feeds[0]!.table);
  await writer.writePage(pageOf(concesiones, AWARDS.slice(0, 80).map(firstPass).map(awardRecord)), { runId: "r0", dataset: "concesiones", now: T0, since: T0 });
  await writer.writePage(pageOf(concesiones, AWARDS.slice(80).map(firstPass).map(awardRecord)), { runId: "r0", dataset: "concesiones", now: T0, since: T0 });
  const again = AWARDS.filter((a) => !a.removed).map((a) => ({ ...awardRecord(a), beneficiario: `${a.nif}  ${a.name.toLowerCase()}` }));
  await writer.writePage(pageOf(concesiones, again), { runId: "r0", dataset: "concesiones", now: T2, since: T2 });
  await writer.markRemoved({ equals: {}, dateRange: { column: "fecha_alta", from: "2026-09-07", to: "2026-09-07" } }, { runId: "r0", dataset: "concesiones", unit: "w", now: T2, since: T2 }, remove);

  const minimisRows = [
    { idConcesion: 800_001, idPersona: 20_000_002, beneficiario: "B00000002 EMPRESA 2 SL", fechaConcesion: "2024-05-01", fechaRegistro: "2024-05-02", ayudaEquivalente: 100 },
    { idConcesion: 800_002, idPersona: 20_000_002, beneficiario: "B00000002 EMPRESA 2 SL", fechaConcesion: "2026-01-10", fechaRegistro: "2026-01-11", ayudaEquivalente: 200 },
    { idConcesion: 800_003, idPersona: 20_000_002, beneficiario: "B00000002 EMPRESA 2 SL", fechaConcesion: "2022-01-10", fechaRegistro: "2022-01-11", ayudaEquivalente: 5000 },
    { idConcesion: 800_004, idPersona: 20_000_003, beneficiario: "B00000003 EMPRESA 3 SL", fechaConcesion: "2026-01-10", fechaRegistro: "2026-01-11", ayudaEquivalente: 7 },
  ];
  await store.ensureRun("r0", "sync", {}, "minimis");
  await store.tables.of(minimis.feeds[0]!.table).writePage(pageOf(minimis, minimisRows), { runId: "r0", dataset: "minimis", now: T0, since: T0 });
  const ayudas = [900_001, 900_002, 900_003].map((id, i) => ({ idConcesion: id, idPersona: i < 2 ? 20_000_002 : 20_000_004, beneficiario: "B00000002 - EMPRESA 2 SL", fechaConcesion: `2025-0${i + 1}-01`, fechaAlta: "2025-04-01", importe: 10 * (i + 1) }));
  await store.ensureRun("r0", "sync", {}, "ayudas-estado");
  await store.tables.of(ayudasEstado.feeds[0]!.table).writePage(pageOf(ayudasEstado, ayudas), { runId: "r0", dataset: "ayudas-estado", now: T0, since: T0 });
}

describe.each(["sqlite", "postgres"] as const)("the portal's reads on %s", (dialect: StoreDialect) => {
  let store: Store;
  beforeAll(async () => {
    store = await Store.open(dialect === "sqlite" ? join(mkdtempSync(join(tmpdir(), "ayida-reads-")), "reads.db") : await pgServer().createDatabase());
    await build(store);
  }, 60_000);
  afterAll(() => store?.close());

  it("every read in the list has a case here, and every case a read", () => {
    expect(Object.keys(CASES).sort()).toEqual(PORTAL_READS.map((r) => r.id).sort());
  });

  it.each(PORTAL_READS.map((r) => [r.id] as const))("%s: the rows the data says, through its index", async (id) => {
    const c = CASES[id]!;
    const rows = await runRead(store, id, c.values);
    expect(rows.map(c.row)).toEqual(c.expected());
    const p = await readPlan(store, id, c.values, { priceOutScans: true });
    expect(p.indexes, p.text).toContain(indexOf(readById(id), dialect));
    expect(p.scans, `full scans in ${p.text}`).toEqual([]);
  });

  it.each(IN_INDEX_ORDER.map((id) => [id] as const))("%s: page 1 comes in its index's order, without sorting every award it matches", async (id) => {
    const c = CASES[id]!;
    // Whether the index can give the page in order: with a few rows here the planner would rather
    // gather them all and sort (bitmap scan), so that is priced out; the bench reads the plans at volume.
    const p = await readPlan(store, id, c.values, { priceOutScans: true, priceOutBitmaps: true });
    expect(p.indexes, p.text).toContain(indexOf(readById(id), dialect));
    expect(p.sorts, p.text).toEqual([]);
  });

  it("the totals tables are what summing the award rows gives (per beneficiary, per convocatoria), after changes, re-spelt names and removals", async () => {
    const year = dialect === "postgres" ? "extract(year FROM fecha_concesion)::integer" : "CAST(substr(fecha_concesion, 1, 4) AS INTEGER)";
    const summed = await sql.raw<{ p: number; y: number; n: number; s: number }>(
      `SELECT id_persona AS p, ${year} AS y, count(*) AS n, sum(importe) AS s FROM concesiones WHERE removed_at IS NULL GROUP BY 1, 2 ORDER BY 1, 2`,
    ).execute(store.db);
    const kept = await sql<{ p: number; y: number; n: number; s: number }>`SELECT id_persona AS p, ejercicio AS y, concesiones AS n, importe AS s FROM beneficiarios_totales ORDER BY 1, 2`.execute(store.db);
    const norm = (rows: Array<{ p: number; y: number; n: number; s: number }>) => rows.map((r) => [Number(r.p), Number(r.y), Number(r.n), round(Number(r.s))]);
    expect(norm(kept.rows)).toEqual(norm(summed.rows));
    expect(kept.rows.length).toBeGreaterThan(20);
    const byConvocatoria = await sql.raw<{ p: number; y: number; n: number; s: number }>(
      `SELECT id_convocatoria AS p, ${year} AS y, count(*) AS n, sum(importe) AS s FROM concesiones WHERE removed_at IS NULL GROUP BY 1, 2 ORDER BY 1, 2`,
    ).execute(store.db);
    const keptByConvocatoria = await sql<{ p: number; y: number; n: number; s: number }>`SELECT id_convocatoria AS p, ejercicio AS y, concesiones AS n, importe AS s FROM convocatorias_totales ORDER BY 1, 2`.execute(store.db);
    expect(norm(keptByConvocatoria.rows)).toEqual(norm(byConvocatoria.rows));
    expect(keptByConvocatoria.rows.length).toBeGreaterThan(20);
    // A masked NIF's people keep their own rows; the name is the one of the last write that moved the
    // totals (a re-spelt name alone moves nothing, so a re-pass that changes nothing writes nothing here).
    const seven = await sql<{ beneficiario: string; nif: string }>`SELECT beneficiario, nif FROM beneficiarios_totales WHERE id_persona = ${20_000_007} AND ejercicio = 2024`.execute(store.db);
    expect(seven.rows[0]).toEqual({ beneficiario: "PERSONA 7", nif: "***1234**" });
    const five = await sql<{ beneficiario: string }>`SELECT beneficiario FROM beneficiarios_totales WHERE id_persona = ${20_000_005} AND ejercicio = ${yearOf(AWARDS[5]!)}`.execute(store.db);
    expect(five.rows[0]).toEqual({ beneficiario: "empresa 5 sl" });
  });

  it("search ignores accents and case, finds a changed title's new words and not its old ones, and leaves removed ones out", async () => {
    const count = async (q: string) => Number((await runRead(store, "convocatorias-busqueda-total", { q }))[0]!.n);
    expect(await count("energética")).toBe(await count("ENERGETICA"));
    expect(await count("movilidad")).toBe(1);
    expect(await count("rehabilitación 9")).toBe(0); // its old title's words
    expect(await count("rehabilitación 13")).toBe(1);
    expect(await count("Becas formacion")).toBe(live.filter((c) => c.titulo.startsWith("Becas")).length);
    expect((await runRead(store, "convocatorias-busqueda", { q: "movilidad sostenible" })).map((r) => r.bdns)).toEqual(["99999"]);
    // 7 and 32 were removed: a word only they had finds nothing.
    expect(await count(`${CONVS[7]!.titulo.split(" ").at(-1)}`)).toBe(0);
  });

  it("a plan check fails when its index is dropped (the check is real)", async () => {
    const c = CASES["concesiones-nif"]!;
    await sql`DROP INDEX concesiones_nif_fecha_concesion_id`.execute(store.db);
    const p = await readPlan(store, "concesiones-nif", c.values, { priceOutScans: true });
    expect(p.indexes).not.toContain("concesiones_nif_fecha_concesion_id");
    expect(p.scans.length + p.indexes.length).toBeGreaterThan(0);
    expect((await runRead(store, "concesiones-nif", c.values)).map(c.row)).toEqual(c.expected()); // same rows, the slow way
  });
});

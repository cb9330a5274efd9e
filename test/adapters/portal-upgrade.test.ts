/**
 * A store written by the code before the portal's migrations (schema 0007: every date and time text,
 * amounts floats, JSON text; or main's schema 0010, which added run_steps and the budget's sharers
 * before the portal's migrations landed) is carried over on open, on both databases: PostgreSQL's columns get their
 * types with every value kept (and what is not a date, time or JSON becomes null instead of failing the
 * open), convocatorias get their code, facets and search from the stored details, awards their totals
 * (removed ones left out), and the store's writes and the portal's reads work on the result.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Migrator, sql, type Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detailSchema } from "../../src/adapters/bdns/schemas.js";
import { openDatabase } from "../../src/adapters/store/db.js";
import { migrations } from "../../src/adapters/store/migrations.js";
import { Store } from "../../src/adapters/store/store.js";
import { usePostgres } from "../support/postgres.js";
import { runRead } from "../support/read-plans.js";

const pgServer = usePostgres();

const AT = "2026-11-01T08:30:00.123Z";
const detail = (bdns: string, descripcion: string) => ({
  id: Number(bdns) + 1_000_000,
  codigoBDNS: bdns,
  descripcion,
  fechaRecepcion: "2025-05-05",
  regiones: [{ descripcion: "ES52 - COMUNIDAD VALENCIANA" }, { descripcion: "ES30 - COMUNIDAD DE MADRID" }],
  sectores: [{ descripcion: "CONSTRUCCIÓN", codigo: "F" }],
  tiposBeneficiarios: [{ descripcion: "PYME", codigo: "PYM" }],
  note: "a NUL \u0000 in a text",
});

/** The migrations main shipped before the portal's: a store it made has exactly these applied. */
const SHIPPED = ["0001_initial", "0002_runs_items_datasets", "0003_reference_datasets", "0004_award_datasets", "0005_bdns_budget", "0006_removal_holds", "0007_canonical_codes", "0008_run_items_activity", "0009_run_steps", "0010_bdns_budget_sharers"];
type Schema = "0007_canonical_codes" | "0010_bdns_budget_sharers";

/** Migrate `db` as the code that shipped `upTo` did: its migrations only, the portal's not known yet. */
async function migrateAsShipped(db: Kysely<unknown>, dialect: "sqlite" | "postgres", upTo: Schema): Promise<void> {
  const all = migrations(dialect);
  const shipped = Object.fromEntries(SHIPPED.slice(0, SHIPPED.indexOf(upTo) + 1).map((name) => [name, all[name]!]));
  const { error } = await new Migrator({ db, provider: { getMigrations: async () => shipped } }).migrateToLatest();
  if (error) throw error;
}

async function writeOldStore(url: string, dialect: "sqlite" | "postgres", schema: Schema = "0007_canonical_codes"): Promise<void> {
  const { db } = await openDatabase(url, { upTo: "0001_initial" });
  await migrateAsShipped(db as Kysely<unknown>, dialect, schema);
  const conv = (bdns: string, descripcion: string, fecha: string, json: string | null) =>
    sql`INSERT INTO convocatorias (bdns, id, descripcion, fecha_recepcion, presupuesto_total, fecha_fin_solicitud, detail_json, content_hash, first_seen_at, listed_at, last_changed_at)
      VALUES (${bdns}, ${Number(bdns) + 1_000_000}, ${descripcion}, ${fecha}, ${1234.56}, ${"2026-02-30"}, ${json}, ${json ? "h" : null}, ${AT}, ${AT}, ${AT})`.execute(db);
  await conv("99999", "Ayudas a la eficiencia energética", "2025-05-05", JSON.stringify(detail("99999", "Ayudas a la eficiencia energética")));
  await conv("100000", "Becas de formación", "2025-05-05", JSON.stringify(detail("100000", "Becas de formación")));
  await conv("100001", "Listada sin detalle", "2025-05-06", null);
  await sql`INSERT INTO documentos (id, bdns, dat_mod, dat_publicacion, stored_at, first_seen_at, updated_at) VALUES ('77', '99999', '2025-05-05', '2025-05-06', ${AT}, ${AT}, 'not a time')`.execute(db);
  const award = (id: number, persona: number, fecha: string, importe: number, removed: string | null) =>
    sql`INSERT INTO concesiones (id, id_convocatoria, numero_convocatoria, nif, beneficiario, id_persona, fecha_concesion, fecha_alta, importe, raw_json, content_hash, first_seen_at, last_seen_at, last_changed_at, removed_at)
      VALUES (${id}, ${1_099_999}, '99999', 'B00000001', 'EMPRESA SL', ${persona}, ${fecha}, '2025-06-01', ${importe}, ${JSON.stringify({ id, importe })}, 'h', ${AT}, ${AT}, ${AT}, ${removed})`.execute(db);
  await award(1, 20_000_001, "2025-06-01", 100.1, null);
  await award(2, 20_000_001, "2025-07-01", 200.2, null);
  await award(3, 20_000_001, "2024-07-01", 50, null);
  await award(4, 20_000_001, "2025-08-01", 999, AT); // removed: not in the totals
  await award(5, 20_000_002, "2025-08-01", 0.1, null);
  if (schema === "0010_bdns_budget_sharers") await sql`INSERT INTO run_steps (run_id, dataset, step, result, at) VALUES ('r0', 'convocatorias', 'detail 99999', '{"outcome":"new"}', ${AT})`.execute(db);
  await db.destroy();
}

it("the portal's migrations sort after every migration main shipped: a store main made is a prefix of this schema", () => {
  for (const dialect of ["sqlite", "postgres"] as const) {
    const names = Object.keys(migrations(dialect)).sort();
    expect(names.slice(0, SHIPPED.length)).toEqual(SHIPPED);
  }
});

describe.each([
  ["sqlite", "0007_canonical_codes"],
  ["postgres", "0007_canonical_codes"],
  ["sqlite", "0010_bdns_budget_sharers"],
  ["postgres", "0010_bdns_budget_sharers"],
] as const)("a store of the schema before the portal's migrations, on %s, at %s", (dialect, schema) => {
  let store: Store;
  beforeAll(async () => {
    const url = dialect === "sqlite" ? join(mkdtempSync(join(tmpdir(), "ayida-upgrade-")), "old.db") : await pgServer().createDatabase();
    await writeOldStore(url, dialect, schema);
    store = await Store.open(url);
  }, 60_000);
  afterAll(() => store?.close());

  const read = (id: string, values: Record<string, unknown>) => runRead(store, id, values);

  it("keeps every value, as the store reads it: ISO times, dates, numbers, JSON text", async () => {
    const c = await store.getConvocatoria("99999");
    expect(c).toMatchObject({ codigo: 99999, fecha_recepcion: "2025-05-05", presupuesto_total: 1234.56, first_seen_at: AT, listed_at: AT, last_changed_at: AT, removed_at: null });
    expect(JSON.parse(c!.detail_json!)).toMatchObject({ codigoBDNS: "99999", regiones: expect.any(Array) });
    // jsonb holds no NUL: PostgreSQL's copy drops it (SQLite's text keeps what was written).
    expect(JSON.parse(c!.detail_json!).note).toBe(dialect === "postgres" ? "a NUL  in a text" : "a NUL \u0000 in a text");
    expect(c!.fecha_fin_solicitud).toBe(dialect === "postgres" ? null : "2026-02-30"); // not a date: PostgreSQL keeps none
    expect(await store.getDocument("77")).toMatchObject({ dat_mod: "2025-05-05", stored_at: AT, removed_at: null, updated_at: dialect === "postgres" ? "1970-01-01T00:00:00.000Z" : "not a time" });
    const award = await sql<{ importe: number; fecha_concesion: string; raw_json: string; last_seen_at: string }>`SELECT importe, fecha_concesion, raw_json, last_seen_at FROM concesiones WHERE id = 1`.execute(store.db);
    expect(award.rows[0]).toMatchObject({ importe: 100.1, fecha_concesion: "2025-06-01", last_seen_at: AT });
    expect(JSON.parse(award.rows[0]!.raw_json)).toEqual({ id: 1, importe: 100.1 });
  });

  it("fills the facets, the search and the totals from what was stored", async () => {
    const facets = await store.db.selectFrom("convocatoria_facetas").select(["bdns", "faceta", "valor", "descripcion", "fecha_recepcion"]).orderBy("bdns").orderBy("faceta").orderBy("valor").execute();
    expect(facets.filter((f) => f.bdns === "99999")).toEqual([
      { bdns: "99999", faceta: "region", valor: "ES30", descripcion: "COMUNIDAD DE MADRID", fecha_recepcion: "2025-05-05" },
      { bdns: "99999", faceta: "region", valor: "ES52", descripcion: "COMUNIDAD VALENCIANA", fecha_recepcion: "2025-05-05" },
      { bdns: "99999", faceta: "sector", valor: "F", descripcion: "CONSTRUCCIÓN", fecha_recepcion: "2025-05-05" },
      { bdns: "99999", faceta: "tipo_beneficiario", valor: "PYM", descripcion: "PYME", fecha_recepcion: "2025-05-05" },
    ]);
    expect(facets.filter((f) => f.bdns === "100001")).toEqual([]); // no detail, no facets
    expect(await read("convocatorias-busqueda-total", { q: "energetica" })).toEqual([{ n: 1 }]);
    expect((await read("convocatorias-latest", {})).map((r) => r.bdns)).toEqual(["100001", "100000", "99999"]); // code order, not text order
    expect((await read("beneficiario-ejercicios", { id_persona: 20_000_001 })).map((r) => [r.ejercicio, r.concesiones, Math.round(Number(r.importe) * 100) / 100])).toEqual([
      [2025, 2, 300.3],
      [2024, 1, 50],
    ]);
    expect((await read("concesiones-convocatoria-total", { bdns: "99999" })).map((r) => [Number(r.concesiones), Math.round(Number(r.importe) * 100) / 100])).toEqual([[4, 350.4]]);
  });

  it("every migration is applied, and what the store recorded before is still there", async () => {
    const applied = (await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(store.db)).rows.map((r) => r.name);
    expect(applied).toEqual(Object.keys(migrations(dialect)).sort());
    if (schema === "0010_bdns_budget_sharers") expect(await store.committed("r0", "convocatorias", "detail 99999")).toEqual({ outcome: "new" });
  });

  it("the store's writes go on: a new detail replaces the facets, search follows it, the awards' totals move", async () => {
    const d = { ...detail("100000", "Ayudas a la movilidad"), regiones: [{ descripcion: "ES61 - ANDALUCÍA" }] };
    await store.ensureRun("u1", "sync", {});
    expect(await store.upsertDetail(detailSchema.parse(d), d, "u1")).toBe("changed");
    expect((await store.db.selectFrom("convocatoria_facetas").select("valor").where("bdns", "=", "100000").where("faceta", "=", "region").execute()).map((r) => r.valor)).toEqual(["ES61"]);
    expect(await read("convocatorias-busqueda-total", { q: "movilidad" })).toEqual([{ n: 1 }]);
    expect(await read("convocatorias-busqueda-total", { q: "formación" })).toEqual([{ n: 0 }]);
  });
});

describe("the same store on PostgreSQL", () => {
  let pgStore: Store;
  beforeAll(async () => {
    const url = await pgServer().createDatabase();
    await writeOldStore(url, "postgres");
    pgStore = await Store.open(url);
  }, 60_000);
  afterAll(() => pgStore?.close());

  it("PostgreSQL's portal columns have their types", async () => {
    const types = await sql<{ table_name: string; column_name: string; data_type: string }>`SELECT table_name, column_name, data_type FROM information_schema.columns
      WHERE table_schema = 'public' AND (table_name, column_name) IN (('convocatorias','fecha_recepcion'), ('convocatorias','first_seen_at'), ('convocatorias','presupuesto_total'), ('convocatorias','detail_json'),
        ('documentos','dat_mod'), ('documentos','updated_at'), ('concesiones','fecha_concesion'), ('concesiones','importe'), ('concesiones','raw_json'), ('concesiones','last_changed_at'), ('beneficiarios_totales','importe'))
      ORDER BY 1, 2`.execute(pgStore.db);
    expect(types.rows.map((r) => `${r.table_name}.${r.column_name} ${r.data_type}`)).toEqual([
      "beneficiarios_totales.importe numeric",
      "concesiones.fecha_concesion date",
      "concesiones.importe numeric",
      "concesiones.last_changed_at timestamp with time zone",
      "concesiones.raw_json jsonb",
      "convocatorias.detail_json jsonb",
      "convocatorias.fecha_recepcion date",
      "convocatorias.first_seen_at timestamp with time zone",
      "convocatorias.presupuesto_total numeric",
      "documentos.dat_mod date",
      "documentos.updated_at timestamp with time zone",
    ]);
  });
});

/**
 * The migrations that make the tables the portal's API (docs/portal-reads.md): real types on
 * PostgreSQL, the columns and indexes the portal's reads filter and order on, full-text search on
 * convocatorias, and a beneficiary × year totals table. Appended to migrations.ts; never edit one
 * that has shipped.
 *
 * Every one of them runs on stores that already hold data (tens of millions of award rows): the type
 * changes rewrite PostgreSQL's tables once, the indexes are built once, the side tables are filled
 * from what is stored. docs/portal-reads.md says what each costs at volume.
 */
import { sql, type Kysely, type Migration } from "kysely";
import type { TotalsDeclaration } from "../../datasets/types.js";
import { facetsOf } from "./facets.js";
import { rebuildTotalsSql } from "./totals.js";

type Dialect = "sqlite" | "postgres";

/** PostgreSQL's real types for what both databases kept as text and floats (SQLite keeps its own). */
const TYPED: Record<string, { dates?: string[]; times?: string[]; requiredTimes?: string[]; amounts?: string[]; json?: string[] }> = {
  convocatorias: { dates: ["fecha_recepcion", "fecha_inicio_solicitud", "fecha_fin_solicitud"], times: ["listed_at", "last_fetched_at", "last_changed_at"], requiredTimes: ["first_seen_at"], amounts: ["presupuesto_total"], json: ["detail_json"] },
  documentos: { dates: ["dat_mod", "dat_publicacion", "stored_dat_mod"], times: ["stored_at"], requiredTimes: ["first_seen_at", "updated_at"] },
  planes_estrategicos_documentos: { times: ["stored_at"], requiredTimes: ["first_seen_at", "updated_at"], json: ["raw_json"] },
  catalogos: {},
  regiones: {},
  organos: {},
  organos_agrupacion: {},
  planes_estrategicos: { dates: ["fecha_aprobacion"], times: ["detail_fetched_at"], json: ["detail_json"] },
  grandes_beneficiarios: { amounts: ["ayuda_e_total"] },
  sanciones: { dates: ["fecha_concesion", "fecha_sancion", "inicio_inhabilitacion", "fin_inhabilitacion"], amounts: ["importe", "importe_multa"] },
  concesiones: { dates: ["fecha_concesion", "fecha_alta"], amounts: ["importe", "ayuda_equivalente"] },
  ayudas_estado: { dates: ["fecha_concesion", "fecha_alta"], amounts: ["importe", "ayuda_equivalente"] },
  minimis: { dates: ["fecha_concesion", "fecha_registro"], amounts: ["ayuda_equivalente"] },
  partidos_politicos: { dates: ["fecha_concesion"], amounts: ["importe", "ayuda_equivalente"] },
};
/** The standard columns of every dataset table (dataset-tables.ts). */
const DATASET_TABLES = ["catalogos", "regiones", "organos", "organos_agrupacion", "planes_estrategicos", "grandes_beneficiarios", "sanciones", "concesiones", "ayudas_estado", "minimis", "partidos_politicos"];

/**
 * Folded to their base letter by PostgreSQL's search (`ayida_unaccent`), as SQLite's FTS5 tokenizer
 * (`remove_diacritics 2`) folds them: Spanish and the co-official languages' letters.
 */
/** The award totals as this migration made them (datasets/concesiones.ts declares the same). */
const AWARD_TOTALS: TotalsDeclaration[] = [
  { table: "beneficiarios_totales", by: "id_persona", date: "fecha_concesion", count: "concesiones", sums: ["importe", "ayuda_equivalente"], carry: ["nif", "beneficiario"] },
  { table: "convocatorias_totales", by: "id_convocatoria", date: "fecha_concesion", count: "concesiones", sums: ["importe", "ayuda_equivalente"], carry: [] },
];

const ACCENTED = "áàâäãéèêëíìîïóòôöõúùûüñçÁÀÂÄÃÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÑÇ";
const PLAIN = "aaaaaeeeeiiiiooooouuuuncAAAAAEEEEIIIIOOOOOUUUUNC";

export function portalMigrations(dialect: Dialect): Record<string, Migration> {
  const time = dialect === "postgres" ? sql`timestamptz` : sql`text`;
  const amount = dialect === "postgres" ? sql`numeric` : sql`real`;
  const date = dialect === "postgres" ? sql`date` : sql`text`;
  return {
    // PostgreSQL: dates are `date`, times `timestamptz`, amounts `numeric`, JSON `jsonb` (one rewrite per
    // table). The store's own code still reads them as ISO strings and numbers (db.ts's type parsers).
    // Text written before that is no date, time or JSON becomes null (a required time: the epoch), so
    // that an old store never fails to open; raw_json keeps what BDNS sent. SQLite keeps ISO text.
    "0011_portal_types": {
      async up(db: Kysely<unknown>) {
        if (dialect !== "postgres") return;
        await sql`CREATE FUNCTION pg_temp.ayida_date(t text) RETURNS date LANGUAGE plpgsql IMMUTABLE AS $$
          BEGIN RETURN CASE WHEN t ~ '^\\d{4}-\\d{2}-\\d{2}' THEN substr(t, 1, 10)::date END; EXCEPTION WHEN others THEN RETURN NULL; END $$`.execute(db);
        await sql`CREATE FUNCTION pg_temp.ayida_time(t text) RETURNS timestamptz LANGUAGE plpgsql IMMUTABLE AS $$
          BEGIN RETURN t::timestamptz; EXCEPTION WHEN others THEN RETURN NULL; END $$`.execute(db);
        await sql`CREATE FUNCTION pg_temp.ayida_json(t text) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
          BEGIN RETURN t::jsonb; EXCEPTION WHEN others THEN
            BEGIN RETURN replace(t, '\\u0000', '')::jsonb; EXCEPTION WHEN others THEN RETURN NULL; END;
          END $$`.execute(db);
        for (const [table, t] of Object.entries(TYPED)) {
          const standard = DATASET_TABLES.includes(table);
          const dates = t.dates ?? [];
          const times = [...(t.times ?? []), ...(standard ? ["removed_at"] : [])];
          const required = [...(t.requiredTimes ?? []), ...(standard ? ["first_seen_at", "last_seen_at", "last_changed_at"] : [])];
          const json = [...(t.json ?? []), ...(standard ? ["raw_json"] : [])];
          const changes = [
            ...dates.map((c) => `ALTER COLUMN ${c} TYPE date USING pg_temp.ayida_date(${c})`),
            ...times.map((c) => `ALTER COLUMN ${c} TYPE timestamptz USING pg_temp.ayida_time(${c})`),
            ...required.map((c) => `ALTER COLUMN ${c} TYPE timestamptz USING coalesce(pg_temp.ayida_time(${c}), 'epoch')`),
            ...(t.amounts ?? []).map((c) => `ALTER COLUMN ${c} TYPE numeric USING ${c}::numeric`),
            ...json.map((c) => `ALTER COLUMN ${c} TYPE jsonb USING pg_temp.ayida_json(${c})`),
          ];
          if (changes.length > 0) await sql.raw(`ALTER TABLE ${table} ${changes.join(", ")}`).execute(db);
        }
      },
    },

    // What the portal's reads filter and order on (docs/portal-reads.md): convocatorias and documentos
    // get `removed_at` (the datasets' removal rule), convocatorias a numeric `codigo` (BDNS codes in
    // number order), the award tables their beneficiary and feed indexes, and each convocatoria its
    // regions, sectors, beneficiary types, instruments and funds as rows (`convocatoria_facetas`).
    "0012_portal_indexes": {
      async up(db: Kysely<any>) {
        /** An index whose `include` columns ride along (PostgreSQL's INCLUDE; SQLite: trailing columns), for reads from the index alone. */
        const covering = async (name: string, table: string, columns: string[], include: string[]) => {
          if (dialect === "postgres") await sql.raw(`CREATE INDEX ${name} ON ${table} (${columns.join(", ")}) INCLUDE (${include.join(", ")})`).execute(db);
          else await db.schema.createIndex(name).on(table).columns([...columns, ...include]).execute();
        };
        await db.schema.alterTable("convocatorias").addColumn("removed_at", time).execute();
        await db.schema.alterTable("documentos").addColumn("removed_at", time).execute();
        // The code as a number: generated from the key, so no writer can disagree with it. A key that is
        // not a code (none should be left) has none.
        if (dialect === "postgres") {
          await sql`ALTER TABLE convocatorias ADD COLUMN codigo bigint GENERATED ALWAYS AS (CASE WHEN bdns ~ '^[1-9][0-9]{0,17}$' THEN bdns::bigint END) STORED`.execute(db);
        } else {
          await sql`ALTER TABLE convocatorias ADD COLUMN codigo INTEGER GENERATED ALWAYS AS (CASE WHEN bdns GLOB '[1-9]*' AND bdns NOT GLOB '*[^0-9]*' AND length(bdns) <= 18 THEN CAST(bdns AS INTEGER) END) VIRTUAL`.execute(db);
        }
        await db.schema.createIndex("convocatorias_codigo").on("convocatorias").column("codigo").unique().execute();
        // Latest first, ties in code order: replaces the index on the date alone.
        await db.schema.dropIndex("convocatorias_fecha_recepcion").execute();
        await db.schema.createIndex("convocatorias_fecha_recepcion_codigo").on("convocatorias").columns(["fecha_recepcion", "codigo"]).execute();
        await db.schema.createIndex("convocatorias_id").on("convocatorias").column("id").execute();
        await db.schema.createIndex("convocatorias_fecha_fin_solicitud").on("convocatorias").column("fecha_fin_solicitud").execute();
        await db.schema.createIndex("convocatorias_nivel3_fecha_recepcion").on("convocatorias").columns(["nivel3", "fecha_recepcion"]).execute();
        // The feed of changes: what changed (and whether it was removed) from the index alone.
        await covering("convocatorias_last_changed_at", "convocatorias", ["last_changed_at", "bdns"], ["removed_at"]);
        await db.schema.createIndex("documentos_removed_at").on("documentos").column("removed_at").where(sql.ref("removed_at"), "is not", null).execute();

        // A beneficiary's awards newest first (by id_persona, or by NIF: masked for natural persons), a
        // convocatoria's awards newest first, and what changed (or was removed) since a time. The pages'
        // whole order (date, then the award's id) is the index's: page 1 reads 20 entries and stops, even
        // where the planner guesses a few dozen awards and there are tens of thousands (PostgreSQL's
        // estimate for "the convocatoria of this code" is the average one).
        const replace = async (table: string, old: string, columns: string[]) => {
          await db.schema.dropIndex(`${table}_${old}`).execute();
          await db.schema.createIndex(`${table}_${columns.join("_")}`).on(table).columns(columns).execute();
        };
        await replace("concesiones", "id_persona", ["id_persona", "fecha_concesion", "id"]);
        await replace("concesiones", "id_convocatoria", ["id_convocatoria", "fecha_concesion", "id"]);
        await db.schema.createIndex("concesiones_nif_fecha_concesion_id").on("concesiones").columns(["nif", "fecha_concesion", "id"]).execute();
        await covering("concesiones_last_changed_at", "concesiones", ["last_changed_at", "id"], ["removed_at"]);
        if (dialect === "postgres") await sql`CREATE INDEX concesiones_removed_at ON concesiones (removed_at, id) WHERE removed_at IS NOT NULL`.execute(db);
        else await db.schema.createIndex("concesiones_removed_at").on("concesiones").column("removed_at").where(sql.ref("removed_at"), "is not", null).execute();
        await replace("ayudas_estado", "id_persona", ["id_persona", "fecha_concesion", "id_concesion"]);
        // A beneficiary's de minimis aid over three years, summed from the index alone.
        await db.schema.dropIndex("minimis_id_persona").execute();
        await covering("minimis_id_persona_fecha_concesion", "minimis", ["id_persona", "fecha_concesion"], ["ayuda_equivalente", "removed_at"]);

        await db.schema
          .createTable("convocatoria_facetas")
          .addColumn("bdns", "text", (c) => c.notNull())
          .addColumn("faceta", "text", (c) => c.notNull())
          .addColumn("valor", "text", (c) => c.notNull())
          .addColumn("descripcion", "text")
          .addColumn("fecha_recepcion", date)
          .addPrimaryKeyConstraint("convocatoria_facetas_pk", ["bdns", "faceta", "valor"])
          .execute();
        await db.schema.createIndex("convocatoria_facetas_valor").on("convocatoria_facetas").columns(["faceta", "valor", "fecha_recepcion"]).execute();
        await backfillFacets(db);
      },
    },

    // Full-text search on convocatorias' titles (descripcion, descripcion_leng), accents and case
    // ignored. SQLite: FTS5 over the table (external content, keyed by `codigo`), kept in step by
    // triggers. PostgreSQL: a stored tsvector, Spanish stems of the words as written and unaccented, and
    // a GIN index; `ayida_tsquery(text)` makes the query. (The `unaccent` extension is not used: creating
    // it needs a privilege the store's role may not have, and folding before the Spanish stemmer loses
    // stems: "rehabilitación" → rehabilit, but "rehabilitacion" → rehabilitacion.)
    "0013_convocatorias_search": {
      async up(db: Kysely<unknown>) {
        if (dialect === "sqlite") {
          // Live convocatorias only (a removed one leaves the index, a returning one comes back): a count
          // of matches is the index's alone.
          await sql`CREATE VIRTUAL TABLE convocatorias_fts USING fts5(descripcion, descripcion_leng, content='convocatorias', content_rowid='codigo', tokenize='unicode61 remove_diacritics 2')`.execute(db);
          await sql`INSERT INTO convocatorias_fts (rowid, descripcion, descripcion_leng) SELECT codigo, descripcion, descripcion_leng FROM convocatorias WHERE codigo IS NOT NULL AND removed_at IS NULL`.execute(db);
          const remove = sql.raw(`INSERT INTO convocatorias_fts (convocatorias_fts, rowid, descripcion, descripcion_leng) SELECT 'delete', old.codigo, old.descripcion, old.descripcion_leng WHERE old.codigo IS NOT NULL AND old.removed_at IS NULL`);
          const add = sql.raw(`INSERT INTO convocatorias_fts (rowid, descripcion, descripcion_leng) SELECT new.codigo, new.descripcion, new.descripcion_leng WHERE new.codigo IS NOT NULL AND new.removed_at IS NULL`);
          await sql`CREATE TRIGGER convocatorias_fts_insert AFTER INSERT ON convocatorias BEGIN ${add}; END`.execute(db);
          await sql`CREATE TRIGGER convocatorias_fts_delete AFTER DELETE ON convocatorias BEGIN ${remove}; END`.execute(db);
          // Only when the text or the removal changes: a listing upsert writes the same title on every pass.
          await sql`CREATE TRIGGER convocatorias_fts_update AFTER UPDATE OF bdns, descripcion, descripcion_leng, removed_at ON convocatorias
            WHEN old.bdns IS NOT new.bdns OR old.descripcion IS NOT new.descripcion OR old.descripcion_leng IS NOT new.descripcion_leng OR (old.removed_at IS NULL) <> (new.removed_at IS NULL)
            BEGIN ${remove}; ${add}; END`.execute(db);
          return;
        }
        await sql.raw(`CREATE FUNCTION ayida_unaccent(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$ SELECT translate(t, '${ACCENTED}', '${PLAIN}') $$`).execute(db);
        const title = sql.raw(`coalesce(descripcion, '') || ' ' || coalesce(descripcion_leng, '')`);
        await sql`ALTER TABLE convocatorias ADD COLUMN busqueda tsvector GENERATED ALWAYS AS (to_tsvector('spanish', ${title}) || to_tsvector('spanish', ayida_unaccent(${title}))) STORED`.execute(db);
        await sql`CREATE INDEX convocatorias_busqueda ON convocatorias USING gin (busqueda)`.execute(db);
        // Every word must match (in any order), as written or unaccented: "energetica" finds "energética".
        // A word whose two forms stem alike is asked once: the planner's estimate of a search (walk the
        // newest convocatorias, or collect every match) counts an OR of equals twice.
        await sql`CREATE FUNCTION ayida_tsquery(q text) RETURNS tsquery LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
          DECLARE w text; t tsquery; u tsquery; r tsquery := '';
          BEGIN
            FOR w IN SELECT regexp_split_to_table(coalesce(q, ''), '\\s+') LOOP
              t := plainto_tsquery('spanish', w);
              u := plainto_tsquery('spanish', ayida_unaccent(w));
              IF t <> u THEN t := t || u; END IF;
              IF numnode(t) > 0 THEN r := CASE WHEN numnode(r) = 0 THEN t ELSE r && t END; END IF;
            END LOOP;
            RETURN r;
          END $$`.execute(db);
      },
    },

    // Each beneficiary's and each convocatoria's awards per year (count and sums of concesiones not
    // removed), kept by the award sync in the same transaction as the rows (totals.ts): the ranking of a
    // year and a convocatoria's total are read from here, not summed over millions of rows. Beneficiaries
    // by id_persona (a masked NIF is many people), convocatorias by BDNS's id (id_convocatoria).
    "0014_award_totals": {
      async up(db: Kysely<unknown>) {
        for (const decl of AWARD_TOTALS) {
          let t = db.schema.createTable(decl.table).addColumn(decl.by, "bigint", (c) => c.notNull()).addColumn("ejercicio", "integer", (c) => c.notNull());
          for (const c of decl.carry) t = t.addColumn(c, "text");
          t = t.addColumn(decl.count, "integer", (c) => c.notNull());
          for (const c of decl.sums) t = t.addColumn(c, amount, (b) => b.notNull());
          await t.addPrimaryKeyConstraint(`${decl.table}_pk`, [decl.by, "ejercicio"] as never[]).execute();
          await sql.raw(rebuildTotalsSql(decl, "concesiones", dialect)).execute(db);
        }
        await db.schema.createIndex("beneficiarios_totales_ejercicio_importe").on("beneficiarios_totales").columns(["ejercicio", "importe"]).execute();
        await db.schema.createIndex("beneficiarios_totales_nif").on("beneficiarios_totales").column("nif").execute();
      },
    },
  };
}

/** The facets of every stored detail, a thousand convocatorias at a time (by code). */
async function backfillFacets(db: Kysely<any>): Promise<void> {
  let after = "";
  for (;;) {
    const batch = (await db.selectFrom("convocatorias").select(["bdns", "detail_json", "fecha_recepcion"]).where("bdns", ">", after).where("detail_json", "is not", null).orderBy("bdns").limit(1000).execute()) as Array<{ bdns: string; detail_json: unknown; fecha_recepcion: string | null }>;
    if (batch.length === 0) return;
    const rows = batch.flatMap((c) => facetsOf(typeof c.detail_json === "string" ? JSON.parse(c.detail_json) : c.detail_json).map((f) => ({ bdns: c.bdns, ...f, fecha_recepcion: c.fecha_recepcion })));
    for (let i = 0; i < rows.length; i += 500) await db.insertInto("convocatoria_facetas").values(rows.slice(i, i + 500)).onConflict((oc) => oc.doNothing()).execute();
    after = batch.at(-1)!.bdns;
  }
}

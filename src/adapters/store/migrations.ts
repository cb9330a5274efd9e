/** Schema migrations, run on first use. Append new ones; never edit one that has shipped. */
import { sql, type ColumnDataType, type Kysely, type Migration, type RawBuilder } from "kysely";
import { portalMigrations } from "./migrations-portal.js";

export function migrations(dialect: "sqlite" | "postgres"): Record<string, Migration> {
  // SQLite's REAL is 8 bytes; PostgreSQL's `real` is 4, too coarse for budgets.
  const double = dialect === "postgres" ? sql`double precision` : sql`real`;
  return {
    "0001_initial": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("convocatorias")
          .addColumn("bdns", "text", (c) => c.primaryKey())
          .addColumn("id", "bigint")
          .addColumn("descripcion", "text")
          .addColumn("descripcion_leng", "text")
          .addColumn("fecha_recepcion", "text")
          .addColumn("nivel1", "text")
          .addColumn("nivel2", "text")
          .addColumn("nivel3", "text")
          .addColumn("codigo_invente", "text")
          .addColumn("mrr", "integer")
          .addColumn("tipo_convocatoria", "text")
          .addColumn("presupuesto_total", double)
          .addColumn("abierto", "integer")
          .addColumn("fecha_inicio_solicitud", "text")
          .addColumn("fecha_fin_solicitud", "text")
          .addColumn("sede_electronica", "text")
          .addColumn("detail_json", "text")
          .addColumn("content_hash", "text")
          .addColumn("first_seen_at", "text", (c) => c.notNull())
          .addColumn("listed_at", "text")
          .addColumn("last_fetched_at", "text")
          .addColumn("last_changed_at", "text")
          .addColumn("last_run_id", "text")
          .execute();
        await db.schema.createIndex("convocatorias_fecha_recepcion").on("convocatorias").column("fecha_recepcion").execute();

        await db.schema
          .createTable("documentos")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("bdns", "text", (c) => c.notNull())
          .addColumn("nombre_fic", "text")
          .addColumn("descripcion", "text")
          .addColumn("announced_size", "bigint")
          .addColumn("dat_mod", "text")
          .addColumn("dat_publicacion", "text")
          .addColumn("sha256", "text")
          .addColumn("stored_size", "bigint")
          .addColumn("stored_path", "text")
          .addColumn("stored_at", "text")
          .addColumn("first_seen_at", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("documentos_bdns").on("documentos").column("bdns").execute();

        await db.schema
          .createTable("sync_runs")
          .addColumn("run_id", "text", (c) => c.primaryKey())
          .addColumn("kind", "text", (c) => c.notNull())
          .addColumn("window_from", "text")
          .addColumn("window_to", "text")
          .addColumn("started_at", "text", (c) => c.notNull())
          .addColumn("finished_at", "text")
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("pieces", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("pieces_done", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("listed", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("queued", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("new", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("changed", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("unchanged", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("failed", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("documents_stored", "integer", (c) => c.notNull().defaultTo(0))
          .execute();

        await db.schema
          .createTable("sync_failures")
          .addColumn("run_id", "text", (c) => c.notNull())
          .addColumn("bdns", "text", (c) => c.notNull())
          .addColumn("document_id", "text", (c) => c.notNull())
          .addColumn("failure", "text", (c) => c.notNull())
          .addColumn("reason", "text", (c) => c.notNull())
          .addColumn("at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("sync_failures_pk", ["run_id", "bdns", "document_id"])
          .execute();
      },
    },

    "0002_runs_items_datasets": {
      async up(db: Kysely<unknown>) {
        // Which revision of a document the stored file is: BDNS can publish a corrected file of the
        // same size under a new datMod, and only this tells the document function to fetch it again.
        await db.schema.alterTable("documentos").addColumn("stored_dat_mod", "text").execute();
        await sql`UPDATE documentos SET stored_dat_mod = dat_mod WHERE stored_at IS NOT NULL`.execute(db);

        // A run (one runId) can cover several datasets (`sync all`): one row per run and dataset.
        await db.schema
          .createTable("sync_runs_v2")
          .addColumn("run_id", "text", (c) => c.notNull())
          .addColumn("dataset", "text", (c) => c.notNull())
          .addColumn("kind", "text", (c) => c.notNull())
          .addColumn("window_from", "text")
          .addColumn("window_to", "text")
          .addColumn("started_at", "text", (c) => c.notNull())
          .addColumn("finished_at", "text")
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("retry_of", "text")
          .addColumn("pieces", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("pieces_done", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("listed", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("queued", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("fetched", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("new", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("changed", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("unchanged", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("removed", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("failed", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("documents_stored", "integer", (c) => c.notNull().defaultTo(0))
          .addPrimaryKeyConstraint("sync_runs_v2_pk", ["run_id", "dataset"])
          .execute();
        const kept = sql.raw("run_id, kind, window_from, window_to, started_at, finished_at, status, pieces, pieces_done, listed, queued, new, changed, unchanged, failed, documents_stored");
        await sql`INSERT INTO sync_runs_v2 (dataset, ${kept}) SELECT 'convocatorias', ${kept} FROM sync_runs`.execute(db);
        await db.schema.dropTable("sync_runs").execute();
        await sql`ALTER TABLE sync_runs_v2 RENAME TO sync_runs`.execute(db);
        await db.schema.createIndex("sync_runs_started").on("sync_runs").columns(["started_at"]).execute();

        // Every unit of work a run caused and where it stands, written as it happens.
        await db.schema
          .createTable("run_items")
          .addColumn("run_id", "text", (c) => c.notNull())
          .addColumn("dataset", "text", (c) => c.notNull())
          .addColumn("kind", "text", (c) => c.notNull())
          .addColumn("item", "text", (c) => c.notNull())
          .addColumn("bdns", "text")
          .addColumn("document_id", "text")
          .addColumn("state", "text", (c) => c.notNull())
          .addColumn("attempt", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("max_attempts", "integer")
          .addColumn("failure", "text")
          .addColumn("reason", "text")
          .addColumn("next_attempt_at", "text")
          .addColumn("queued_at", "text")
          .addColumn("updated_at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("run_items_pk", ["run_id", "dataset", "kind", "item"])
          .execute();
        await db.schema.createIndex("run_items_state").on("run_items").columns(["run_id", "state"]).execute();
        await db.schema.createIndex("run_items_failing").on("run_items").columns(["state", "updated_at"]).execute();

        // sync_failures becomes what it always meant: the failed items (a view, so the failure is
        // written once). Its rows so far become failed items.
        await sql`INSERT INTO run_items (run_id, dataset, kind, item, bdns, document_id, state, failure, reason, queued_at, updated_at)
          SELECT run_id, 'convocatorias',
                 CASE WHEN document_id <> '' THEN 'document' WHEN bdns <> '' THEN 'detail' ELSE 'sync' END,
                 CASE WHEN document_id <> '' THEN bdns || '/' || document_id ELSE bdns END,
                 NULLIF(bdns, ''), NULLIF(document_id, ''), 'failed', failure, reason, at, at
          FROM sync_failures`.execute(db);
        await db.schema.dropTable("sync_failures").execute();
        await sql`CREATE VIEW sync_failures AS
          SELECT run_id, dataset, kind, item, COALESCE(bdns, '') AS bdns, COALESCE(document_id, '') AS document_id, failure, reason, updated_at AS at
          FROM run_items WHERE state = 'failed'`.execute(db);
      },
    },

    "0003_reference_datasets": {
      async up(db: Kysely<unknown>) {
        const table = datasetTable(db, dialect);
        await table("catalogos", [["catalogo", "text"], ["ambito", "text"], ["id", "bigint"], ["descripcion", "text"]], ["catalogo", "ambito", "id"]);
        await table("regiones", [["id", "bigint"], ["parent_id", "bigint"], ["level", "integer"], ["nuts", "text"], ["descripcion", "text"]], ["id"], ["parent_id"]);
        await table("organos", [["id_admon", "text"], ["id", "bigint"], ["parent_id", "bigint"], ["level", "integer"], ["descripcion", "text"]], ["id_admon", "id"], ["parent_id"]);
        await table("organos_agrupacion", [["id_admon", "text"], ["id", "bigint"], ["descripcion", "text"]], ["id_admon", "id"]);
        await table(
          "planes_estrategicos",
          [["id", "bigint"], ["descripcion", "text"], ["descripcion_cooficial", "text"], ["tipo_plan", "text"], ["vigencia_desde", "integer"], ["vigencia_hasta", "integer"], ["ambitos", "text"]],
          ["id"],
          [],
          // the plan's detail, written by the detail function (null until fetched)
          [["detail_json", "text"], ["detail_hash", "text"], ["fecha_aprobacion", "text"], ["detail_fetched_at", "text"]],
        );
        await db.schema
          .createTable("planes_estrategicos_documentos")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("parent_id", "text", (c) => c.notNull())
          .addColumn("nombre_fic", "text")
          .addColumn("raw_json", "text", (c) => c.notNull())
          .addColumn("sha256", "text")
          .addColumn("stored_size", "bigint")
          .addColumn("stored_path", "text")
          .addColumn("stored_at", "text")
          .addColumn("first_seen_at", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("planes_estrategicos_documentos_parent_id").on("planes_estrategicos_documentos").column("parent_id").execute();
        await table("grandes_beneficiarios", [["id_persona", "bigint"], ["ejercicio", "integer"], ["nif", "text"], ["beneficiario", "text"], ["ayuda_e_total", "real"]], ["id_persona", "ejercicio"], ["nif", "ejercicio"]);
        await table(
          "sanciones",
          [
            ["sancion_key", "text"], ["numero_convocatoria", "text"], ["convocatoria", "text"], ["nivel1", "text"], ["nivel2", "text"], ["nivel3", "text"],
            ["nif", "text"], ["sancionado", "text"], ["fecha_concesion", "text"], ["fecha_sancion", "text"], ["infraccion", "text"], ["importe", "real"],
            ["importe_multa", "real"], ["inicio_inhabilitacion", "text"], ["fin_inhabilitacion", "text"],
          ],
          ["sancion_key"],
          ["numero_convocatoria", "nif"],
        );
      },
    },

    "0004_award_datasets": {
      async up(db: Kysely<unknown>) {
        const table = datasetTable(db, dialect);
        const beneficiary: Array<[string, DatasetColumnType]> = [["nif", "text"], ["beneficiario", "text"]];
        await table(
          "concesiones",
          [
            ["id", "bigint"], ["cod_concesion", "text"], ["id_convocatoria", "bigint"], ["numero_convocatoria", "text"], ["convocatoria", "text"], ["descripcion_cooficial", "text"],
            ["nivel1", "text"], ["nivel2", "text"], ["nivel3", "text"], ["codigo_invente", "text"], ["fecha_concesion", "text"], ["fecha_alta", "text"], ["id_persona", "bigint"],
            ...beneficiary, ["instrumento", "text"], ["importe", "real"], ["ayuda_equivalente", "real"], ["url_br", "text"], ["tiene_proyecto", "integer"],
          ],
          ["id"],
          ["id_convocatoria", "fecha_alta", "id_persona"],
        );
        await table(
          "ayudas_estado",
          [
            ["id_concesion", "bigint"], ["cod_concesion", "text"], ["id_convocatoria", "bigint"], ["id_persona", "bigint"], ...beneficiary, ["convocante", "text"], ["reglamento", "text"],
            ["objetivo", "text"], ["instrumento", "text"], ["tipo_beneficiario", "text"], ["fecha_concesion", "text"], ["fecha_alta", "text"], ["importe", "real"], ["ayuda_equivalente", "real"],
            ["region", "text"], ["sectores", "text"], ["ayuda_estado", "text"], ["url_ayuda_estado", "text"], ["entidad", "text"], ["intermediario", "text"],
          ],
          ["id_concesion"],
          ["id_convocatoria", "fecha_alta", "id_persona"],
        );
        await table(
          "minimis",
          [
            ["id_concesion", "bigint"], ["codigo_concesion", "text"], ["id_convocatoria", "bigint"], ["numero_convocatoria", "text"], ["id_persona", "bigint"], ...beneficiary,
            ["convocante", "text"], ["reglamento", "text"], ["sector_producto", "text"], ["instrumento", "text"], ["fecha_concesion", "text"], ["fecha_registro", "text"],
            ["sector_actividad", "text"], ["ayuda_equivalente", "real"],
          ],
          ["id_concesion"],
          ["id_convocatoria", "fecha_registro", "id_persona"],
        );
        await table(
          "partidos_politicos",
          [
            ["id", "bigint"], ["cod_concesion", "text"], ["id_convocatoria", "bigint"], ["numero_convocatoria", "text"], ["convocatoria", "text"], ["nivel1", "text"], ["nivel2", "text"],
            ["nivel3", "text"], ["fecha_concesion", "text"], ...beneficiary, ["instrumento", "text"], ["importe", "real"], ["ayuda_equivalente", "real"], ["url_br", "text"], ["tiene_proyecto", "integer"],
          ],
          ["id"],
          ["id_convocatoria", "nif"],
        );
      },
    },
    // The deployment's BDNS request budget (store/budget.ts), on PostgreSQL: one row, when the next
    // request may start (ms since the epoch, the database's clock). SQLite keeps it in a file beside
    // the database instead, so that a reservation never waits for a page being stored.
    "0005_bdns_budget": {
      async up(db: Kysely<unknown>) {
        if (dialect !== "postgres") return;
        await db.schema.createTable("bdns_budget").addColumn("id", "text", (c) => c.primaryKey()).addColumn("next_at", double, (c) => c.notNull()).execute();
        await sql`INSERT INTO bdns_budget (id, next_at) VALUES ('bdns', 0)`.execute(db);
      },
    },
    // The copy never shrinks on one answer (functions/datasets/removal.ts): rows a completed fetch no
    // longer returned but did not mark removed, counted per run and dataset, and each scope held back
    // with its reason, for `status` to name.
    "0006_removal_holds": {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable("sync_runs").addColumn("removals_held", "integer", (c) => c.notNull().defaultTo(0)).execute();
        await db.schema
          .createTable("removal_holds")
          .addColumn("run_id", "text", (c) => c.notNull())
          .addColumn("dataset", "text", (c) => c.notNull())
          .addColumn("unit", "text", (c) => c.notNull())
          .addColumn("held", "integer", (c) => c.notNull())
          .addColumn("live", "integer", (c) => c.notNull())
          .addColumn("reason", "text", (c) => c.notNull())
          .addColumn("message", "text", (c) => c.notNull())
          .addColumn("at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("removal_holds_pk", ["run_id", "dataset", "unit"])
          .execute();
      },
    },
    // One canonical form for every BDNS code (datasets/noise.ts canonicalCode): listing rows once stored
    // "0900000" beside "900000" as a second convocatoria. Fold them: of the spellings of one code the
    // shortest (the canonical one, when it is there) is kept, the others go, and what is left is written
    // canonically; a code of zeros only was never a convocatoria. The documents and the sanctions that
    // name a convocatoria follow. (The award tables are left to their next sync, which writes the
    // canonical code: a scan of tens of millions of rows at start-up would cost more than it fixes.)
    "0007_canonical_codes": {
      async up(db: Kysely<unknown>) {
        const digits = (c: RawBuilder<unknown>) => (dialect === "postgres" ? sql`${c} ~ '^[0-9]+$'` : sql`(${c} <> '' AND ${c} NOT GLOB '*[^0-9]*')`);
        const bdns = sql.ref("bdns");
        await sql`DELETE FROM convocatorias WHERE ${digits(bdns)} AND ltrim(bdns, '0') = ''`.execute(db);
        await sql`DELETE FROM convocatorias WHERE ${digits(bdns)} AND bdns LIKE '0%' AND EXISTS (
          SELECT 1 FROM convocatorias k WHERE ${digits(sql.ref("k.bdns"))} AND ltrim(k.bdns, '0') = ltrim(convocatorias.bdns, '0') AND length(k.bdns) < length(convocatorias.bdns))`.execute(db);
        await sql`UPDATE convocatorias SET bdns = ltrim(bdns, '0') WHERE ${digits(bdns)} AND bdns LIKE '0%'`.execute(db);
        await sql`UPDATE documentos SET bdns = ltrim(bdns, '0') WHERE ${digits(bdns)} AND bdns LIKE '0%' AND ltrim(bdns, '0') <> ''`.execute(db);
        const ref = sql.ref("numero_convocatoria");
        await sql`UPDATE sanciones SET numero_convocatoria = ltrim(numero_convocatoria, '0') WHERE ${digits(ref)} AND numero_convocatoria LIKE '0%' AND ltrim(numero_convocatoria, '0') <> ''`.execute(db);
      },
    },
    "0008_run_items_activity": {
      async up(db: Kysely<unknown>) {
        // When a run last moved (its newest item change) in one index seek: serve's reconcile asks it
        // of every unfinished run, a backfill's included (functions/reconcile.ts).
        await db.schema.createIndex("run_items_activity").on("run_items").columns(["run_id", "updated_at"]).execute();
      },
    },
    // What each step of a run committed, with its result (store.ts, `once`): a step retried after its
    // transaction committed, or run again, returns what it wrote instead of writing and counting again.
    // A scheduled tick is claimed here too, so two engines sharing the database run it once.
    "0009_run_steps": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("run_steps")
          .addColumn("run_id", "text", (c) => c.notNull())
          .addColumn("dataset", "text", (c) => c.notNull())
          .addColumn("step", "text", (c) => c.notNull())
          .addColumn("result", "text", (c) => c.notNull())
          .addColumn("at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("run_steps_pk", ["run_id", "dataset", "step"])
          .execute();
      },
    },
    // The processes sharing the BDNS budget (store/budget.ts), each seen lately: when the store cannot
    // be reached they take turns by their rank here. SQLite keeps it in the budget file.
    "0010_bdns_budget_sharers": {
      async up(db: Kysely<unknown>) {
        if (dialect !== "postgres") return;
        await db.schema.createTable("bdns_budget_sharers").addColumn("id", "text", (c) => c.primaryKey()).addColumn("seen_at", double, (c) => c.notNull()).execute();
      },
    },
    ...portalMigrations(dialect),
  };
}

type DatasetColumnType = "text" | "integer" | "bigint" | "real";

/**
 * A dataset table (src/adapters/store/dataset-tables.ts): its declared columns, its natural key as the
 * primary key, the standard columns every dataset table has, and indexes the portal's queries need.
 */
function datasetTable(db: Kysely<unknown>, dialect: "sqlite" | "postgres") {
  const type = (t: DatasetColumnType): ColumnDataType | RawBuilder<unknown> => (t === "real" ? (dialect === "postgres" ? sql`double precision` : sql`real`) : t);
  return async (name: string, columns: Array<[string, DatasetColumnType]>, key: string[], indexes: string[] = [], extra: Array<[string, DatasetColumnType]> = []) => {
    let t = db.schema.createTable(name);
    for (const [c, ty] of columns) {
      // SQLite: a one-column integer key declared INTEGER is the rowid itself, not one more index to
      // maintain on every insert (millions of award rows); the values are the same 64-bit integers.
      const declared = dialect === "sqlite" && ty === "bigint" && key.length === 1 && key[0] === c ? "integer" : ty;
      t = t.addColumn(c, type(declared), (b) => (key.includes(c) ? b.notNull() : b));
    }
    t = t
      .addColumn("raw_json", "text", (c) => c.notNull())
      .addColumn("content_hash", "text", (c) => c.notNull())
      .addColumn("first_seen_at", "text", (c) => c.notNull())
      .addColumn("last_seen_at", "text", (c) => c.notNull())
      .addColumn("last_changed_at", "text", (c) => c.notNull())
      .addColumn("removed_at", "text")
      .addColumn("last_run_id", "text");
    for (const [c, ty] of extra) t = t.addColumn(c, type(ty));
    await t.addPrimaryKeyConstraint(`${name}_pk`, key as never[]).execute();
    for (const c of indexes) await db.schema.createIndex(`${name}_${c}`).on(name).column(c).execute();
  };
}

/**
 * The queries the functions need, written once for SQLite and PostgreSQL: the store opened, a step's
 * writes committed once, convocatorias and their documents, the planner's statistics; the ledger of
 * runs (run-ledger.ts) underneath, the datasets' bulk writers beside it (`tables`).
 */
import { createHash } from "node:crypto";
import { sql, type Kysely } from "kysely";
import type { ConvocatoriaDetail, DocumentMeta, SearchRow } from "../bdns/schemas.js";
import { openDatabase, type OpenedDb, type OpenOptions } from "./db.js";
import { DatasetTables } from "./dataset-tables.js";
import { facetsOf } from "./facets.js";
import { markRemovedRows, type RemovalDecision, type RemovalOutcome, type RemovalWrite } from "./removal-marking.js";
import { jsonbSafe } from "./json.js";
import { transact } from "./transact.js";
import type { FileCheck } from "./document-store.js";
import { CONVOCATORIAS, isoNow, ROWS_PER_INSERT, RunLedger } from "./run-ledger.js";
import type { Database, DocumentosTable } from "./schema.js";

export { workItem, REQUESTED, type RunCounter, type WorkItem } from "./run-ledger.js";

export type DetailOutcome = "new" | "changed" | "unchanged";

/**
 * Whether the stored file is the revision BDNS announces now: stored, with the announced size (when
 * BDNS gives one) and the announced modification date. The one rule both for queuing a document and
 * for the document function's skip (which also re-hashes the file on disk).
 */
export function storedRevisionIsCurrent(d: Pick<DocumentosTable, "stored_at" | "stored_size" | "stored_dat_mod" | "announced_size" | "dat_mod">): boolean {
  if (!d.stored_at) return false;
  if (d.announced_size !== null && d.announced_size !== d.stored_size) return false;
  return (d.stored_dat_mod ?? null) === (d.dat_mod ?? null);
}

/** Marking removed the documents a detail no longer lists (Store.upsertDocuments). */
export interface DocumentRemoval {
  runId: string;
  decide: (c: { live: number; missing: number }) => RemovalDecision;
  onMarked?: (m: RemovalOutcome) => void;
}

export class Store extends RunLedger {
  /** The datasets' tables (bulk writes of pages, removal marking). */
  readonly tables: DatasetTables;

  private constructor(
    db: Kysely<Database>,
    readonly dialect: OpenedDb["dialect"],
    readonly location: string,
    private readonly raw: Pick<OpenedDb, "sqlite" | "pgPool">,
  ) {
    super(db);
    this.tables = new DatasetTables(db, raw);
  }

  /** `o`: see openDatabase (the CLI reads runs without migrating or creating anything). */
  static async open(databaseUrl?: string, o: OpenOptions = {}): Promise<Store> {
    const { db, dialect, location, ...raw } = await openDatabase(databaseUrl, o);
    return new Store(db, dialect, location, raw);
  }

  close(): Promise<void> {
    return this.db.destroy();
  }

  /**
   * Whether the database answers now: a trivial query, bounded by `timeoutMs`. `busy`: PostgreSQL's
   * every pooled connection is in use (long pages) and none came free in time — the database is
   * there, this process is just using all it may; `down`: it failed or did not answer.
   */
  async probe(timeoutMs: number): Promise<{ state: "ok" | "busy" | "down"; error?: string }> {
    let timer: NodeJS.Timeout | undefined;
    const ping = sql`SELECT 1`.execute(this.db);
    ping.catch(() => undefined); // an answer after the bound is dropped, failures included
    try {
      await Promise.race([ping, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)))]);
      return { state: "ok" };
    } catch (err) {
      const pool = this.raw.pgPool;
      const busy = pool !== undefined && pool.totalCount >= (pool.options.max ?? 10) && pool.waitingCount > 0 && /no answer within/.test(String(err));
      return { state: busy ? "busy" : "down", error: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Writes that must land together or not at all (a stored document: its row, the run's counter and
   * its item — a kill between them would leave the run counting a document it then calls unchanged).
   * `work` gets a Store on one transaction; the bulk page writers (`tables.of`) are not available on it.
   */
  atomically<T>(work: (tx: Store) => Promise<T>): Promise<T> {
    return this.transact((tx) => work(new Store(tx, this.dialect, this.location, {})));
  }

  private transact<T>(work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    return transact(this.db, work);
  }

  // --- steps: their writes and counters, committed once -----------------------------------------

  /**
   * A step's writes and its counters, committed once. `write` runs in one transaction that also
   * records its result under (run, dataset, step): one error inside it (a serialization failure, a
   * connection lost) leaves nothing half-done, and a step that already committed — retried because
   * its answer never reached Inngest, or run again from the start — gets the recorded result back and
   * writes and counts nothing. (Two attempts racing past the check: the second's insert of the same
   * key fails and rolls its writes back, and it returns the first's result.)
   */
  async once<T>(runId: string, dataset: string, step: string, write: (tx: Store) => Promise<T>): Promise<T> {
    try {
      return await this.atomically(async (tx) => {
        const done = await tx.committed<T>(runId, dataset, step);
        if (done !== undefined) return done;
        const result = await write(tx);
        await tx.db.insertInto("run_steps").values({ run_id: runId, dataset, step, result: JSON.stringify(result ?? null), at: isoNow() }).execute();
        return result;
      });
    } catch (err) {
      // Two attempts at once (two engines claiming one scheduled tick, a step run twice in parallel):
      // the one that committed first wins, and this one, rolled back, returns what it committed.
      if (!this.db.isTransaction && isUniqueViolation(err)) {
        const done = await this.committed<T>(runId, dataset, step);
        if (done !== undefined) return done;
      }
      throw err;
    }
  }

  /** What a step of a run committed, if it did: checked before its work (a BDNS request) is done again. */
  async committed<T>(runId: string, dataset: string, step: string): Promise<T | undefined> {
    const row = await this.db.selectFrom("run_steps").select("result").where("run_id", "=", runId).where("dataset", "=", dataset).where("step", "=", step).executeTakeFirst();
    return row ? (JSON.parse(row.result) as T) : undefined;
  }

  // --- convocatorias ---------------------------------------------------------------------------

  /**
   * Upsert listing rows (the listing carries 10 of ~30 fields: it never replaces a stored detail).
   * Returns the codes that have no stored detail yet.
   */
  async upsertListing(rows: readonly SearchRow[], runId: string, now = isoNow()): Promise<{ withoutDetail: string[] }> {
    const unique = [...new Map(rows.map((r) => [r.numeroConvocatoria, r])).values()]; // paging can repeat a row
    await this.transact(async (tx) => {
      for (let i = 0; i < unique.length; i += ROWS_PER_INSERT) {
        const values = unique.slice(i, i + ROWS_PER_INSERT).map((r) => ({
          bdns: r.numeroConvocatoria,
          id: r.id,
          descripcion: r.descripcion,
          descripcion_leng: r.descripcionLeng,
          fecha_recepcion: r.fechaRecepcion,
          nivel1: r.nivel1,
          nivel2: r.nivel2,
          nivel3: r.nivel3,
          codigo_invente: r.codigoInvente,
          mrr: flag(r.mrr),
          first_seen_at: now,
          listed_at: now,
          last_run_id: runId,
        }));
        await tx
          .insertInto("convocatorias")
          .values(values)
          .onConflict((oc) =>
            oc.column("bdns").doUpdateSet((eb) => ({
              id: eb.ref("excluded.id"),
              descripcion: eb.ref("excluded.descripcion"),
              descripcion_leng: eb.ref("excluded.descripcion_leng"),
              fecha_recepcion: eb.ref("excluded.fecha_recepcion"),
              nivel1: eb.ref("excluded.nivel1"),
              nivel2: eb.ref("excluded.nivel2"),
              nivel3: eb.ref("excluded.nivel3"),
              codigo_invente: eb.ref("excluded.codigo_invente"),
              mrr: eb.ref("excluded.mrr"),
              listed_at: eb.ref("excluded.listed_at"),
              last_run_id: eb.ref("excluded.last_run_id"),
              // Listed again after it was marked removed: back, and that is a change.
              last_changed_at: sql`CASE WHEN convocatorias.removed_at IS NOT NULL THEN ${now} ELSE convocatorias.last_changed_at END`,
              removed_at: null,
            })),
          )
          .execute();
        // The facets carry the date they are filtered by with (region + sector + year): kept in step.
        const codes = values.map((v) => v.bdns);
        await sql`UPDATE convocatoria_facetas SET fecha_recepcion = (SELECT c.fecha_recepcion FROM convocatorias c WHERE c.bdns = convocatoria_facetas.bdns)
          WHERE bdns IN (${sql.join(codes)}) AND fecha_recepcion IS DISTINCT FROM (SELECT c.fecha_recepcion FROM convocatorias c WHERE c.bdns = convocatoria_facetas.bdns)`.execute(tx);
      }
    });
    const withoutDetail: string[] = [];
    const codes = unique.map((r) => r.numeroConvocatoria);
    for (let i = 0; i < codes.length; i += ROWS_PER_INSERT) {
      const found = await this.db
        .selectFrom("convocatorias")
        .select("bdns")
        .where("bdns", "in", codes.slice(i, i + ROWS_PER_INSERT))
        .where("content_hash", "is", null)
        .execute();
      const missing = new Set(found.map((f) => f.bdns));
      withoutDetail.push(...codes.slice(i, i + ROWS_PER_INSERT).filter((c) => missing.has(c)));
    }
    return { withoutDetail };
  }

  /** Store a fetched detail: new, changed (hash differs) or unchanged (only last_fetched_at moves). */
  async upsertDetail(detail: ConvocatoriaDetail, raw: Record<string, unknown>, runId: string, now = isoNow()): Promise<DetailOutcome> {
    const hash = contentHash(raw);
    const bdns = detail.codigoBDNS;
    return this.transact(async (tx) => {
      const prev = await tx.selectFrom("convocatorias").select(["content_hash", "removed_at"]).where("bdns", "=", bdns).executeTakeFirst();
      // Back after it was marked removed: a change, as a dataset row's comeback is.
      const outcome: DetailOutcome = !prev?.content_hash ? "new" : prev.content_hash === hash && prev.removed_at === null ? "unchanged" : "changed";
      if (outcome === "unchanged") {
        await tx.updateTable("convocatorias").set({ last_fetched_at: now, last_run_id: runId }).where("bdns", "=", bdns).execute();
        return outcome;
      }
      const columns = {
        id: detail.id,
        descripcion: detail.descripcion,
        descripcion_leng: detail.descripcionLeng,
        fecha_recepcion: detail.fechaRecepcion,
        nivel1: detail.organo?.nivel1 ?? null,
        nivel2: detail.organo?.nivel2 ?? null,
        nivel3: detail.organo?.nivel3 ?? null,
        mrr: flag(detail.mrr),
        tipo_convocatoria: detail.tipoConvocatoria,
        presupuesto_total: detail.presupuestoTotal,
        abierto: flag(detail.abierto),
        fecha_inicio_solicitud: detail.fechaInicioSolicitud,
        fecha_fin_solicitud: detail.fechaFinSolicitud,
        sede_electronica: detail.sedeElectronica,
        detail_json: jsonbSafe(JSON.stringify(raw)),
        content_hash: hash,
        last_fetched_at: now,
        last_changed_at: now,
        last_run_id: runId,
        removed_at: null,
      };
      await tx
        .insertInto("convocatorias")
        .values({ bdns, first_seen_at: now, listed_at: null, ...columns })
        .onConflict((oc) => oc.column("bdns").doUpdateSet(columns))
        .execute();
      // Its regions, sectors, beneficiary types… as rows the portal filters on (facets.ts).
      await tx.deleteFrom("convocatoria_facetas").where("bdns", "=", bdns).execute();
      const facets = facetsOf(raw).map((f) => ({ bdns, ...f, fecha_recepcion: detail.fechaRecepcion }));
      if (facets.length > 0) await tx.insertInto("convocatoria_facetas").values(facets).execute();
      return outcome;
    });
  }

  async getConvocatoria(bdns: string) {
    return this.db.selectFrom("convocatorias").selectAll().where("bdns", "=", bdns).executeTakeFirst();
  }

  // --- documentos ------------------------------------------------------------------------------

  /**
   * Record the documents a detail lists. Returns the ids that need (re)storing: never stored, the
   * stored file is not the revision BDNS now announces (another size or modification date), or —
   * with `fileIntact` — the file on disk no longer looks like the one stored. With `removal`, the
   * convocatoria's documents the list no longer holds are marked removed, as the removal rule decides
   * (removal-marking.ts; an empty list where there were documents is held back).
   */
  async upsertDocuments(bdns: string, docs: readonly DocumentMeta[], o: { now?: string; fileIntact?: FileCheck; removal?: DocumentRemoval } = {}): Promise<string[]> {
    const now = o.now ?? isoNow();
    const ids = docs.map((d) => String(d.id));
    const existing = ids.length === 0 ? new Map<string, DocumentosTable>() : new Map((await this.db.selectFrom("documentos").selectAll().where("id", "in", ids).execute()).map((d) => [d.id, d]));
    const toStore: string[] = [];
    if (docs.length > 0) {
      await this.transact(async (tx) => {
        for (const d of docs) {
          const id = String(d.id);
          const prev = existing.get(id);
          const meta = { bdns, nombre_fic: d.nombreFic, descripcion: d.descripcion, announced_size: d.long, dat_mod: d.datMod, dat_publicacion: d.datPublicacion, updated_at: now, removed_at: null };
          if (!prev || !storedRevisionIsCurrent({ ...prev, ...meta }) || (o.fileIntact && !(await o.fileIntact(prev)))) toStore.push(id);
          await tx
            .insertInto("documentos")
            .values({ id, first_seen_at: now, ...meta })
            .onConflict((oc) => oc.column("id").doUpdateSet(meta))
            .execute();
        }
      });
    }
    if (o.removal) {
      const write = { runId: o.removal.runId, dataset: CONVOCATORIAS, unit: `documentos ${bdns}`, now, since: now };
      const marked = await markRemovedRows(this.db, { table: "documentos", seen: "updated_at" }, { equals: { bdns } }, write, o.removal.decide);
      o.removal.onMarked?.(marked);
    }
    return toStore;
  }

  /**
   * Mark removed the convocatorias of a window (by fecha_recepcion) that its completed listing no longer
   * held (not listed since `o.since`), as the removal rule decides; a removal moves last_changed_at.
   */
  async markConvocatoriasRemoved(window: { from: string; to: string }, o: RemovalWrite, decide: (c: { live: number; missing: number }) => RemovalDecision): Promise<RemovalOutcome> {
    return markRemovedRows(this.db, { table: "convocatorias", seen: "listed_at", changed: "last_changed_at" }, { equals: {}, dateRange: { column: "fecha_recepcion", ...window } }, o, decide);
  }

  async getDocument(id: string): Promise<DocumentosTable | undefined> {
    return this.db.selectFrom("documentos").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** The file is in place: record its hash, size and which revision (BDNS's `datMod`) it is. */
  async markDocumentStored(id: string, stored: { sha256: string; size: number; path: string; datMod: string | null }, now = isoNow()): Promise<void> {
    await this.db
      .updateTable("documentos")
      .set({ sha256: stored.sha256, stored_size: stored.size, stored_path: stored.path, stored_dat_mod: stored.datMod, stored_at: now, updated_at: now })
      .where("id", "=", id)
      .execute();
  }

  /**
   * Refresh the planner's statistics after a large write, so plans follow the data (an index that was
   * right for 100 rows may be wrong for 10 million, and the other way round). SQLite: `PRAGMA
   * optimize=0x10002` — ANALYZE of every table never analyzed or much changed since, with SQLite's own
   * bound on the rows it reads; PostgreSQL: ANALYZE of `tables` (a sample of 30,000 rows each).
   */
  async refreshPlannerStats(tables: readonly string[]): Promise<void> {
    if (this.dialect === "sqlite") await sql`PRAGMA optimize=0x10002`.execute(this.db);
    else if (tables.length > 0) await sql`ANALYZE ${sql.join(tables.map((t) => sql.table(t)))}`.execute(this.db);
  }

  /**
   * After a run's last unit: refresh the statistics of its tables if the run stored at least `threshold`
   * rows (fetched, or listed for convocatorias). Returns whether it did.
   */
  async refreshPlannerStatsAfterRun(runId: string, dataset: string, tables: readonly string[], threshold: number): Promise<boolean> {
    const run = await this.getRun(runId, dataset);
    if (!run || Number(run.fetched) + Number(run.listed) < threshold) return false;
    await this.refreshPlannerStats(tables);
    return true;
  }
}

/** A primary key already taken: PostgreSQL 23505, SQLite's SQLITE_CONSTRAINT_PRIMARYKEY / _UNIQUE. */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE";
}

/** sha256 of the canonical JSON (keys sorted, arrays in BDNS's order: their order carries meaning). */
export function contentHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function flag(b: boolean | null | undefined): number | null {
  return b === null || b === undefined ? null : b ? 1 : 0;
}

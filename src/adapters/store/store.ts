/**
 * The queries the functions need, written once for SQLite and PostgreSQL.
 */
import { createHash } from "node:crypto";
import { sql, type Kysely } from "kysely";
import type { ConvocatoriaDetail, DocumentMeta, SearchRow } from "../bdns/schemas.js";
import { openDatabase, type OpenedDb, type OpenOptions } from "./db.js";
import { DatasetTables } from "./dataset-tables.js";
import { transact } from "./transact.js";
import type { FileCheck } from "./document-store.js";
import type { Database, DocumentosTable, ItemKind, ItemState } from "./schema.js";

/** SQLite allows 32,766 bound parameters per statement; 14 columns × 500 rows stays well inside. */
const ROWS_PER_INSERT = 500;

export type DetailOutcome = "new" | "changed" | "unchanged";

/**
 * One unit of work of a run, as the store files it: its kind and key, and for the failures list the
 * convocatoria and document it concerns (build them with `workItem`).
 */
export interface WorkItem {
  /** Default: convocatorias. */
  dataset?: string;
  kind: ItemKind;
  key: string;
  bdns?: string;
  documentId?: string;
}

export const workItem = {
  detail: (bdns: string): WorkItem => ({ kind: "detail", key: bdns, bdns }),
  document: (bdns: string, documentId: string): WorkItem => ({ kind: "document", key: `${bdns}/${documentId}`, bdns, documentId }),
  piece: (w: { from: string; to: string }): WorkItem => ({ kind: "piece", key: `${w.from}..${w.to}` }),
  /** The request itself, before it is cut into pieces. */
  sync: (): WorkItem => ({ kind: "sync", key: "" }),
};

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
export type RunCounter = "listed" | "queued" | "fetched" | "new" | "changed" | "unchanged" | "removed" | "failed" | "documents_stored" | "removals_held";

export class Store {
  /** The datasets' tables (bulk writes of pages, removal marking). */
  readonly tables: DatasetTables;

  private constructor(
    readonly db: Kysely<Database>,
    readonly dialect: OpenedDb["dialect"],
    readonly location: string,
    private readonly raw: Pick<OpenedDb, "sqlite" | "pgPool">,
  ) {
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
            })),
          )
          .execute();
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
      const prev = await tx.selectFrom("convocatorias").select(["content_hash"]).where("bdns", "=", bdns).executeTakeFirst();
      const outcome: DetailOutcome = !prev?.content_hash ? "new" : prev.content_hash === hash ? "unchanged" : "changed";
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
        detail_json: JSON.stringify(raw),
        content_hash: hash,
        last_fetched_at: now,
        last_changed_at: now,
        last_run_id: runId,
      };
      await tx
        .insertInto("convocatorias")
        .values({ bdns, first_seen_at: now, listed_at: null, ...columns })
        .onConflict((oc) => oc.column("bdns").doUpdateSet(columns))
        .execute();
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
   * with `fileIntact` — the file on disk no longer looks like the one stored.
   */
  async upsertDocuments(bdns: string, docs: readonly DocumentMeta[], o: { now?: string; fileIntact?: FileCheck } = {}): Promise<string[]> {
    if (docs.length === 0) return [];
    const now = o.now ?? isoNow();
    const ids = docs.map((d) => String(d.id));
    const existing = new Map((await this.db.selectFrom("documentos").selectAll().where("id", "in", ids).execute()).map((d) => [d.id, d]));
    const toStore: string[] = [];
    await this.transact(async (tx) => {
      for (const d of docs) {
        const id = String(d.id);
        const prev = existing.get(id);
        const meta = { bdns, nombre_fic: d.nombreFic, descripcion: d.descripcion, announced_size: d.long, dat_mod: d.datMod, dat_publicacion: d.datPublicacion, updated_at: now };
        if (!prev || !storedRevisionIsCurrent({ ...prev, ...meta }) || (o.fileIntact && !(await o.fileIntact(prev)))) toStore.push(id);
        await tx
          .insertInto("documentos")
          .values({ id, first_seen_at: now, ...meta })
          .onConflict((oc) => oc.column("id").doUpdateSet(meta))
          .execute();
      }
    });
    return toStore;
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

  // --- sync runs: one row per run and dataset -------------------------------------------------

  /**
   * Start (or find) the run row; a run started by `detail`/`document` directly gets one on first use,
   * and `retryOf` (from the event: `ayida-jobs retry`) links it to the run it re-requests. A sync
   * request picked up under a run whose row another kind started (a detail of the same runId came
   * first) makes it a sync row: the row then has work of its own until its pieces are done.
   */
  async ensureRun(runId: string, kind: string, window: { from?: string | undefined; to?: string | undefined; retryOf?: string | undefined } = {}, dataset = CONVOCATORIAS, now = isoNow()): Promise<void> {
    await this.db
      .insertInto("sync_runs")
      .values({ run_id: runId, dataset, kind, window_from: window.from ?? null, window_to: window.to ?? null, started_at: now, finished_at: null, status: "running", retry_of: window.retryOf ?? null })
      .onConflict((oc) =>
        kind === "sync"
          ? oc
              .columns(["run_id", "dataset"])
              .doUpdateSet({
                kind: "sync",
                status: "running",
                finished_at: null,
                window_from: sql`COALESCE(excluded.window_from, sync_runs.window_from)`,
                window_to: sql`COALESCE(excluded.window_to, sync_runs.window_to)`,
                retry_of: sql`COALESCE(sync_runs.retry_of, excluded.retry_of)`,
              })
              .where((eb) => eb.or([eb("sync_runs.kind", "<>", "sync"), eb("sync_runs.status", "=", REQUESTED)]))
          : oc.columns(["run_id", "dataset"]).doNothing(),
      )
      .execute();
  }

  /**
   * `sync all`: the datasets one request asked for, filed as `requested` by whichever of its functions
   * picks the run up first, so the run is every one of them from then on (not done with 6 of 11). A
   * dataset's own sync function turns its row into a running sync row (ensureRun); a row that exists
   * already is left as it is.
   */
  async ensureRequested(runId: string, datasets: readonly string[], now = isoNow()): Promise<void> {
    if (datasets.length === 0) return;
    await this.db
      .insertInto("sync_runs")
      .values(datasets.map((dataset) => ({ run_id: runId, dataset, kind: "sync", window_from: null, window_to: null, started_at: now, finished_at: null, status: REQUESTED, retry_of: null })))
      .onConflict((oc) => oc.columns(["run_id", "dataset"]).doNothing())
      .execute();
  }

  async setPieces(runId: string, pieces: number, dataset = CONVOCATORIAS): Promise<void> {
    await this.db.updateTable("sync_runs").set({ pieces }).where("run_id", "=", runId).where("dataset", "=", dataset).execute();
  }

  /** One piece of the work is fetched and fanned out; the last one marks the run succeeded. */
  async completePiece(runId: string, dataset = CONVOCATORIAS, now = isoNow()): Promise<{ done: number; of: number }> {
    const row = await this.db
      .updateTable("sync_runs")
      .set((eb) => ({ pieces_done: eb("pieces_done", "+", 1) }))
      .where("run_id", "=", runId)
      .where("dataset", "=", dataset)
      .returning(["pieces_done", "pieces"])
      .executeTakeFirstOrThrow();
    if (row.pieces_done >= row.pieces) {
      await this.db.updateTable("sync_runs").set({ status: "succeeded", finished_at: now }).where("run_id", "=", runId).where("dataset", "=", dataset).where("status", "=", "running").execute();
    }
    return { done: row.pieces_done, of: row.pieces };
  }

  async finishRun(runId: string, status: "succeeded" | "failed", dataset = CONVOCATORIAS, now = isoNow()): Promise<void> {
    await this.db.updateTable("sync_runs").set({ status, finished_at: now }).where("run_id", "=", runId).where("dataset", "=", dataset).execute();
  }

  async count(runId: string, counter: RunCounter, by = 1, dataset = CONVOCATORIAS): Promise<void> {
    if (by === 0) return;
    await this.db
      .updateTable("sync_runs")
      .set((eb) => ({ [counter]: eb(sql.ref(counter), "+", by) }))
      .where("run_id", "=", runId)
      .where("dataset", "=", dataset)
      .execute();
  }

  /** Several counters in one statement (a dataset page's fetched/new/changed/unchanged). */
  async countAll(runId: string, dataset: string, counts: Partial<Record<RunCounter, number>>): Promise<void> {
    const entries = Object.entries(counts).filter(([, by]) => by);
    if (entries.length === 0) return;
    await this.db
      .updateTable("sync_runs")
      .set((eb) => Object.fromEntries(entries.map(([counter, by]) => [counter, eb(sql.ref(counter), "+", by!)])))
      .where("run_id", "=", runId)
      .where("dataset", "=", dataset)
      .execute();
  }

  async getRun(runId: string, dataset = CONVOCATORIAS) {
    return this.db.selectFrom("sync_runs").selectAll().where("run_id", "=", runId).where("dataset", "=", dataset).executeTakeFirst();
  }

  /** Every dataset's row of one run. */
  async getRunRows(runId: string) {
    return this.db.selectFrom("sync_runs").selectAll().where("run_id", "=", runId).orderBy("dataset").execute();
  }

  // --- run items: what a run caused, and where each piece of work stands ---------------------

  /** Items about to be fanned out. Re-queuing (a retried step) leaves an item's progress alone. */
  async queueItems(runId: string, items: readonly WorkItem[], now = isoNow()): Promise<void> {
    for (let i = 0; i < items.length; i += ROWS_PER_INSERT) {
      const values = items.slice(i, i + ROWS_PER_INSERT).map((it) => ({ ...itemRow(runId, it), state: "queued" as const, queued_at: now, updated_at: now }));
      await this.db
        .insertInto("run_items")
        .values(values)
        .onConflict((oc) => oc.columns(ITEM_KEY).doNothing())
        .execute();
    }
  }

  /** The item reached a good outcome. (Created here when nothing queued it: a direct request.) */
  async itemDone(runId: string, it: WorkItem, state: "stored" | "unchanged", now = isoNow()): Promise<void> {
    const set = { state, failure: null, reason: null, next_attempt_at: null, updated_at: now };
    await this.db
      .insertInto("run_items")
      .values({ ...itemRow(runId, it), queued_at: now, ...set })
      .onConflict((oc) => oc.columns(ITEM_KEY).doUpdateSet(set))
      .execute();
  }

  /**
   * An attempt failed and another may follow: attempt n of m, why, and when the next is due (null:
   * this was the last). Visible at once, not only when every retry is spent.
   */
  async itemFailing(runId: string, it: WorkItem, f: { attempt: number; maxAttempts: number; failure: string; reason: string; nextAttemptAt: string | null }, now = isoNow()): Promise<void> {
    const set = { state: "failing" as const, attempt: f.attempt, max_attempts: f.maxAttempts, failure: f.failure, reason: f.reason.slice(0, 500), next_attempt_at: f.nextAttemptAt, updated_at: now };
    await this.db
      .insertInto("run_items")
      .values({ ...itemRow(runId, it), queued_at: now, ...set })
      .onConflict((oc) => oc.columns(ITEM_KEY).doUpdateSet(set).where("run_items.state", "not in", ["stored", "unchanged", "failed"]))
      .execute();
  }

  /**
   * The item failed for good: a permanent failure, or every retry spent. Marked once (a failure
   * handler after a permanent failure keeps the first, more precise reason) and counted once; the
   * sync_failures view lists it.
   */
  async recordFailure(runId: string, it: WorkItem, f: { failure: string; reason: string; onlyIfUnsettled?: boolean }, now = isoNow()): Promise<void> {
    const set = { state: "failed" as const, failure: f.failure, reason: f.reason.slice(0, 500), next_attempt_at: null, updated_at: now };
    // onlyIfUnsettled: what the reconcile records from the engine's word must never undo an outcome a
    // function wrote meanwhile (the store read and this write are apart).
    const settled: ItemState[] = f.onlyIfUnsettled ? ["failed", "stored", "unchanged"] : ["failed"];
    const marked = await this.db
      .insertInto("run_items")
      .values({ ...itemRow(runId, it), queued_at: now, ...set })
      .onConflict((oc) => oc.columns(ITEM_KEY).doUpdateSet(set).where("run_items.state", "not in", settled))
      .executeTakeFirst();
    if (Number(marked.numInsertedOrUpdatedRows ?? 0) > 0) await this.count(runId, "failed", 1, it.dataset ?? CONVOCATORIAS);
  }

  async getItem(runId: string, it: WorkItem) {
    return this.db
      .selectFrom("run_items")
      .selectAll()
      .where("run_id", "=", runId)
      .where("dataset", "=", it.dataset ?? CONVOCATORIAS)
      .where("kind", "=", it.kind)
      .where("item", "=", it.key)
      .executeTakeFirst();
  }

  async getItems(runId: string, dataset = CONVOCATORIAS) {
    return this.db.selectFrom("run_items").selectAll().where("run_id", "=", runId).where("dataset", "=", dataset).orderBy("kind").orderBy("item").execute();
  }

  /** The items of a run that failed for good (all datasets, unless one is named). */
  async getFailures(runId: string, dataset?: string) {
    let q = this.db.selectFrom("sync_failures").selectAll().where("run_id", "=", runId);
    if (dataset) q = q.where("dataset", "=", dataset);
    return q.orderBy("dataset").orderBy("kind").orderBy("item").execute();
  }
}

const CONVOCATORIAS = "convocatorias";
/** A dataset's sync row filed by another dataset's function of the same `sync all`: asked for, not picked up yet. */
export const REQUESTED = "requested";

/** A primary key already taken: PostgreSQL 23505, SQLite's SQLITE_CONSTRAINT_PRIMARYKEY / _UNIQUE. */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE";
}
const ITEM_KEY = ["run_id", "dataset", "kind", "item"] as const;

function itemRow(runId: string, it: WorkItem) {
  return { run_id: runId, dataset: it.dataset ?? CONVOCATORIAS, kind: it.kind, item: it.key, bdns: it.bdns ?? null, document_id: it.documentId ?? null };
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

function isoNow(): string {
  return new Date().toISOString();
}

/**
 * The ledger of runs: one row per run and dataset (sync_runs: its window, pieces, counters, status) and
 * one per unit of work a run caused (run_items: queued, failing, stored, failed). What `runs`, `--wait`,
 * /api/runs and the reconcile read; the functions write it as they go. Store extends it.
 */
import { sql, type Kysely } from "kysely";
import type { Database, ItemKind, ItemState } from "./schema.js";

/** SQLite allows 32,766 bound parameters per statement; 14 columns × 500 rows stays well inside. */
export const ROWS_PER_INSERT = 500;

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

export type RunCounter = "listed" | "queued" | "fetched" | "new" | "changed" | "unchanged" | "removed" | "failed" | "documents_stored" | "removals_held";

/** The dataset a run, an item or a counter is of when none is named. */
export const CONVOCATORIAS = "convocatorias";
/** A dataset's sync row filed by another dataset's function of the same `sync all`: asked for, not picked up yet. */
export const REQUESTED = "requested";

export class RunLedger {
  constructor(readonly db: Kysely<Database>) {}

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

const ITEM_KEY = ["run_id", "dataset", "kind", "item"] as const;

function itemRow(runId: string, it: WorkItem) {
  return { run_id: runId, dataset: it.dataset ?? CONVOCATORIAS, kind: it.kind, item: it.key, bdns: it.bdns ?? null, document_id: it.documentId ?? null };
}

export function isoNow(): string {
  return new Date().toISOString();
}

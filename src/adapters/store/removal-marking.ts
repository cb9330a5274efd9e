/**
 * Marking removed what a completed fetch no longer returned — the one mechanism for every table the
 * portal reads: the datasets' tables (last_seen_at), convocatorias (listed_at, by a window piece of the
 * listing) and documentos (updated_at, by a detail's list of documents). Whether the marks may be made
 * is the removal rule's (functions/datasets/removal.ts: the copy never shrinks on one answer); this
 * counts, asks it, and either marks or records the hold, in one transaction.
 */
import { sql, type Kysely, type RawBuilder } from "kysely";
import type { ColumnValue } from "../../datasets/types.js";
import type { Database } from "./schema.js";
import { transact } from "./transact.js";

/** What a completed fetch covers: the rows its removal may mark. */
export interface RemovalScope {
  /** Column = value for each (e.g. catalogo and ambito). */
  equals: Record<string, ColumnValue>;
  /** Windowed fetches: the row's own registration date within [from, to]. */
  dateRange?: { column: string; from: string; to: string };
}

/** Where the marks go. */
export interface RemovalTarget {
  table: string;
  /** The time every fetch writes on each row it returns: a row whose time is before `since` was not returned. */
  seen: string;
  /** A column that moves to the removal's time too (the feed of what changed: last_changed_at). */
  changed?: string;
}

/** Whether a completed fetch's absences may be marked removed (see functions/datasets/removal.ts). */
export type RemovalDecision = { remove: true } | { remove: false; reason: string; message: string };

/** What marking did: rows marked removed, or rows held back (not marked) and why. */
export interface RemovalOutcome {
  removed: number;
  held: number;
  hold?: { reason: string; message: string };
}

export interface RemovalWrite {
  runId: string;
  /** The run's row (sync_runs) whose `removed` / `removals_held` count the marks. */
  dataset: string;
  /** The unit of work that fetched the scope, as removal_holds records it. */
  unit: string;
  now: string;
  /** When the fetch began. */
  since: string;
}

/**
 * Mark removed the rows of `scope` not seen since the fetch began, counted in the run's `removed` — if
 * `decide`, shown how many rows the scope holds and how many of them would go, agrees. When it does
 * not, nothing is marked: the rows are counted in the run's `removals_held` and the scope is recorded in
 * removal_holds with the reason, once per run and unit (a retried step counts nothing twice).
 * `beforeMarking` runs in the same transaction with the condition that selects the rows about to be
 * marked (the award totals subtract them). Part of the caller's transaction when `db` is one (a step
 * committed once: Store.once).
 */
export async function markRemovedRows(
  db: Kysely<Database>,
  target: RemovalTarget,
  scope: RemovalScope,
  o: RemovalWrite,
  decide: (c: { live: number; missing: number }) => RemovalDecision = () => ({ remove: true }),
  beforeMarking?: (tx: Kysely<Database>, marked: RawBuilder<unknown>) => Promise<void>,
): Promise<RemovalOutcome> {
  const t = sql.table(target.table);
  const seen = sql.ref(target.seen);
  const conditions = [sql`removed_at IS NULL`];
  for (const [column, value] of Object.entries(scope.equals)) conditions.push(value === null ? sql`${sql.ref(column)} IS NULL` : sql`${sql.ref(column)} = ${value}`);
  if (scope.dateRange) {
    const c = sql.ref(scope.dateRange.column);
    conditions.push(sql`${c} >= ${scope.dateRange.from}`, sql`${c} <= ${scope.dateRange.to}`);
  }
  const inScope = sql.join(conditions, sql` AND `);
  const missing = sql`(${seen} IS NULL OR ${seen} < ${o.since})`;
  return transact(db, async (tx) => {
    const counted = await sql<{ live: number | string; missing: number | string | null }>`SELECT COUNT(*) AS live, SUM(CASE WHEN ${missing} THEN 1 ELSE 0 END) AS missing FROM ${t} WHERE ${inScope}`.execute(tx);
    const live = Number(counted.rows[0]?.live ?? 0);
    const gone = Number(counted.rows[0]?.missing ?? 0);
    if (gone === 0) return { removed: 0, held: 0 };
    const decision = decide({ live, missing: gone });
    if (!decision.remove) {
      const hold = { run_id: o.runId, dataset: o.dataset, unit: o.unit, held: gone, live, reason: decision.reason, message: decision.message, at: o.now };
      const inserted = await tx.insertInto("removal_holds").values(hold).onConflict((oc) => oc.columns(["run_id", "dataset", "unit"]).doNothing()).executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) await sql`UPDATE sync_runs SET removals_held = removals_held + ${gone} WHERE run_id = ${o.runId} AND dataset = ${o.dataset}`.execute(tx);
      return { removed: 0, held: gone, hold: decision };
    }
    const marked = sql`${inScope} AND ${missing}`;
    await beforeMarking?.(tx, marked);
    const sets = [sql`removed_at = ${o.now}`, ...(target.changed ? [sql`${sql.ref(target.changed)} = ${o.now}`] : [])];
    const r = await sql`UPDATE ${t} SET ${sql.join(sets)} WHERE ${marked}`.execute(tx);
    const removed = Number(r.numAffectedRows ?? 0);
    if (removed > 0) await sql`UPDATE sync_runs SET removed = removed + ${removed} WHERE run_id = ${o.runId} AND dataset = ${o.dataset}`.execute(tx);
    return { removed, held: 0 };
  });
}

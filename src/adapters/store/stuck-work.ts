/**
 * What serve's reconcile asks the store (functions/reconcile.ts): the unfinished runs that have not
 * moved for a while, and in each the work still waiting for an outcome — queued items, items failing
 * with no attempt due, and sync rows whose own work is not done (running, or `requested` by a
 * `sync all` and never picked up). Bounded: one query for the candidate runs, one index seek per
 * candidate for when it last moved (run_items_activity), and a limit on what is listed.
 */
import type { Kysely } from "kysely";
import type { Database, ItemKind } from "./schema.js";

export interface StuckItem {
  runId: string;
  dataset: string;
  kind: ItemKind;
  item: string;
  state: "queued" | "failing";
  queuedAt: string | null;
  updatedAt: string;
}

export interface StuckRow {
  runId: string;
  dataset: string;
  status: "running" | "requested";
  startedAt: string;
}

export interface QuietRun {
  runId: string;
  /** Its newest item change, row start or row finish. */
  lastActivity: string;
  items: StuckItem[];
  rows: StuckRow[];
}

/**
 * Unfinished runs whose last activity is before `cutoff`, each with (at most `limit` of) its work
 * still waiting: items queued, or failing with no attempt due since `cutoff`, and its sync rows not
 * done. Quietest first.
 */
export async function quietRuns(db: Kysely<Database>, o: { cutoff: string; limit: number }): Promise<QuietRun[]> {
  const candidates = await db
    .selectFrom("sync_runs as r")
    .select("r.run_id")
    .distinct()
    .where((eb) =>
      eb.or([
        eb.and([eb("r.kind", "=", "sync"), eb("r.status", "in", ["running", "requested"])]),
        eb.exists(eb.selectFrom("run_items as i").select("i.run_id").whereRef("i.run_id", "=", "r.run_id").where("i.state", "in", ["queued", "failing"])),
      ]),
    )
    .execute();
  const quiet: Array<{ runId: string; lastActivity: string }> = [];
  for (const { run_id } of candidates) {
    const item = await db.selectFrom("run_items").select((eb) => eb.fn.max("updated_at").as("t")).where("run_id", "=", run_id).executeTakeFirst();
    const row = await db.selectFrom("sync_runs").select((eb) => [eb.fn.max("started_at").as("s"), eb.fn.max("finished_at").as("f")]).where("run_id", "=", run_id).executeTakeFirst();
    const last = [item?.t, row?.s, row?.f].filter((t): t is string => Boolean(t)).sort().at(-1);
    if (last && last < o.cutoff) quiet.push({ runId: run_id, lastActivity: last });
  }
  quiet.sort((a, b) => (a.lastActivity < b.lastActivity ? -1 : a.lastActivity > b.lastActivity ? 1 : 0));

  const out: QuietRun[] = [];
  let left = o.limit;
  for (const q of quiet) {
    if (left <= 0) break;
    const rows = await db
      .selectFrom("sync_runs")
      .select(["dataset", "status", "started_at"])
      .where("run_id", "=", q.runId)
      .where("kind", "=", "sync")
      .where("status", "in", ["running", "requested"])
      .orderBy("dataset")
      .execute();
    const items = await db
      .selectFrom("run_items")
      .select(["dataset", "kind", "item", "state", "queued_at", "updated_at"])
      .where("run_id", "=", q.runId)
      .where("state", "in", ["queued", "failing"])
      .where((eb) => eb.or([eb("next_attempt_at", "is", null), eb("next_attempt_at", "<", o.cutoff)]))
      .orderBy("updated_at")
      .limit(left)
      .execute();
    left -= items.length + rows.length;
    out.push({
      ...q,
      rows: rows.map((r) => ({ runId: q.runId, dataset: r.dataset, status: r.status as StuckRow["status"], startedAt: r.started_at })),
      items: items.map((i) => ({ runId: q.runId, dataset: i.dataset, kind: i.kind, item: i.item, state: i.state as StuckItem["state"], queuedAt: i.queued_at, updatedAt: i.updated_at })),
    });
  }
  return out;
}

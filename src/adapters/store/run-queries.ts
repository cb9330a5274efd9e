/**
 * The read side of runs: what `runs`, `status`, `retry`, `--wait` and serve's /api/runs ask the store.
 * Written once for SQLite and PostgreSQL (Kysely), read-only, and bounded: counts come grouped, lists
 * come with a limit, so a run of 600,000 items is still a few small answers.
 */
import { PostgresAdapter, sql, type Kysely } from "kysely";
import type { Database, ItemState, SyncRunsTable } from "./schema.js";

/** A sync_runs row as the queries return it (counters are numbers on both dialects). */
export type RunRow = { [K in keyof SyncRunsTable]: SyncRunsTable[K] extends import("kysely").Generated<infer T> ? T : SyncRunsTable[K] };

/** How many items of one run, dataset and kind are in one state, and what the failing ones say. */
export interface ItemGroup {
  run_id: string;
  dataset: string;
  kind: string;
  state: ItemState;
  n: number;
  /** The highest attempt among them (failing: "attempt n of m"). */
  max_attempt: number | null;
  max_attempts: number | null;
  /** The earliest next attempt among them (failing). */
  next_attempt_at: string | null;
  /** The latest change among them. */
  last_update: string | null;
}

export interface ItemRow {
  dataset: string;
  kind: string;
  item: string;
  bdns: string | null;
  document_id: string | null;
  state: ItemState;
  attempt: number;
  max_attempts: number | null;
  failure: string | null;
  reason: string | null;
  next_attempt_at: string | null;
  updated_at: string;
}

/** SQLite's limit on bound parameters is far above this; it keeps IN lists small on both. */
const IN_CHUNK = 500;
const STATES: readonly ItemState[] = ["queued", "failing", "stored", "unchanged", "failed"];

/**
 * A read never waits for a lock longer than this (PostgreSQL: an ACCESS EXCLUSIVE lock of a
 * migration or a VACUUM FULL on the run tables would otherwise hold `runs`, `status`, `--wait` and
 * /api/runs for as long as it lasts): it fails as "the store is busy" (storeTrouble), which
 * the CLI reports and `--wait` retries, and /api/runs answers 503. No read runs longer than
 * READ_STATEMENT_TIMEOUT_MS either. SQLite's readers do not wait for writers (WAL); a file locked
 * otherwise fails after its busy_timeout (5 s), as busy too.
 */
export const READ_LOCK_TIMEOUT_MS = 2_000;
export const READ_STATEMENT_TIMEOUT_MS = 15_000;

export class RunQueries {
  constructor(protected readonly db: Kysely<Database>) {}

  /**
   * Several reads that must agree: a run's rows (its counters) and its items, read apart, could
   * straddle a function's write and say "done" next to a counter one short. One read-only transaction
   * (PostgreSQL: repeatable read; SQLite: a deferred transaction reads one WAL snapshot) sees the
   * store as of one moment. Its reads are kysely's only: on SQLite they never yield to I/O, so no
   * other write on serve's connection can land inside it.
   */
  snapshot<T>(read: (q: RunQueries) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return read(this); // already in one (a snapshot's own reads)
    return this.db
      .transaction()
      .setIsolationLevel("repeatable read")
      .setAccessMode("read only")
      .execute(async (tx) => {
        if (tx.getExecutor().adapter instanceof PostgresAdapter) {
          await sql.raw(`SET LOCAL lock_timeout = ${READ_LOCK_TIMEOUT_MS}; SET LOCAL statement_timeout = ${READ_STATEMENT_TIMEOUT_MS}`).execute(tx);
        }
        return read(this.on(tx));
      });
  }

  /** The same queries over another executor (the snapshot's transaction). */
  protected on(db: Kysely<Database>): RunQueries {
    return new RunQueries(db);
  }

  /** Every dataset's row of these runs. */
  async rows(runIds: readonly string[]): Promise<RunRow[]> {
    const out: RunRow[] = [];
    for (const ids of chunks(runIds)) {
      out.push(...((await this.db.selectFrom("sync_runs").selectAll().where("run_id", "in", ids).orderBy("run_id").orderBy("dataset").execute()) as RunRow[]));
    }
    return out;
  }

  /** The items of these runs, counted by dataset, kind and state. */
  async itemGroups(runIds: readonly string[]): Promise<ItemGroup[]> {
    const out: ItemGroup[] = [];
    for (const ids of chunks(runIds)) {
      const rows = await this.db
        .selectFrom("run_items")
        .select((eb) => [
          "run_id",
          "dataset",
          "kind",
          "state",
          eb.fn.countAll<number>().as("n"),
          eb.fn.max("attempt").as("max_attempt"),
          eb.fn.max("max_attempts").as("max_attempts"),
          eb.fn.min("next_attempt_at").as("next_attempt_at"),
          eb.fn.max("updated_at").as("last_update"),
        ])
        .where("run_id", "in", ids)
        .groupBy(["run_id", "dataset", "kind", "state"])
        .execute();
      out.push(...rows.map((r) => ({ ...r, n: Number(r.n), max_attempt: nullableNumber(r.max_attempt), max_attempts: nullableNumber(r.max_attempts) }) as ItemGroup));
    }
    return out;
  }

  /** Items of one run in one state, in a stable order, at most `limit`. */
  async items(runId: string, state: ItemState, limit: number): Promise<ItemRow[]> {
    if (limit <= 0) return [];
    let q = this.db
      .selectFrom("run_items")
      .select(["dataset", "kind", "item", "bdns", "document_id", "state", "attempt", "max_attempts", "failure", "reason", "next_attempt_at", "updated_at"])
      .where("run_id", "=", runId)
      .where("state", "=", state);
    // Failing: the next one due first. Failed: grouped the way an operator reads them.
    q = state === "failing" ? q.orderBy("next_attempt_at").orderBy("dataset").orderBy("kind").orderBy("item") : q.orderBy("dataset").orderBy("kind").orderBy("item");
    return (await q.limit(limit).execute()).map((r) => ({ ...r, attempt: Number(r.attempt), max_attempts: nullableNumber(r.max_attempts) })) as ItemRow[];
  }

  /** The scopes whose removal this run held back, by dataset and unit. */
  async removalHolds(runId: string) {
    return this.db.selectFrom("removal_holds").selectAll().where("run_id", "=", runId).orderBy("dataset").orderBy("unit").execute();
  }

  /** The newest runs (by when their first row started), optionally only those with a row for `dataset`. */
  async recentRunIds(o: { limit: number; dataset?: string | undefined }): Promise<string[]> {
    let q = this.db.selectFrom("sync_runs").select((eb) => ["run_id", eb.fn.min("started_at").as("started")]);
    if (o.dataset) q = q.where("run_id", "in", this.db.selectFrom("sync_runs").select("run_id").where("dataset", "=", o.dataset));
    const rows = await q.groupBy("run_id").orderBy("started", "desc").orderBy("run_id", "desc").limit(o.limit).execute();
    return rows.map((r) => r.run_id);
  }

  /** The runs recorded as retrying these (sync_runs.retry_of), oldest first. */
  async retriesOf(runIds: readonly string[]): Promise<Array<{ run_id: string; retry_of: string }>> {
    const out: Array<{ run_id: string; retry_of: string }> = [];
    for (const ids of chunks(runIds)) {
      const rows = await this.db
        .selectFrom("sync_runs")
        .select((eb) => ["run_id", "retry_of", eb.fn.min("started_at").as("started")])
        .where("retry_of", "in", ids)
        .groupBy(["run_id", "retry_of"])
        .orderBy("started")
        .execute();
      out.push(...rows.map((r) => ({ run_id: r.run_id, retry_of: r.retry_of! })));
    }
    return out;
  }

  /**
   * When anything last happened in the store: the latest item change or run start. `--wait` uses it to
   * tell "the functions are busy with other work" from "no function runs at all". One indexed lookup
   * per state (run_items_failing is (state, updated_at)), never a scan.
   */
  async lastActivity(): Promise<string | null> {
    if (!this.db.isTransaction) return this.snapshot((q) => q.lastActivity()); // bounded like every read
    const times: Array<string | null> = [];
    for (const state of STATES) {
      const r = await this.db.selectFrom("run_items").select((eb) => eb.fn.max("updated_at").as("t")).where("state", "=", state).executeTakeFirst();
      times.push(r?.t ?? null);
    }
    const started = await this.db.selectFrom("sync_runs").select((eb) => eb.fn.max("started_at").as("t")).executeTakeFirst();
    times.push(started?.t ?? null);
    return times.filter((t): t is string => Boolean(t)).sort().at(-1) ?? null;
  }

  /** A query that touches the run tables: a store without them (not migrated) fails here, with a clear cause. */
  async check(): Promise<void> {
    if (!this.db.isTransaction) return this.snapshot((q) => q.check());
    await sql`SELECT run_id, retry_of FROM sync_runs WHERE 1 = 0`.execute(this.db);
    await sql`SELECT run_id, state, next_attempt_at FROM run_items WHERE 1 = 0`.execute(this.db);
  }
}

function* chunks<T>(values: readonly T[]): Generator<T[]> {
  for (let i = 0; i < values.length; i += IN_CHUNK) yield values.slice(i, i + IN_CHUNK);
}

function nullableNumber(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

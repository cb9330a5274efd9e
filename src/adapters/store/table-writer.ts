/**
 * What both page writers share (sqlite-page-writer.ts, postgres-page-writer.ts): the types of a page
 * write, the removal of what a completed fetch no longer returned, and the plan of a page — which rows
 * are written how, decided from what the table held before (one lookup per page, which the totals
 * need anyway):
 *
 *   insert   not in the table: a plain insert
 *   rewrite  its content changed (another hash), it comes back after removal, or a column an index
 *            reads differs (a column's reading improved since it was stored): every column
 *   touch    same content, same indexed columns: only what noise may change (raw_json, the columns no
 *            index reads: the latest spelling of a name) and last_seen_at / last_run_id — no index is
 *            written, which is most of what a row costs (a daily re-sync is nearly all touches)
 */
import { CompiledQuery, sql, type Kysely, type RawBuilder } from "kysely";
import type { ColumnValue, TableDeclaration } from "../../datasets/types.js";
import { addDays } from "../../contracts/window.js";
import { markRemovedRows, type RemovalDecision, type RemovalOutcome, type RemovalScope, type RemovalWrite } from "./removal-marking.js";
import type { Database } from "./schema.js";
import { TotalsDelta, TotalsKeeper, totalsStatements, yearSql } from "./totals.js";
import type { PreparedRow, Previous } from "./page-rows.js";

export type { PreparedRow, Previous };

export interface PageCounts {
  /** Rows received, repeats included. */
  fetched: number;
  new: number;
  changed: number;
  unchanged: number;
  /** Seen already since `since` (offset paging over days still receiving rows repeats rows). */
  repeated: number;
}

export interface PageWrite {
  runId: string;
  dataset: string;
  now: string;
  /** When the fetch these rows belong to began: a row seen at or after it is a repeat. */
  since: string;
}

export const STANDARD_COLUMNS = ["raw_json", "content_hash", "first_seen_at", "last_seen_at", "last_changed_at", "removed_at", "last_run_id"] as const;

/** The page's unique rows by how each is written, and its counters. */
export interface PagePlan {
  insert: PreparedRow[];
  rewrite: PreparedRow[];
  touch: PreparedRow[];
  counts: PageCounts;
}

export abstract class TableWriter {
  readonly name: string;
  readonly columns: string[];
  protected readonly keyIndex: number[];

  /** The totals the table keeps (concesiones: per beneficiary and per convocatoria), if any. */
  protected readonly totals: TotalsKeeper | undefined;
  /** Where the row's registration date is (-1: none): PostgreSQL's writers lock by it. */
  protected readonly registrationAt: number;
  /**
   * Declared columns (not the key) that an index of the table reads — as a key, an included column, an
   * expression or a partial index's condition — known once the writer has asked the database
   * (`indexedFrom`). A touch writes the others.
   */
  protected indexed: string[] = [];
  protected touched: string[] = [];

  constructor(
    protected readonly db: Kysely<Database>,
    readonly table: TableDeclaration<any>,
    protected readonly dialect: "sqlite" | "postgres",
  ) {
    this.name = table.name;
    this.columns = Object.keys(table.columns);
    this.keyIndex = table.key.map((k) => {
      const i = this.columns.indexOf(k);
      if (i < 0) throw new Error(`table ${table.name}: key column ${k} is not a declared column`);
      return i;
    });
    this.totals = table.totals?.length ? new TotalsKeeper(table.totals, this.columns) : undefined;
    this.registrationAt = table.registrationDate ? this.columns.indexOf(table.registrationDate) : -1;
  }

  /** Store one page; the run's counters move in the same transaction. */
  abstract writePage(rows: readonly PreparedRow[], o: PageWrite): Promise<PageCounts>;

  /** From the text of the table's index definitions: which declared columns an index reads (a word match: never too few). */
  protected indexedFrom(definitions: readonly string[]): void {
    const words = new Set(definitions.flatMap((d) => d.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? []));
    const nonKey = this.columns.filter((c) => !this.table.key.includes(c));
    this.indexed = nonKey.filter((c) => words.has(c.toLowerCase()));
    this.touched = nonKey.filter((c) => !this.indexed.includes(c));
  }

  /** The lookup's extra columns: the totals' (t0, …) and the indexed ones (i0, …). */
  protected lookupColumns(prefix = ""): string {
    return (this.totals?.select(prefix) ?? "") + this.indexed.map((c, i) => `, ${prefix}${c} AS i${i}`).join("");
  }

  /** new / changed / unchanged / repeated, and insert / rewrite / touch, for each unique row of a page. */
  protected plan(page: { unique: PreparedRow[]; dropped: number }, previous: (r: PreparedRow) => Previous | undefined, since: string): PagePlan & { unique: PreparedRow[] } {
    const { unique, dropped } = page;
    const counts: PageCounts = { fetched: unique.length + dropped, new: 0, changed: 0, unchanged: 0, repeated: dropped };
    const out: PagePlan & { unique: PreparedRow[] } = { insert: [], rewrite: [], touch: [], counts, unique };
    const indexedAt = this.indexed.map((c) => this.columns.indexOf(c));
    for (const r of unique) {
      const prev = previous(r);
      if (!prev) {
        counts.new++;
        out.insert.push(r);
        continue;
      }
      const same = prev.removed === null && prev.hash === r.hash;
      counts[prev.seen >= since ? "repeated" : same ? "unchanged" : "changed"]++; // back after removal counts as a change
      (same && indexedAt.every((at, i) => sameValue(prev[`i${i}`] ?? null, r.values[at] ?? null)) ? out.touch : out.rewrite).push(r);
    }
    return out;
  }

  /**
   * Mark removed what the completed fetch of `scope` did not return (not seen since it began), as the
   * removal rule decides (removal-marking.ts). A removed row's `last_changed_at` moves to the removal:
   * the feed of what changed since a time holds removals too. Its totals (if the table has any) go in
   * the same transaction.
   */
  async markRemoved(scope: RemovalScope, o: RemovalWrite, decide?: (c: { live: number; missing: number }) => RemovalDecision): Promise<RemovalOutcome> {
    const totals = this.totals;
    const subtractTotals = totals
      ? async (tx: Kysely<Database>, marked: RawBuilder<unknown>) => {
          // The page writers of these dates wait (as they wait for each other): what is summed here is what is marked.
          if (this.dialect === "postgres" && scope.dateRange) for (const day of daysOf(scope.dateRange)) await sql`SELECT pg_advisory_xact_lock(hashtext(${`${this.name}:${day}`}))`.execute(tx);
          for (const decl of totals.decls) {
            const sums = sql.join(decl.sums.map((c, i) => sql`coalesce(sum(${sql.ref(c)}), 0) AS ${sql.ref(`s${i}`)}`));
            const rows = await sql<Record<string, ColumnValue>>`SELECT ${sql.ref(decl.by)} AS by, ${sql.raw(yearSql(this.dialect, decl.date))} AS year, count(*) AS n, ${sums}
              FROM ${sql.table(this.name)} WHERE ${marked} AND ${sql.ref(decl.by)} IS NOT NULL AND ${sql.ref(decl.date)} IS NOT NULL GROUP BY 1, 2`.execute(tx);
            const delta = new TotalsDelta(decl);
            for (const r of rows.rows) delta.subtractSummed(r.by!, Number(r.year), Number(r.n), decl.sums.map((_, i) => Number(r[`s${i}`])));
            for (const st of totalsStatements(delta, this.dialect)) await tx.executeQuery(CompiledQuery.raw(st.text, st.params));
          }
        }
      : undefined;
    return markRemovedRows(this.db, { table: this.name, seen: "last_seen_at", changed: "last_changed_at" }, scope, o, decide, subtractTotals);
  }

  /** Of these keys (single-column keys), the ones whose `column` is still null (e.g. no detail yet). */
  async keysWithNull(column: string, keys: readonly ColumnValue[]): Promise<ColumnValue[]> {
    if (this.table.key.length !== 1) throw new Error(`table ${this.name}: keysWithNull needs a one-column key`);
    const k = sql.ref(this.table.key[0]!);
    const found: ColumnValue[] = [];
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const r = await sql<{ k: ColumnValue }>`SELECT ${k} AS k FROM ${sql.table(this.name)} WHERE ${k} IN (${sql.join(chunk)}) AND ${sql.ref(column)} IS NULL`.execute(this.db);
      found.push(...r.rows.map((x) => x.k));
    }
    return found;
  }

  /** The key of a prepared row, as one string (within-page de-duplication). */
  protected keyOf(values: readonly ColumnValue[]): string {
    return this.keyIndex.length === 1 ? String(values[this.keyIndex[0]!]) : JSON.stringify(this.keyIndex.map((i) => values[i]));
  }

  /** A page can hold the same row twice: keep the last (latest) of each key, and say how many went. */
  protected dedupe(rows: readonly PreparedRow[]): { unique: PreparedRow[]; dropped: number } {
    const byKey = new Map<string, PreparedRow>();
    for (const r of rows) byKey.set(this.keyOf(r.values), r);
    return { unique: byKey.size === rows.length ? [...rows] : [...byKey.values()], dropped: rows.length - byKey.size };
  }
}

/** `SET` of a rewrite: every column, last_changed_at moving only with the content (or a comeback). */
export function rewriteAssignments(table: string, columns: readonly string[], key: readonly string[], from = "excluded"): string {
  const set = columns.filter((c) => !key.includes(c)).map((c) => `${c} = ${from}.${c}`);
  set.push(
    `raw_json = ${from}.raw_json`,
    `last_changed_at = CASE WHEN ${table}.content_hash = ${from}.content_hash AND ${table}.removed_at IS NULL THEN ${table}.last_changed_at ELSE ${from}.last_changed_at END`,
    `content_hash = ${from}.content_hash`,
    `last_seen_at = ${from}.last_seen_at`,
    "removed_at = NULL",
    `last_run_id = ${from}.last_run_id`,
  );
  return set.join(", ");
}

/** Stored and prepared values compared as stored (PostgreSQL's numeric and bigint come back numbers, a date a string). */
function sameValue(a: ColumnValue, b: ColumnValue): boolean {
  return a === b || (a !== null && b !== null && typeof a !== typeof b && Number(a) === Number(b));
}

/** Every day from `from` to `to` (inclusive), `YYYY-MM-DD`, in order. */
function daysOf(range: { from: string; to: string }): string[] {
  const days: string[] = [];
  for (let d = range.from; d <= range.to && days.length < 400; d = addDays(d, 1)) days.push(d);
  return days;
}

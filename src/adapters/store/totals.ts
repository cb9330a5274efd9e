/**
 * A totals table kept in step with its award table (beneficiarios_totales over concesiones): per
 * beneficiary and year, the count and sums of the rows not removed. Every write moves it by the
 * difference it makes — what a row contributed before (if it was live) goes, what it contributes now
 * comes — in the transaction that writes the rows, so the totals never disagree with the rows they sum.
 * A page costs one statement per ~1,000 (beneficiary, year) pairs it touches; a re-pass that changes
 * nothing writes nothing here.
 *
 * Concurrent writers (PostgreSQL) add and subtract, which commute; what must not happen is two
 * transactions both counting the same row as new. The page writer takes an advisory lock per
 * registration date of its rows first (pages of one window piece never share a row with pages of
 * another piece unless their dates overlap), in date order.
 */
import type { ColumnValue, TotalsDeclaration } from "../../datasets/types.js";
import type { PreparedRow, Previous } from "./page-rows.js";

type Dialect = "sqlite" | "postgres";

interface Entry {
  by: ColumnValue;
  year: number;
  count: number;
  sums: number[];
  /** The carried columns of the last row added (nif, beneficiario): the latest spelling. */
  carry: ColumnValue[] | null;
}

/** Values of a row that the totals read, by position in the declaration. */
export interface Contribution {
  by: ColumnValue;
  date: ColumnValue;
  sums: ColumnValue[];
  carry?: ColumnValue[];
}

function amount(v: ColumnValue): number {
  return typeof v === "number" ? v : v === null ? 0 : Number(v) || 0;
}

/**
 * A sum of amounts as written: to 1/10,000 (amounts are euros with cents), without the binary
 * fractions adding doubles leaves (0.1 + 0.2): PostgreSQL's numeric totals stay exact.
 */
function cents(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

/** The year a date (`YYYY-MM-DD`) counts in, or null. */
function yearOf(date: ColumnValue): number | null {
  if (typeof date !== "string" || !/^\d{4}-/.test(date)) return null;
  return Number(date.slice(0, 4));
}

/** The differences one write makes to the totals, summed per (beneficiary, year). */
export class TotalsDelta {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly decl: TotalsDeclaration) {}

  /** A live row's contribution goes (it changes, or it is removed). */
  subtract(c: Contribution): void {
    this.apply(c.by, yearOf(c.date), -1, c.sums.map((v) => -amount(v)), null);
  }

  /** A row's contribution comes (new, changed, or back after removal). */
  add(c: Contribution): void {
    this.apply(c.by, yearOf(c.date), 1, c.sums.map(amount), c.carry ?? null);
  }

  /** Rows about to be removed, already summed per pair by the database. */
  subtractSummed(by: ColumnValue, year: number, count: number, sums: readonly number[]): void {
    this.apply(by, year, -count, sums.map((v) => -v), null);
  }

  private apply(by: ColumnValue, year: number | null, count: number, sums: readonly number[], carry: ColumnValue[] | null): void {
    if (by === null || by === undefined || year === null) return;
    const k = `${by}\u0000${year}`;
    let e = this.entries.get(k);
    if (!e) this.entries.set(k, (e = { by, year, count: 0, sums: this.decl.sums.map(() => 0), carry: null }));
    e.count += count;
    sums.forEach((v, i) => (e.sums[i]! += v));
    if (carry) e.carry = carry;
  }

  /** Pairs whose totals move (a count or a sum, or a new spelling of a row added), in key order. */
  changes(): Entry[] {
    return [...this.entries.values()]
      .map((e) => ({ ...e, sums: e.sums.map(cents) }))
      .filter((e) => e.count !== 0 || e.sums.some((s) => s !== 0) || e.carry !== null)
      .sort((a, b) => (a.by === b.by ? a.year - b.year : Number(a.by) - Number(b.by)));
  }

  get size(): number {
    return this.entries.size;
  }
}

export interface Statement {
  text: string;
  params: unknown[];
}

const ENTRIES_PER_STATEMENT = 1000;

/**
 * The statements that apply a delta: an upsert that adds, then the removal of pairs left with no
 * award. SQLite: by chunks of `?` placeholders (its statements are prepared once and reused);
 * PostgreSQL: one statement each, from arrays.
 */
export function totalsStatements(delta: TotalsDelta, dialect: Dialect): Statement[] {
  const d = delta.decl;
  const changes = delta.changes();
  const out: Statement[] = [];
  const columns = [d.by, "ejercicio", ...d.carry, d.count, ...d.sums];
  const t = d.table;
  const set = [
    `${d.count} = ${t}.${d.count} + excluded.${d.count}`,
    ...d.sums.map((s) => `${s} = ${t}.${s} + excluded.${s}`),
    ...d.carry.map((c) => `${c} = coalesce(excluded.${c}, ${t}.${c})`),
  ].join(", ");
  const emptied = changes.filter((e) => e.count < 0);
  if (dialect === "postgres") {
    // One statement a delta, one array per column: PostgreSQL plans it once, where 1,000-row VALUES
    // lists of 7,000 parameters were parsed and planned ten times a page.
    if (changes.length > 0) {
      const types = ["bigint", "integer", ...d.carry.map(() => "text"), "integer", ...d.sums.map(() => "numeric")];
      const arrays = types.map((ty, i) => `$${i + 1}::${ty}[]`).join(", ");
      const params = [changes.map((e) => e.by), changes.map((e) => e.year), ...d.carry.map((_, j) => changes.map((e) => e.carry?.[j] ?? null)), changes.map((e) => e.count), ...d.sums.map((_, j) => changes.map((e) => e.sums[j]))];
      out.push({ text: `INSERT INTO ${t} (${columns.join(", ")}) SELECT * FROM unnest(${arrays}) ON CONFLICT (${d.by}, ejercicio) DO UPDATE SET ${set}`, params });
    }
    if (emptied.length > 0) {
      out.push({ text: `DELETE FROM ${t} WHERE ${d.count} <= 0 AND (${d.by}, ejercicio) IN (SELECT * FROM unnest($1::bigint[], $2::integer[]))`, params: [emptied.map((e) => e.by), emptied.map((e) => e.year)] });
    }
    return out;
  }
  for (let i = 0; i < changes.length; i += ENTRIES_PER_STATEMENT) {
    const chunk = changes.slice(i, i + ENTRIES_PER_STATEMENT);
    const params: unknown[] = [];
    const tuples = chunk.map((e) => {
      const values = [e.by, e.year, ...(e.carry ?? d.carry.map(() => null)), e.count, ...e.sums];
      params.push(...values);
      return `(${values.map(() => "?").join(", ")})`;
    });
    out.push({ text: `INSERT INTO ${t} (${columns.join(", ")}) VALUES ${tuples.join(", ")} ON CONFLICT (${d.by}, ejercicio) DO UPDATE SET ${set}`, params });
  }
  for (let i = 0; i < emptied.length; i += ENTRIES_PER_STATEMENT) {
    const chunk = emptied.slice(i, i + ENTRIES_PER_STATEMENT);
    const params = chunk.flatMap((e) => [e.by, e.year]);
    out.push({ text: `DELETE FROM ${t} WHERE ${d.count} <= 0 AND (${d.by}, ejercicio) IN (VALUES ${chunk.map(() => "(?, ?)").join(", ")})`, params });
  }
  return out;
}

/** The year of a date column in SQL. */
export function yearSql(dialect: Dialect, column: string): string {
  return dialect === "postgres" ? `extract(year FROM ${column})::integer` : `CAST(substr(${column}, 1, 4) AS INTEGER)`;
}

/** Every pair's totals from the rows themselves (the migration that creates the table; a repair; the bench). */
export function rebuildTotalsSql(decl: TotalsDeclaration, source: string, dialect: Dialect): string {
  const year = yearSql(dialect, decl.date);
  const columns = [decl.by, "ejercicio", ...decl.carry, decl.count, ...decl.sums];
  const values = [decl.by, year, ...decl.carry.map((c) => `max(${c})`), "count(*)", ...decl.sums.map((s) => `coalesce(sum(${s}), 0)`)];
  return `INSERT INTO ${decl.table} (${columns.join(", ")})
    SELECT ${values.join(", ")}
    FROM ${source} WHERE removed_at IS NULL AND ${decl.by} IS NOT NULL AND ${decl.date} IS NOT NULL
    GROUP BY ${decl.by}, ${year}`;
}

/**
 * The totals a table keeps (TableDeclaration.totals: one or more), as positions in its rows: the columns
 * the page writers read back from the rows they replace (`t0`, `t1`, … in their lookup), and the
 * statements a page's difference makes.
 */
export class TotalsKeeper {
  /** The declared columns any of the totals reads (by, date, summed ones), once each. */
  readonly columns: string[];
  private readonly at: number[];
  private readonly per: Array<{ decl: TotalsDeclaration; read: number[]; carryAt: number[] }>;

  constructor(
    readonly decls: readonly TotalsDeclaration[],
    columns: readonly string[],
  ) {
    const pos = (c: string, table: string) => {
      const i = columns.indexOf(c);
      if (i < 0) throw new Error(`totals ${table}: ${c} is not a declared column`);
      return i;
    };
    this.columns = [...new Set(decls.flatMap((d) => [d.by, d.date, ...d.sums]))];
    this.at = this.columns.map((c) => pos(c, decls[0]!.table));
    this.per = decls.map((decl) => ({ decl, read: [decl.by, decl.date, ...decl.sums].map((c) => this.columns.indexOf(c)), carryAt: decl.carry.map((c) => pos(c, decl.table)) }));
  }

  /** `, by AS t0, date AS t1, …`: the lookup's extra columns. */
  select(prefix = ""): string {
    return this.columns.map((c, i) => `, ${prefix}${c} AS t${i}`).join("");
  }

  /** What a page does to every totals table: each row's old contribution (if it was live) out, its new one in. */
  statements(unique: readonly PreparedRow[], previous: (r: PreparedRow) => Previous | undefined, dialect: Dialect): Statement[] {
    const deltas = this.per.map((p) => ({ ...p, delta: new TotalsDelta(p.decl) }));
    for (const r of unique) {
      const prev = previous(r);
      const now = this.at.map((i) => r.values[i]!);
      const before = prev && prev.removed === null ? this.columns.map((_, i) => prev[`t${i}`] ?? null) : undefined;
      if (before && before.every((v, i) => sameValue(v, now[i]!))) continue; // contributes as before
      for (const { read, carryAt, delta } of deltas) {
        if (before) delta.subtract({ by: before[read[0]!]!, date: before[read[1]!]!, sums: read.slice(2).map((i) => before[i]!) });
        delta.add({ by: now[read[0]!]!, date: now[read[1]!]!, sums: read.slice(2).map((i) => now[i]!), carry: carryAt.map((i) => r.values[i]!) });
      }
    }
    return deltas.flatMap((d) => totalsStatements(d.delta, dialect));
  }

  /** The registration dates a page's rows carry, in order: what PostgreSQL's writers lock. */
  lockKeys(unique: readonly PreparedRow[], dateAt: number): string[] {
    return [...new Set(unique.map((r) => String(r.values[dateAt] ?? "")))].sort();
  }
}

/** Stored and prepared values compared as the totals see them (PostgreSQL's numeric comes back a number, a date a string). */
function sameValue(a: ColumnValue, b: ColumnValue): boolean {
  return a === b || (a !== null && b !== null && typeof a !== typeof b && Number(a) === Number(b));
}

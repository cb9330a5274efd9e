/**
 * A page of a dataset table into SQLite: one synchronous IMMEDIATE transaction (no other query can
 * interleave: the event loop is ours until it commits), prepared statements reused across pages.
 * The page's keys are looked up first (what the rows were: classification, totals, the plan of
 * table-writer.ts); then new rows go in through plain multi-row inserts, changed ones are rewritten
 * through the upsert, and the rest — on a re-sync nearly all — are touched by their key without
 * writing any index.
 */
import type BetterSqlite3 from "better-sqlite3";
import type { Kysely } from "kysely";
import type { ColumnValue, TableDeclaration } from "../../datasets/types.js";
import { jsonbSafe } from "./json.js";
import type { Database } from "./schema.js";
import type { Statement } from "./totals.js";
import { rewriteAssignments, STANDARD_COLUMNS, TableWriter, type PageCounts, type PageWrite, type PreparedRow, type Previous } from "./table-writer.js";

/** Rows per statement: 30 columns × 100 rows stays far inside SQLite's 32,766 parameters. */
const ROWS_PER_STATEMENT = 100;

export class SqlitePageWriter extends TableWriter {
  private readonly write: (rows: readonly PreparedRow[], o: PageWrite) => PageCounts;

  constructor(db: Kysely<Database>, table: TableDeclaration<any>, sqlite: BetterSqlite3.Database) {
    super(db, table, "sqlite");
    const t = table.name;
    const all = [...this.columns, ...STANDARD_COLUMNS];
    const tuple = `(${all.map(() => "?").join(", ")})`;
    const key = table.key;
    const single = key.length === 1 ? key[0]! : undefined;
    const indexes = sqlite.prepare<[string], { sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL").all(t);
    this.indexedFrom(indexes.map((i) => i.sql));
    const extra = this.lookupColumns();
    // Prepared once per batch size: a full batch of rows per statement (the per-call cost is what a
    // 10,000-row page would otherwise pay 10,000 times), and the remainder's size as it comes.
    const bySize = (text: (n: number) => string) => {
      const prepared = new Map<number, BetterSqlite3.Statement>();
      return (n: number) => {
        let st = prepared.get(n);
        if (!st) prepared.set(n, (st = sqlite.prepare(text(n))));
        return st;
      };
    };
    const tuples = (n: number) => Array(n).fill(tuple).join(", ");
    const insert = bySize((n) => `INSERT INTO ${t} (${all.join(", ")}) VALUES ${tuples(n)}`);
    const rewrite = bySize((n) => `INSERT INTO ${t} (${all.join(", ")}) VALUES ${tuples(n)} ON CONFLICT (${key.join(", ")}) DO UPDATE SET ${rewriteAssignments(t, this.columns, key)}`);
    const touchAt = this.touched.map((c) => this.columns.indexOf(c));
    const touch = sqlite.prepare(`UPDATE ${t} SET ${[...this.touched, "raw_json", "last_seen_at", "last_run_id"].map((c) => `${c} = ?`).join(", ")} WHERE ${key.map((k) => `${k} = ?`).join(" AND ")}`);
    // What the table held: by batches of keys for a one-column key, row by row for a composite one.
    const lookupMany = bySize((n) => `SELECT ${single} AS k, content_hash AS hash, last_seen_at AS seen, removed_at AS removed${extra} FROM ${t} WHERE ${single} IN (${Array(n).fill("?").join(", ")})`);
    const lookupOne = sqlite.prepare<unknown[], Previous>(`SELECT content_hash AS hash, last_seen_at AS seen, removed_at AS removed${extra} FROM ${t} WHERE ${key.map((k) => `${k} = ?`).join(" AND ")}`);
    const counters = sqlite.prepare("UPDATE sync_runs SET fetched = fetched + ?, new = new + ?, changed = changed + ?, unchanged = unchanged + ? WHERE run_id = ? AND dataset = ?");
    const statements = new Map<string, BetterSqlite3.Statement>();
    const run = (st: Statement) => {
      let prepared = statements.get(st.text);
      if (!prepared) {
        if (statements.size > 64) statements.clear(); // chunk sizes vary: keep the common ones
        statements.set(st.text, (prepared = sqlite.prepare(st.text)));
      }
      prepared.run(...st.params);
    };
    const totals = this.totals;
    const inBatches = (rows: readonly PreparedRow[], statement: (n: number) => BetterSqlite3.Statement, o: PageWrite) => {
      for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
        const batch = rows.slice(i, i + ROWS_PER_STATEMENT);
        const params: unknown[] = [];
        for (const r of batch) params.push(...r.values, jsonbSafe(r.raw), r.hash, o.now, o.now, o.now, null, o.runId);
        statement(batch.length).run(...params);
      }
    };

    // IMMEDIATE: the page's lookups and writes see one state of the table, even with another process
    // writing the same file (a deferred transaction would read, then fail to write, on a stale snapshot).
    const write = sqlite.transaction((rows: readonly PreparedRow[], o: PageWrite): PageCounts => {
      const previous = new Map<string, Previous>();
      const page = this.dedupe(rows);
      const { unique } = page;
      if (single !== undefined) {
        const k = this.keyIndex[0]!;
        for (let i = 0; i < unique.length; i += ROWS_PER_STATEMENT) {
          const keys = unique.slice(i, i + ROWS_PER_STATEMENT).map((r) => r.values[k]);
          for (const p of lookupMany(keys.length).all(...keys) as Array<Previous & { k: ColumnValue }>) previous.set(String(p.k), p);
        }
      } else {
        for (const r of unique) {
          const p = lookupOne.get(...this.keyIndex.map((j) => r.values[j]));
          if (p) previous.set(this.keyOf(r.values), p);
        }
      }
      const before = (r: PreparedRow) => previous.get(this.keyOf(r.values));
      const plan = this.plan(page, before, o.since);
      inBatches(plan.insert, insert, o);
      inBatches(plan.rewrite, rewrite, o);
      for (const r of plan.touch) touch.run(...touchAt.map((i) => r.values[i]), jsonbSafe(r.raw), o.now, o.runId, ...this.keyIndex.map((i) => r.values[i]));
      if (totals) for (const st of totals.statements(plan.unique, before, "sqlite")) run(st);
      const c = plan.counts;
      counters.run(c.fetched, c.new, c.changed, c.unchanged, o.runId, o.dataset);
      return c;
    });
    this.write = write.immediate;
  }

  async writePage(rows: readonly PreparedRow[], o: PageWrite): Promise<PageCounts> {
    return this.write(rows, o);
  }
}

/**
 * A page of a dataset table into PostgreSQL, in one transaction on one pooled connection:
 *
 *   1. the page's keys looked up (one array parameter, unnested): what the rows were — classification,
 *      totals, the plan of table-writer.ts;
 *   2. the page streamed by COPY into a temporary staging table of this connection (pg-copy-streams),
 *      each row marked with how it is written;
 *   3. one INSERT … SELECT … ON CONFLICT for the new and changed rows, one UPDATE … FROM for the rows
 *      only touched (raw_json, the columns no index reads, last_seen_at, last_run_id);
 *   4. the totals and the run's counters; COMMIT empties the staging table (ON COMMIT DELETE ROWS).
 *
 * COPY rather than one array parameter per column: the client no longer builds (and the server no
 * longer parses) a 10 MB array literal in which every quote of every raw JSON is escaped — COPY's text
 * format escapes only backslashes and control characters, rare in BDNS's JSON.
 */
import type { Kysely } from "kysely";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { ColumnType, ColumnValue, TableDeclaration } from "../../datasets/types.js";
import { jsonbSafe } from "./json.js";
import type { Database } from "./schema.js";
import { rewriteAssignments, STANDARD_COLUMNS, TableWriter, type PageCounts, type PageWrite, type PreparedRow, type Previous } from "./table-writer.js";

/** PostgreSQL's type for each declared column type, as the staging table and the key arrays have them. */
const PG_TYPES: Record<ColumnType, string> = { text: "text", integer: "integer", bigint: "bigint", numeric: "numeric", date: "date" };

/** How a staged row is written: i(nsert), r(ewrite) — both through the upsert — or t(ouch). */
type Kind = "i" | "r" | "t";

/** Rows per chunk written to the COPY stream. */
const COPY_CHUNK = 1000;

export class PostgresPageWriter extends TableWriter {
  private readonly stage: string;
  private readonly prepared = new WeakSet<pg.PoolClient>();
  private sqlText?: { lookup: string; upsert: string; touch: string; copy: string; create: string };

  constructor(
    db: Kysely<Database>,
    table: TableDeclaration<any>,
    private readonly pool: pg.Pool,
  ) {
    super(db, table, "postgres");
    this.stage = `ayida_stage_${table.name}`;
  }

  /** The statements, once the table's indexes are known (they decide what a touch writes). */
  private async statements(client: pg.PoolClient) {
    if (this.sqlText) return this.sqlText;
    const t = this.name;
    const defs = await client.query<{ def: string }>("SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = $1::regclass", [t]);
    this.indexedFrom(defs.rows.map((r) => r.def));
    const key = this.table.key;
    const pgType = (c: string) => PG_TYPES[this.table.columns[c]!.type];
    const keyArrays = key.map((k, i) => `$${i + 1}::${pgType(k)}[]`).join(", ");
    const staged = [...this.columns, "raw_json", "content_hash", "kind"];
    const onKey = key.map((k) => `t.${k} = s.${k}`).join(" AND ");
    this.sqlText = {
      lookup: `SELECT ${key.map((k) => `t.${k}`).join(", ")}, t.content_hash AS hash, t.last_seen_at AS seen, t.removed_at AS removed${this.lookupColumns("t.")}
        FROM ${t} t JOIN unnest(${keyArrays}) AS x(${key.join(", ")}) ON ${key.map((k) => `t.${k} = x.${k}`).join(" AND ")}`,
      create: `CREATE TEMP TABLE IF NOT EXISTS ${this.stage} (${[...this.columns.map((c) => `${c} ${pgType(c)}`), "raw_json jsonb", "content_hash text", "kind char(1)"].join(", ")}) ON COMMIT DELETE ROWS`,
      copy: `COPY ${this.stage} (${staged.join(", ")}) FROM STDIN`,
      upsert: `INSERT INTO ${t} (${[...this.columns, ...STANDARD_COLUMNS].join(", ")})
        SELECT ${this.columns.join(", ")}, raw_json, content_hash, $1::timestamptz, $1::timestamptz, $1::timestamptz, NULL, $2::text FROM ${this.stage} WHERE kind <> 't'
        ON CONFLICT (${key.join(", ")}) DO UPDATE SET ${rewriteAssignments(t, this.columns, key)}`,
      touch: `UPDATE ${t} t SET ${[...this.touched.map((c) => `${c} = s.${c}`), "raw_json = s.raw_json", "last_seen_at = $1::timestamptz", "last_run_id = $2::text"].join(", ")}
        FROM ${this.stage} s WHERE s.kind = 't' AND ${onKey}`,
    };
    return this.sqlText;
  }

  async writePage(rows: readonly PreparedRow[], o: PageWrite): Promise<PageCounts> {
    const client = await this.pool.connect();
    try {
      const q = await this.statements(client);
      if (!this.prepared.has(client)) {
        await client.query(q.create);
        this.prepared.add(client);
      }
      await client.query("BEGIN");
      const totals = this.totals;
      const page = this.dedupe(rows);
      const { unique } = page;
      if (totals) {
        // Another writer of the same dates (two runs over one week) waits: both must not count a row new.
        for (const day of totals.lockKeys(unique, this.registrationAt)) await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`${this.name}:${day}`]);
      }
      const keys = this.keyIndex.map((i) => unique.map((r) => r.values[i]));
      const previous = new Map<string, Previous>();
      for (const p of (await client.query<Record<string, ColumnValue> & Previous>(q.lookup, keys)).rows) {
        previous.set(this.keyOf(this.columns.map((c) => (this.table.key.includes(c) ? p[c]! : null))), p);
      }
      const before = (r: PreparedRow) => previous.get(this.keyOf(r.values));
      const plan = this.plan(page, before, o.since);
      await this.copy(client, q.copy, [
        [plan.insert, "i"],
        [plan.rewrite, "r"],
        [plan.touch, "t"],
      ]);
      if (plan.insert.length + plan.rewrite.length > 0) await client.query(q.upsert, [o.now, o.runId]);
      if (plan.touch.length > 0) await client.query(q.touch, [o.now, o.runId]);
      if (totals) for (const st of totals.statements(plan.unique, before, "postgres")) await client.query(st.text, st.params);
      const c = plan.counts;
      await client.query("UPDATE sync_runs SET fetched = fetched + $1, new = new + $2, changed = changed + $3, unchanged = unchanged + $4 WHERE run_id = $5 AND dataset = $6", [c.fetched, c.new, c.changed, c.unchanged, o.runId, o.dataset]);
      await client.query("COMMIT");
      return c;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** The rows into the staging table, in COPY's text format, a chunk of lines at a time. */
  private async copy(client: pg.PoolClient, text: string, groups: Array<[PreparedRow[], Kind]>): Promise<void> {
    const stream = client.query(copyFrom(text));
    const done = new Promise<void>((resolve, reject) => {
      stream.on("finish", resolve);
      stream.on("error", reject);
    });
    let lines: string[] = [];
    const flush = async () => {
      if (lines.length === 0) return;
      const ok = stream.write(lines.join(""));
      lines = [];
      if (!ok) await new Promise<void>((resolve, reject) => {
        stream.once("drain", resolve);
        stream.once("error", reject);
      });
    };
    for (const [rows, kind] of groups) {
      for (const r of rows) {
        let line = "";
        for (const v of r.values) line += `${copyField(v)}\t`;
        lines.push(`${line}${copyField(jsonbSafe(r.raw))}\t${r.hash}\t${kind}\n`);
        if (lines.length >= COPY_CHUNK) await flush();
      }
    }
    await flush();
    stream.end();
    await done;
  }
}

const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** A value in COPY's text format: \N for null; backslash, tab, newline and carriage return escaped. */
export function copyField(v: ColumnValue): string {
  if (v === null || v === undefined) return "\\N";
  if (typeof v !== "string") return String(v);
  return /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : v;
}

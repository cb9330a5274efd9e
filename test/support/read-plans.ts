/**
 * What a portal read's plan uses (src/adapters/store/portal-reads.ts): the indexes, and the tables it
 * reads whole. One reading of EXPLAIN QUERY PLAN (SQLite) and EXPLAIN (FORMAT JSON) (PostgreSQL) for the
 * tests and the bench.
 */
import { CompiledQuery } from "kysely";
import { compileRead, readById, type PortalRead } from "../../src/adapters/store/portal-reads.js";
import type { Store } from "../../src/adapters/store/store.js";

export interface ReadPlan {
  /** Index names (SQLite's full-text table counts as its index; a rowid lookup is `PRIMARY KEY`). */
  indexes: string[];
  /** Tables read whole. */
  scans: string[];
  /** Sorts the plan makes (PostgreSQL's Sort and Incremental Sort keys; SQLite's temporary B-trees for ORDER BY). */
  sorts: string[];
  text: string;
}

/**
 * The pages of one beneficiary's or one convocatoria's awards: read in the order of their index, so that
 * page 1 reads 20 rows whatever the number of awards (PostgreSQL, whose generic estimate for "the id of
 * this code" was a few dozen rows, gathered and sorted a convocatoria's 5,847 awards: 25 ms instead of 1.3).
 */
export const IN_INDEX_ORDER = ["concesiones-nif", "concesiones-persona", "concesiones-convocatoria", "ayudas-estado-persona"];

interface PgNode {
  "Node Type": string;
  "Index Name"?: string;
  "Relation Name"?: string;
  "Sort Key"?: string[];
  Plans?: PgNode[];
}

/** The read's rows. */
export async function runRead(store: Store, read: PortalRead | string, values: Record<string, unknown>): Promise<Array<Record<string, unknown>>> {
  const { text, params } = compileRead(typeof read === "string" ? readById(read) : read, store.dialect, values);
  return (await store.db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, params))).rows;
}

/**
 * The read's plan. `priceOutScans` (PostgreSQL): a plan over a few dozen rows would rather scan, so to
 * ask whether an index serves the read at all, sequential scans are priced out for this EXPLAIN; at
 * volume (the bench) plans are read as the planner makes them. `priceOutBitmaps` too: whether an index
 * gives the rows in the read's order (a bitmap scan gives them in the table's).
 */
export async function readPlan(store: Store, read: PortalRead | string, values: Record<string, unknown>, o: { priceOutScans?: boolean; priceOutBitmaps?: boolean } = {}): Promise<ReadPlan> {
  const { text, params } = compileRead(typeof read === "string" ? readById(read) : read, store.dialect, values);
  if (store.dialect === "sqlite") {
    const details = (await store.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${text}`, params))).rows.map((r) => r.detail);
    const used = (d: string) => {
      const m = /USING (?:COVERING )?INDEX (\w+)|USING (?:INTEGER )?PRIMARY KEY|^SCAN (\w+) VIRTUAL TABLE/.exec(d);
      if (!m) return [];
      return [m[1] ?? (m[2] ? (m[2] === "f" ? "convocatorias_fts" : m[2]) : "PRIMARY KEY")];
    };
    return { indexes: details.flatMap(used), scans: details.filter((d) => /^SCAN \w+$/.test(d)).map((d) => d.slice(5)), sorts: details.filter((d) => /TEMP B-TREE FOR .*ORDER BY/.test(d)), text: details.join("\n") };
  }
  const explain = async (db: Store["db"]) => (await db.executeQuery<{ "QUERY PLAN": Array<{ Plan: PgNode }> }>(CompiledQuery.raw(`EXPLAIN (FORMAT JSON) ${text}`, params))).rows[0]!["QUERY PLAN"];
  const plan = o.priceOutScans
    ? await store.db.transaction().execute(async (tx) => {
        await tx.executeQuery(CompiledQuery.raw("SET LOCAL enable_seqscan = off"));
        if (o.priceOutBitmaps) await tx.executeQuery(CompiledQuery.raw("SET LOCAL enable_bitmapscan = off"));
        return explain(tx);
      })
    : await explain(store.db);
  const nodes: PgNode[] = [];
  const walk = (n: PgNode) => (nodes.push(n), (n.Plans ?? []).forEach(walk));
  walk(plan[0]!.Plan);
  return {
    indexes: nodes.flatMap((n) => (n["Index Name"] ? [n["Index Name"]] : [])),
    scans: nodes.filter((n) => n["Node Type"] === "Seq Scan").map((n) => n["Relation Name"]!),
    sorts: nodes.filter((n) => /Sort$/.test(n["Node Type"])).map((n) => `${n["Node Type"]} (${(n["Sort Key"] ?? []).join(", ")})`),
    text: JSON.stringify(plan),
  };
}

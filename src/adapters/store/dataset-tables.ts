/**
 * The datasets' tables: a page of rows stored in one transaction, the run's counters (and the award
 * totals) moved in the same transaction, and the rows a completed fetch no longer returned marked
 * removed (never deleted). The declaration (src/datasets) says which columns a table has; every table
 * also has:
 *
 *   raw_json         the row as BDNS sent it (its latest spelling)
 *   content_hash     sha256 of its canonical form (noise taken out): what "changed" means
 *   first_seen_at, last_seen_at, last_changed_at, removed_at (null while BDNS still lists it), last_run_id
 *
 * A page is the unit: ~10,000 rows (~8 MB from BDNS), one in memory at a time. What both databases
 * share is table-writer.ts (which row is written how); SQLite writes through sqlite-page-writer.ts,
 * PostgreSQL through postgres-page-writer.ts (COPY into a staging table). Everything else goes through
 * Kysely, for both.
 */
import { sql, type Kysely } from "kysely";
import type { ColumnValue, TableDeclaration } from "../../datasets/types.js";
import type { OpenedDb } from "./db.js";
import type { FileCheck } from "./document-store.js";
import { jsonbSafe } from "./json.js";
import { PostgresPageWriter } from "./postgres-page-writer.js";
import type { Database } from "./schema.js";
import { SqlitePageWriter } from "./sqlite-page-writer.js";
import type { TableWriter } from "./table-writer.js";
import { transact } from "./transact.js";

export { STANDARD_COLUMNS, TableWriter, type PageCounts, type PageWrite, type PreparedRow, type Previous } from "./table-writer.js";

export class DatasetTables {
  private readonly writers = new Map<string, TableWriter>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly raw: Pick<OpenedDb, "sqlite" | "pgPool">,
  ) {}

  /** The details (and documents) of a table's rows. */
  details(table: TableDeclaration<any>): DetailTable {
    return new DetailTable(this.db, table.name, table.key[0]!);
  }

  of(table: TableDeclaration<any>): TableWriter {
    let w = this.writers.get(table.name);
    if (!w) {
      if (!this.raw.sqlite && !this.raw.pgPool) throw new Error("the bulk page writers run on their own driver, not inside Store.atomically");
      w = this.raw.sqlite ? new SqlitePageWriter(this.db, table, this.raw.sqlite) : new PostgresPageWriter(this.db, table, this.raw.pgPool!);
      this.writers.set(table.name, w);
    }
    return w;
  }
}

/**
 * A dataset's per-row details and their documents (planes estratégicos): the detail lives in its
 * row's `detail_json` / `detail_hash` / `detail_fetched_at` (+ declared columns), the documents in
 * `<table>_documentos`.
 */
export class DetailTable {
  private readonly docs: string;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly table: string,
    private readonly keyColumn: string,
  ) {
    this.docs = `${table}_documentos`;
  }

  /** Store a fetched detail on its row: new (first), changed (other hash) or unchanged. */
  async storeDetail(id: string, detail: { json: string; hash: string; columns: Record<string, ColumnValue> }, now: string): Promise<"new" | "changed" | "unchanged" | "no-row"> {
    return transact(this.db, async (tx) => {
      const t = sql.table(this.table);
      const k = sql.ref(this.keyColumn);
      const prev = await sql<{ h: string | null }>`SELECT detail_hash AS h FROM ${t} WHERE ${k} = ${id}`.execute(tx);
      if (prev.rows.length === 0) return "no-row";
      const before = prev.rows[0]!.h;
      const outcome = before === null ? "new" : before === detail.hash ? "unchanged" : "changed";
      const sets = [sql`detail_json = ${jsonbSafe(detail.json)}`, sql`detail_hash = ${detail.hash}`, sql`detail_fetched_at = ${now}`];
      for (const [c, v] of Object.entries(detail.columns)) sets.push(sql`${sql.ref(c)} = ${v}`);
      await sql`UPDATE ${t} SET ${sql.join(sets)} WHERE ${k} = ${id}`.execute(tx);
      return outcome;
    });
  }

  /**
   * Record the documents a detail lists; returns the ids never stored, and — with `fileIntact` — those
   * stored whose file no longer looks like the one stored (see Store.upsertDocuments).
   */
  async upsertDocuments(parentId: string, docs: ReadonlyArray<{ id: string; name: string | null; raw: string }>, now: string, fileIntact?: FileCheck): Promise<string[]> {
    if (docs.length === 0) return [];
    const t = sql.table(this.docs);
    await transact(this.db, async (tx) => {
      for (const d of docs) {
        await sql`INSERT INTO ${t} (id, parent_id, nombre_fic, raw_json, first_seen_at, updated_at) VALUES (${d.id}, ${parentId}, ${d.name}, ${jsonbSafe(d.raw)}, ${now}, ${now})
          ON CONFLICT (id) DO UPDATE SET parent_id = excluded.parent_id, nombre_fic = excluded.nombre_fic, raw_json = excluded.raw_json, updated_at = excluded.updated_at`.execute(tx);
      }
    });
    const stored = await sql<{ id: string; stored_path: string | null; stored_size: number | null; stored_at: string | null }>`SELECT id, stored_path, stored_size, stored_at FROM ${t} WHERE id IN (${sql.join(docs.map((d) => d.id))}) AND stored_at IS NOT NULL`.execute(this.db);
    const done = new Set<string>();
    for (const r of stored.rows) if (!fileIntact || (await fileIntact({ ...r, stored_size: r.stored_size === null ? null : Number(r.stored_size) }))) done.add(r.id);
    return docs.map((d) => d.id).filter((id) => !done.has(id));
  }

  async getDocument(id: string) {
    const r = await sql<{ id: string; parent_id: string; nombre_fic: string | null; sha256: string | null; stored_size: number | null; stored_path: string | null; stored_at: string | null }>`SELECT id, parent_id, nombre_fic, sha256, stored_size, stored_path, stored_at FROM ${sql.table(this.docs)} WHERE id = ${id}`.execute(this.db);
    return r.rows[0];
  }

  async markDocumentStored(id: string, stored: { sha256: string; size: number; path: string }, now: string): Promise<void> {
    await sql`UPDATE ${sql.table(this.docs)} SET sha256 = ${stored.sha256}, stored_size = ${stored.size}, stored_path = ${stored.path}, stored_at = ${now}, updated_at = ${now} WHERE id = ${id}`.execute(this.db);
  }
}

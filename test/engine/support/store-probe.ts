/**
 * Reads what the deployment stored — the SQLite file `serve` writes and the documents folder — the
 * way the portal would: plain SQL on the file (WAL mode lets us read while serve writes) and the
 * bytes on disk. Read-only: the suite asserts on the store, it never fixes it up.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import Database from "better-sqlite3";
import type { ConvocatoriasTable, DocumentosTable, SyncFailuresTable, SyncRunsTable } from "../../../src/adapters/store/schema.js";

type Row<T> = { [K in keyof T]: T[K] extends import("kysely").Generated<infer U> ? U : T[K] };
export type RunRow = Row<SyncRunsTable>;

export class StoreProbe {
  private db: Database.Database | undefined;

  constructor(
    readonly databaseFile: string,
    readonly documentsDir: string,
  ) {}

  private conn(): Database.Database {
    this.db ??= new Database(this.databaseFile, { readonly: true, fileMustExist: true });
    return this.db;
  }

  private all<T>(sql: string, ...params: unknown[]): T[] {
    return this.conn().prepare(sql).all(...params) as T[];
  }

  convocatorias(): ConvocatoriasTable[] {
    return this.all("SELECT * FROM convocatorias ORDER BY bdns");
  }

  documentos(): DocumentosTable[] {
    return this.all("SELECT * FROM documentos ORDER BY id");
  }

  /** The run's row (of `dataset`, when the run touched several: `sync all` has one per dataset). */
  run(runId: string, dataset?: string): RunRow | undefined {
    if (dataset !== undefined) return this.all<RunRow>("SELECT * FROM sync_runs WHERE run_id = ? AND dataset = ?", runId, dataset)[0];
    return this.all<RunRow>("SELECT * FROM sync_runs WHERE run_id = ?", runId)[0];
  }

  /** Every row of the run, one per dataset, by dataset. */
  runs(runId: string): RunRow[] {
    return this.all<RunRow>("SELECT * FROM sync_runs WHERE run_id = ? ORDER BY dataset", runId);
  }

  /** The run's work items (run_items) by state, e.g. { stored: 12, failed: 1 }. */
  itemStates(runId: string): Record<string, number> {
    const rows = this.all<{ state: string; n: number }>("SELECT state, COUNT(*) AS n FROM run_items WHERE run_id = ? GROUP BY state", runId);
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  /** Every row of a table (a dataset's: plain SQL, the portal's view), ordered. */
  rows<T = Record<string, unknown>>(table: string, orderBy = "1"): T[] {
    if (!/^\w+$/.test(table)) throw new Error(`not a table name: ${table}`);
    return this.all<T>(`SELECT * FROM ${table} ORDER BY ${orderBy}`);
  }

  failures(runId?: string): SyncFailuresTable[] {
    return runId === undefined ? this.all("SELECT * FROM sync_failures ORDER BY run_id, bdns, document_id") : this.all("SELECT * FROM sync_failures WHERE run_id = ? ORDER BY bdns, document_id", runId);
  }

  /** Documents with a stored file recorded. */
  storedDocuments(): DocumentosTable[] {
    return this.all("SELECT * FROM documentos WHERE stored_at IS NOT NULL ORDER BY id");
  }

  /** Every file under the documents folder, relative, with forward slashes. */
  files(): string[] {
    const out: string[] = [];
    const walk = (dir: string) => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
        throw err;
      }
      for (const e of entries) (e.isDirectory() ? walk : (p: string) => out.push(relative(this.documentsDir, p).split("\\").join("/")))(join(dir, e.name));
    };
    walk(this.documentsDir);
    return out.sort();
  }

  sha256OfFile(relPath: string): string {
    return createHash("sha256").update(readFileSync(join(this.documentsDir, relPath))).digest("hex");
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }
}

export function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

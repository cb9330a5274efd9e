/**
 * `doctor --verify-documents`: every document the store says is stored, re-hashed from its file (or
 * object, DOCUMENTS_URL) and
 * compared with the recorded size and sha256 — what the per-sync check (one stat: size and mtime)
 * cannot see, such as a file of the same size replaced before it was stored here. Two deployments
 * sharing one documents folder replace each other's files; a disk can rot. Read-only: the store is
 * opened without migrating, the files are only read. It takes as long as reading every stored file,
 * so it runs only when asked and is not held to --timeout (DOCUMENTS_VERIFY_TIMEOUT_MS).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { sql } from "kysely";
import { formatBytes } from "./local.js";
import type { Check } from "./types.js";

/** Reading every stored file is bounded by this instead of --timeout. */
const DOCUMENTS_VERIFY_TIMEOUT_MS = 3_600_000;
/** Mismatches named in the message (all are in --json's details). */
const NAMED = 5;

interface StoredRow {
  table: string;
  id: string;
  /** The convocatoria (documentos) or the row (a dataset's documents) it belongs to. */
  owner: string;
  stored_path: string;
  stored_size: number;
  sha256: string;
}

export interface Mismatch {
  table: string;
  id: string;
  bdns?: string;
  parent?: string;
  path: string;
  problem: string;
}

/** The document tables and how each names its owner: convocatorias' own, and the datasets' (planes). */
const TABLES: ReadonlyArray<{ table: string; owner: "bdns" | "parent_id" }> = [
  { table: "documentos", owner: "bdns" },
  { table: "planes_estrategicos_documentos", owner: "parent_id" },
];

export const verifyDocumentsCheck: Check = {
  id: "documents-verified",
  title: "documents verified",
  timeoutMs: DOCUMENTS_VERIFY_TIMEOUT_MS,
  timeoutFix: "re-hashing every stored file took over an hour: a hung network filesystem, or run it closer to the disk",
  async run(ctx) {
    const [{ Store }, { DEFAULT_DOCUMENTS_DIR }, { openDocumentStore }, { parseDatabaseUrl }, { documentsTarget }] = await Promise.all([
      import("../adapters/store/store.js"),
      import("../adapters/store/documents.js"),
      import("../adapters/store/open-documents.js"),
      import("../config/database-url.js"),
      import("../config/env.js"),
    ]);
    if (ctx.problems.some((p) => p.key === "DATABASE_URL")) return { status: "skip", message: "DATABASE_URL is invalid (see configuration): not checked" };
    const db = parseDatabaseUrl(ctx.env.DATABASE_URL, ctx.cwd);
    if (db.dialect === "sqlite" && !existsSync(db.file)) return { status: "skip", message: "no store yet: nothing is recorded as stored" };
    const store = await Store.open(db.dialect === "sqlite" ? db.file : db.url, { migrate: false, connectTimeoutMs: 10_000 });
    const target = documentsTarget(ctx.env);
    const files = openDocumentStore(target.kind === "folder" ? { kind: "folder", dir: resolve(ctx.cwd, target.dir ?? DEFAULT_DOCUMENTS_DIR) } : target);
    const mismatches: Mismatch[] = [];
    let checked = 0;
    let bytes = 0;
    try {
      for (const { table, owner } of TABLES) {
        let rows: StoredRow[];
        try {
          rows = (
            await sql<StoredRow>`SELECT ${table} AS "table", id, ${sql.ref(owner)} AS owner, stored_path, stored_size, sha256 FROM ${sql.table(table)} WHERE stored_at IS NOT NULL AND stored_path IS NOT NULL AND sha256 IS NOT NULL ORDER BY id`.execute(store.db)
          ).rows;
        } catch {
          continue; // a store older than this dataset's table: nothing of it to verify
        }
        for (const r of rows) {
          if (ctx.signal.aborted) throw ctx.signal.reason;
          checked++;
          const found = await files.inspect(r.stored_path);
          const problem = !found ? "missing" : found.size !== Number(r.stored_size) ? `${found.size} bytes, ${Number(r.stored_size)} recorded` : found.sha256 !== r.sha256 ? "sha256 differs" : undefined;
          if (found) bytes += found.size;
          if (problem) mismatches.push({ table, id: String(r.id), ...(owner === "bdns" ? { bdns: String(r.owner) } : { parent: String(r.owner) }), path: r.stored_path, problem });
        }
      }
    } finally {
      await store.close();
    }
    const details = { documents: files.location, checked, bytes, mismatches };
    if (mismatches.length === 0) return { status: "ok", message: `${checked} stored document${checked === 1 ? "" : "s"} re-hashed (${formatBytes(bytes)}): every file is the one recorded`, details };
    const named = mismatches.slice(0, NAMED).map((m) => `${m.path} (${m.problem})`).join(", ");
    const more = mismatches.length > NAMED ? ` and ${mismatches.length - NAMED} more (--json lists them)` : "";
    const first = mismatches.find((m) => m.bdns);
    return {
      status: "fail",
      message: `${mismatches.length} of ${checked} stored documents are not the files recorded: ${named}${more}`,
      fix: `fetch each again: ${first ? `ayida-jobs document ${first.bdns} ${first.id}` : "ayida-jobs sync planes-estrategicos --full"} (and so on; the document function re-hashes before it trusts a file), or sync their windows with --full; two deployments sharing one DOCUMENTS_DIR is the usual cause: give each its own`,
      details,
    };
  },
};

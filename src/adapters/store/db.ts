/**
 * Opens the database named by DATABASE_URL: a SQLite file by default (no set-up), PostgreSQL for a
 * `postgres://` URL. Both go through Kysely, so every query is written once. Migrations run on open.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Dialect } from "kysely";
import { migrations } from "./migrations.js";
import type { Database } from "./schema.js";

export const DEFAULT_DATABASE_FILE = "./data/ayida-jobs.db";

export interface OpenedDb {
  db: Kysely<Database>;
  dialect: "sqlite" | "postgres";
  /** Where the data lives, without credentials: a file path or host/database. */
  location: string;
  /**
   * The driver underneath, for the bulk paths (a dataset page of 10,000 rows): better-sqlite3's
   * synchronous prepared statements, PostgreSQL's pool. Kysely serves every other query.
   */
  sqlite?: import("better-sqlite3").Database;
  pgPool?: import("pg").Pool;
}

export interface OpenOptions {
  /** Stop at a named migration (tests of upgrades start from an older schema). */
  upTo?: string;
  /**
   * A reader that is not the store's owner (the CLI's `runs`, `status`, `--wait`): false runs no
   * migration, creates no file or folder (a missing SQLite file is an error) and leaves the journal
   * mode alone. Default true: `serve` and the functions create and migrate.
   */
  migrate?: boolean;
  /** PostgreSQL: give up connecting after this long (default: pg's own, no limit). */
  connectTimeoutMs?: number;
  /**
   * PostgreSQL: a pooled connection was lost while nobody was using it (a restart, a failover: 57P01
   * admin shutdown, "Connection terminated unexpectedly"). The pool drops it and opens another on
   * the next query; this hears of it (for the logs). Never the end of the process.
   */
  onConnectionLost?: (err: Error) => void;
}

/** Opens (by default creating and migrating) the store at `databaseUrl` (default ./data/ayida-jobs.db). */
export async function openDatabase(databaseUrl: string | undefined, o: OpenOptions = {}): Promise<OpenedDb> {
  const migrate = o.migrate ?? true;
  const url = databaseUrl ?? DEFAULT_DATABASE_FILE;
  let dialect: Dialect;
  let kind: OpenedDb["dialect"];
  let location: string;
  let raw: Pick<OpenedDb, "sqlite" | "pgPool">;
  if (isPostgresUrl(url)) {
    const { default: pg } = await import("pg");
    // int8 (bigint columns, count(*)) arrives as a string by default; every value we keep fits a
    // JS number (ids ~1e6, sizes < 2^53), and the store's types promise numbers on both dialects.
    // Set on this pool only, not on the pg module every other user of it shares.
    const types = {
      getTypeParser: ((oid: number, format?: string) =>
        oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
    };
    location = storeLocation(url);
    const pool = new pg.Pool({ connectionString: url, max: migrate ? 10 : 2, types, ...(o.connectTimeoutMs && { connectionTimeoutMillis: o.connectTimeoutMs }) });
    survivesLostConnections(pool, o.onConnectionLost);
    dialect = new PostgresDialect({ pool });
    kind = "postgres";
    raw = { pgPool: pool };
  } else {
    const file = sqliteFile(url);
    if (migrate) mkdirSync(dirname(file), { recursive: true });
    const { default: SQLite } = await import("better-sqlite3");
    const sqlite = new SQLite(file, { fileMustExist: !migrate });
    // WAL: the portal can read while the functions write; busy_timeout: concurrent steps wait, not fail.
    // (WAL is a property of the file: a reader that does not migrate leaves it as its owner set it.)
    if (migrate) sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("synchronous = NORMAL");
    sqlite.pragma("busy_timeout = 5000");
    // Bulk pages (10,000 award rows) insert into indexes keyed at random (convocatoria, beneficiary):
    // each row dirties an index page. Checkpointing the WAL every ~100 MiB instead of every 4 MiB
    // writes such a page to the database once per checkpoint, not once per page of rows. (A bigger
    // page cache helped less than it cost in memory.) The WAL file is cut back to 64 MiB after each
    // checkpoint.
    sqlite.pragma("wal_autocheckpoint = 25000");
    sqlite.pragma("journal_size_limit = 67108864");
    dialect = new SqliteDialect({ database: sqlite });
    kind = "sqlite";
    raw = { sqlite };
    location = file;
  }
  const db = new Kysely<Database>({ dialect });
  if (!migrate) return { db, dialect: kind, location, ...raw };
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations(kind) } });
  // PostgreSQL: kysely takes an advisory lock. SQLite has none, and kysely's is in-process only.
  const migrateNow = () => (o.upTo ? migrator.migrateTo(o.upTo) : migrator.migrateToLatest());
  const { error, results } = kind === "sqlite" ? await withSqliteMigrationLock(location, migrateNow) : await migrateNow();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw new Error(`database migration ${failed ? `${failed} ` : ""}failed at ${location}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return { db, dialect: kind, location, ...raw };
}

/**
 * A pool whose server goes away must not take the process with it. node-postgres reports a lost
 * connection as an 'error' event: on the pool for an idle connection, on the client for one checked
 * out between two queries (inside a transaction, say) — and an 'error' event nobody listens to ends
 * the process. Both are listened to: the pool then drops the connection (pg-pool removes an idle one
 * at once, and a checked-out one that is no longer queryable when it is released), the query that
 * was running fails with its own error (the caller's to retry), and the next one connects again.
 */
function survivesLostConnections(pool: import("pg").Pool, onLost: ((err: Error) => void) | undefined): void {
  const lost = (err: Error) => onLost?.(err);
  pool.on("error", lost);
  pool.on("connect", (client) => client.on("error", lost));
}

/**
 * Several processes starting at once on a new SQLite file (a fleet of `serve`, the CLI beside them)
 * would each see the migrations as pending and all but one fail half-way ("table already exists").
 * Migrating is serialised through an exclusive transaction on a sidecar file, `<file>.migrate-lock`:
 * the others wait (up to a minute) and then find the file migrated. The OS drops the lock of a process
 * that dies while holding it.
 */
async function withSqliteMigrationLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  const { default: SQLite } = await import("better-sqlite3");
  const lock = new SQLite(`${file}.migrate-lock`);
  try {
    lock.pragma("busy_timeout = 60000");
    lock.exec("BEGIN EXCLUSIVE"); // blocks this process while another migrates: it has nothing else to do yet
    try {
      return await work();
    } finally {
      lock.exec("COMMIT");
    }
  } finally {
    lock.close();
  }
}

/**
 * Where a DATABASE_URL's store is, for messages: the SQLite file, or PostgreSQL's host and database —
 * never the URL itself, which may carry a password.
 */
export function storeLocation(url: string | undefined): string {
  const u = url ?? DEFAULT_DATABASE_FILE;
  if (!isPostgresUrl(u)) return sqliteFile(u);
  try {
    const parsed = new URL(u);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return "PostgreSQL";
  }
}

/** The file a SQLite DATABASE_URL names (`./x.db`, `sqlite:x.db`, `file:///abs/x.db`), absolute. */
export function sqliteFile(url: string): string {
  return resolve(url.replace(/^(sqlite|file):(\/\/)?/, ""));
}

/** Whether DATABASE_URL names PostgreSQL (anything else is a SQLite file). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

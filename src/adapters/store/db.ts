/**
 * Opens the database named by DATABASE_URL: a SQLite file by default (no set-up), PostgreSQL for a
 * `postgres://` URL (config/database-url.ts reads it). Both go through Kysely, so every query is
 * written once. Migrations run on open.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { Kysely, Migrator, PostgresDialect, type Dialect } from "kysely";
import { ImmediateSqliteDialect } from "./sqlite-dialect.js";
import { DEFAULT_DATABASE_FILE, databaseLocation, parseDatabaseUrl } from "../../config/database-url.js";
import { migrations } from "./migrations.js";
import type { Database } from "./schema.js";

export { DEFAULT_DATABASE_FILE };

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
  /**
   * PostgreSQL: give up waiting for a connection of the pool after this long (a reader's bound on
   * every read). Connecting itself gives up after DATABASE_URL's connect_timeout (default 10 s).
   */
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
  const target = parseDatabaseUrl(databaseUrl); // a ConfigError for a value that names no store
  let dialect: Dialect;
  let kind: OpenedDb["dialect"];
  let location: string;
  let raw: Pick<OpenedDb, "sqlite" | "pgPool">;
  if (target.dialect === "postgres") {
    const { default: pg } = await import("pg");
    location = target.location;
    const pool = new pg.Pool({ connectionString: target.url, max: migrate ? 10 : 2, types: storeTypes(pg.types), Client: connectingWithin(pg.Client, target.connectTimeoutMs), ...(o.connectTimeoutMs && { connectionTimeoutMillis: o.connectTimeoutMs }) });
    survivesLostConnections(pool, o.onConnectionLost);
    await connectOnce(pool, location, target.connectTimeoutMs);
    dialect = new PostgresDialect({ pool });
    kind = "postgres";
    raw = { pgPool: pool };
  } else {
    const file = target.file;
    if (migrate) mkdirSync(dirname(file), { recursive: true });
    const { default: SQLite } = await import("better-sqlite3");
    // An owner touches the file only under the migration lock (see withSqliteMigrationLock), and until
    // it is migrated waits as long as the lock does: another process creating or migrating it may hold
    // it past the busy timeout (a slow disk). A reader opens it as it is.
    const sqlite = new SQLite(file, { fileMustExist: !migrate, timeout: migrate ? MIGRATION_WAIT_MS : BUSY_TIMEOUT_MS });
    dialect = new ImmediateSqliteDialect({ database: sqlite });
    kind = "sqlite";
    raw = { sqlite };
    location = file;
  }
  const db = new Kysely<Database>({ dialect });
  if (!migrate) {
    if (raw.sqlite) configureSqlite(raw.sqlite, { owner: false });
    return { db, dialect: kind, location, ...raw };
  }
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations(kind) } });
  const migrateNow = () => (o.upTo ? migrator.migrateTo(o.upTo) : migrator.migrateToLatest());
  // PostgreSQL: kysely takes an advisory lock. SQLite has none, and kysely's is in-process only.
  const sqlite = raw.sqlite;
  const { error, results } = sqlite
    ? await withSqliteMigrationLock(location, async () => {
        try {
          configureSqlite(sqlite, { owner: true });
        } catch (err) {
          await db.destroy(); // not a SQLite file, or one this process cannot write: the caller says which
          throw err;
        }
        const migrated = await migrateNow();
        sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`); // from here on, the store's own patience
        return migrated;
      })
    : await migrateNow();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw new Error(`database migration ${failed ? `${failed} ` : ""}failed at ${location}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return { db, dialect: kind, location, ...raw };
}

/** How long a statement waits for another connection's lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;
/** How long an owner waits for another process creating or migrating the same SQLite file. */
const MIGRATION_WAIT_MS = 60_000;

/**
 * The connection's settings. The owner (serve, the functions) sets WAL, a property of the file, so
 * that the portal can read while the functions write; a reader that does not migrate leaves the
 * journal mode as the owner set it.
 */
function configureSqlite(sqlite: import("better-sqlite3").Database, o: { owner: boolean }): void {
  if (o.owner) sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  // Bulk pages (10,000 award rows) insert into indexes keyed at random (convocatoria, beneficiary):
  // each row dirties an index page. Checkpointing the WAL every ~100 MiB instead of every 4 MiB
  // writes such a page to the database once per checkpoint, not once per page of rows. (A bigger
  // page cache helped less than it cost in memory.) The WAL file is cut back to 64 MiB after each
  // checkpoint.
  sqlite.pragma("wal_autocheckpoint = 25000");
  sqlite.pragma("journal_size_limit = 67108864");
}

/**
 * How the store reads PostgreSQL's values: as the same JavaScript values SQLite gives it, so one code
 * path serves both (schema.ts's types). Set on the store's pool only, not on the pg module every other
 * user of it shares.
 * - int8 (bigint columns, count(*)) and numeric (amounts, sums) as numbers: ids are ~1e9, sizes < 2^53,
 *   and an amount in euros with cents keeps its 15 significant digits in a double;
 * - date as its ISO text (`2026-09-14`; pg's default is a Date at local midnight, off by a day west of UTC);
 * - timestamptz as ISO 8601 UTC with milliseconds (`2026-09-14T10:00:00.000Z`), what the store writes;
 * - jsonb as its text, as SQLite gives it (PostgreSQL's normal form: keys ordered, spaces after : and ,).
 */
export function storeTypes(types: typeof import("pg").types): { getTypeParser: typeof types.getTypeParser } {
  const { INT8, NUMERIC, DATE, TIMESTAMPTZ, JSONB } = types.builtins;
  const time = types.getTypeParser(TIMESTAMPTZ, "text") as (v: string) => Date | number;
  const parsers: Record<number, (v: string) => unknown> = {
    [INT8]: Number,
    [NUMERIC]: Number,
    [DATE]: (v) => v,
    [TIMESTAMPTZ]: (v) => {
      const d = time(v);
      return d instanceof Date && !Number.isNaN(d.getTime()) ? d.toISOString() : v;
    },
    [JSONB]: (v) => v,
  };
  return { getTypeParser: ((oid: number, format?: string) => parsers[oid] ?? types.getTypeParser(oid, format as "text")) as typeof types.getTypeParser };
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
 * that dies while holding it. Everything an owner does to the file before it is migrated happens
 * inside the lock, the switch to WAL included: that switch writes the new file's header under an
 * exclusive lock of the file, and a process that set it before taking this lock could meet another's
 * switch or migration with only the busy timeout's patience ("database is locked" under load).
 */
export async function withSqliteMigrationLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  const { default: SQLite } = await import("better-sqlite3");
  const lock = new SQLite(`${file}.migrate-lock`);
  try {
    lock.pragma(`busy_timeout = ${MIGRATION_WAIT_MS}`);
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
 * pg's Client with a bound on connecting (TCP, TLS, start-up, login): pg has none by default, and a
 * port that accepts connections but never answers (not PostgreSQL, a proxy in front of nothing) held
 * `serve` silent for ever. Set on the client, not as the pool's connectionTimeoutMillis, which would
 * also bound the wait for a free connection of a busy pool.
 */
function connectingWithin(Client: typeof import("pg").Client, ms: number | undefined): typeof import("pg").Client {
  if (ms === undefined) return Client;
  return class extends Client {
    constructor(config?: string | import("pg").ClientConfig) {
      super(typeof config === "string" ? { connectionString: config, connectionTimeoutMillis: ms } : { ...config, connectionTimeoutMillis: config?.connectionTimeoutMillis ?? ms });
    }
  };
}

/** The first connection, before anything runs on it: a database that does not answer says so plainly. */
async function connectOnce(pool: import("pg").Pool, location: string, ms: number | undefined): Promise<void> {
  try {
    (await pool.connect()).release();
  } catch (err) {
    await pool.end().catch(() => {});
    const said = err instanceof Error ? err.message : String(err);
    if (ms !== undefined && /timeout/i.test(said)) {
      throw Object.assign(new Error(`no answer within ${ms / 1000} s of connecting (DATABASE_URL's connect_timeout, default 10 s): is a PostgreSQL server listening at ${location}?`, { cause: err }), { code: "ETIMEDOUT" });
    }
    throw err;
  }
}

/**
 * Where a DATABASE_URL's store is, for messages: the SQLite file, or PostgreSQL's host and database —
 * never the URL itself, which may carry a password.
 */
export function storeLocation(url: string | undefined): string {
  return databaseLocation(url);
}

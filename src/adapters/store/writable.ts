/**
 * Whether a store takes writes — asked by `serve --check` and `doctor` before they say "ok". Opening
 * and reading prove nothing: a SQLite file serve cannot write (another user's, mode 0444) opens and
 * reads fine, and so does a read-only PostgreSQL (a replica, `default_transaction_read_only`, a role
 * without INSERT); then every function fails. So the check writes one row in a transaction and rolls it
 * back: nothing stays. A rolled-back write never reaches the disk, so for SQLite the room left on the
 * database's filesystem is read too: under STORE_MIN_FREE_BYTES the disk counts as full (a page of
 * 10,000 award rows and the WAL, which grows to ~100 MiB between checkpoints, need that much).
 *
 * Failures are StoreOpenErrors, as when the store cannot be opened: `config` (exit 78) for a store
 * this user may not write, `unavailable` (69) for a full disk, which frees up.
 */
import { statfs } from "node:fs/promises";
import { dirname } from "node:path";
import { sql, type Kysely } from "kysely";
import { StoreOpenError } from "./errors.js";

export const STORE_MIN_FREE_BYTES = 128 * 1024 * 1024;

/** The row the check writes and rolls back (any migrated store has sync_runs). */
export const WRITE_CHECK_SQL = "INSERT INTO sync_runs (run_id, dataset, kind, started_at, status) VALUES ('ayida-write-check', 'ayida-write-check', 'check', '1970-01-01T00:00:00.000Z', 'check')";

const READ_ONLY = /^(SQLITE_READONLY|SQLITE_PERM|SQLITE_AUTH|EROFS|EACCES|EPERM|25006|42501)/;
const FULL = /^(SQLITE_FULL|ENOSPC|EDQUOT|53100)/;
/** Another process holds the write lock past the busy timeout: writing works, it is just taken. */
const BUSY = /^(SQLITE_BUSY|SQLITE_LOCKED|55P03)/;

class RolledBack extends Error {}

/** Write the check's row on `db` and roll it back; what the store said, as a StoreOpenError, or undefined when it took it. */
export async function tryWrite(db: Kysely<any>, location: string): Promise<StoreOpenError | undefined> {
  try {
    await db.transaction().execute(async (tx) => {
      await sql.raw(WRITE_CHECK_SQL).execute(tx);
      throw new RolledBack();
    });
  } catch (err) {
    if (err instanceof RolledBack) return undefined;
    return writeFailure(err, location);
  }
  return undefined;
}

/** What a failed write means (undefined: the store is busy, not unwritable). Unknown failures are rethrown. */
export function writeFailure(err: unknown, location: string): StoreOpenError | undefined {
  const code = String((err as { code?: unknown }).code ?? "");
  const said = err instanceof Error ? err.message : String(err);
  if (BUSY.test(code)) return undefined;
  if (READ_ONLY.test(code)) {
    return new StoreOpenError(`the store at ${location} cannot be written: ${said}`, "config", "give the user serve runs write access to the database (SQLite: the file and its folder, where it keeps -wal and -shm beside it; PostgreSQL: a primary, not a replica, and INSERT/UPDATE on the tables), or point DATABASE_URL at a store it can write", { cause: err });
  }
  if (FULL.test(code)) return diskFull(location, said, err);
  throw err;
}

/** SQLite: the room left where the database file lives; a StoreOpenError when the disk is (nearly) full. */
export async function sqliteRoom(file: string): Promise<{ freeBytes: number; error?: StoreOpenError }> {
  const fs = await statfs(dirname(file));
  const freeBytes = Number(fs.bavail) * Number(fs.bsize);
  if (freeBytes >= STORE_MIN_FREE_BYTES) return { freeBytes };
  return { freeBytes, error: diskFull(file, `${mib(freeBytes)} free on its filesystem, under the ${mib(STORE_MIN_FREE_BYTES)} a page of rows and the WAL need`) };
}

function diskFull(location: string, said: string, cause?: unknown): StoreOpenError {
  return new StoreOpenError(`the store at ${location} cannot take writes: its disk is full (${said})`, "unavailable", "free space on the database's filesystem (or move DATABASE_URL to a larger one); the functions fail with \"database or disk is full\" until then", { cause });
}

const mib = (n: number) => `${(n / (1024 * 1024)).toFixed(n < 1024 * 1024 ? 2 : 0)} MiB`;

/** The whole check for an open store: a write rolled back, and (SQLite) the room left. Throws what fails. */
export async function checkWritable(store: { db: Kysely<any>; dialect: "sqlite" | "postgres"; location: string }): Promise<void> {
  const failed = await tryWrite(store.db, store.location);
  if (failed) throw failed;
  if (store.dialect === "sqlite") {
    const room = await sqliteRoom(store.location);
    if (room.error) throw room.error;
  }
}

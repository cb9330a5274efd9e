/**
 * SQLite through kysely, with write transactions that take the write lock when they begin.
 *
 * kysely begins every SQLite transaction DEFERRED: it reads first and asks for the write lock at its
 * first write. In WAL mode, when another connection (a second `serve`, a portal job) commits in
 * between, that upgrade cannot wait: SQLite answers SQLITE_BUSY at once, whatever the busy timeout,
 * and a step fails with "database is locked" (then its retry fetches BDNS again). BEGIN IMMEDIATE
 * takes the lock up front, so two writers queue on the busy timeout instead. A read-only
 * transaction (RunQueries.snapshot) stays deferred: it must not wait for, or block, a writer.
 */
import { CompiledQuery, SqliteDialect, type DatabaseConnection, type Driver, type TransactionSettings } from "kysely";

export class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    const deferred = driver.beginTransaction.bind(driver);
    driver.beginTransaction = async (connection: DatabaseConnection, settings: TransactionSettings) => {
      if (settings.accessMode === "read only") return deferred(connection, settings);
      await connection.executeQuery(CompiledQuery.raw("begin immediate"));
    };
    return driver;
  }
}

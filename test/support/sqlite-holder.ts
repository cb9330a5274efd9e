/**
 * A fleet member caught mid-start on a slow disk: it holds the SQLite migration lock (the real one,
 * `withSqliteMigrationLock`) and, inside it, an exclusive lock on the database file itself, as a
 * process converting a new file to WAL or checkpointing it does, for as long as the test says.
 * Prints "holding", waits for "release", then "released", and exits.
 * argv[2]: the SQLite file
 */
import { createInterface } from "node:readline";
import SQLite from "better-sqlite3";
import { withSqliteMigrationLock } from "../../src/adapters/store/db.js";

const file = process.argv[2]!;
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
await withSqliteMigrationLock(file, async () => {
  const db = new SQLite(file);
  db.exec("BEGIN EXCLUSIVE");
  console.log("holding");
  while ((await lines.next()).value !== "release");
  db.exec("COMMIT");
  db.close();
});
console.log("released");
process.exit(0);

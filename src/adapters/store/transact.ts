/**
 * `work` in a transaction — the executor's own when it is one already, so that a write which needs
 * a transaction of its own (a detail and its hash, a removal and its counter) can also be one part of
 * a larger one (a step's writes committed once: Store.once).
 */
import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

export function transact<T>(db: Kysely<Database>, work: (tx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

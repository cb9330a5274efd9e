/**
 * Two writers of one SQLite file (two `serve` instances, or serve beside a portal job): a store
 * transaction that reads before it writes must not be overtaken in between. In WAL mode a deferred
 * transaction that another connection's commit has overtaken cannot upgrade its read to a write:
 * SQLite answers SQLITE_BUSY at once, without waiting the busy timeout — a step then fails with
 * "database is locked" and goes back to Inngest, fetching BDNS again on its retry (the engine suite's
 * budget case saw 82 BDNS requests for 81 pieces of work that way). A store transaction takes the
 * write lock when it begins, so the other writer waits instead.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { afterEach, expect, it } from "vitest";
import { openDatabase, type OpenedDb } from "../../src/adapters/store/db.js";
import { transact } from "../../src/adapters/store/transact.js";

const row = (runId: string) => ({ run_id: runId, dataset: "convocatorias", kind: "sync", started_at: "2026-12-06T00:00:00.000Z", status: "running" });

let dir: string;
let opened: OpenedDb | undefined;
let other: SQLite.Database | undefined;
afterEach(async () => {
  other?.close();
  await opened?.db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

it("a store transaction that reads, then writes, is not overtaken by another writer of the file in between", async () => {
  dir = mkdtempSync(join(tmpdir(), "ayida-writers-"));
  const file = join(dir, "store.db");
  opened = await openDatabase(file);
  other = new SQLite(file, { timeout: 0 }); // the other process: it does not wait for a lock
  const db = opened.db;

  let otherWrite = "";
  await transact(db, async (tx) => {
    await tx.selectFrom("sync_runs").select("run_id").execute(); // what a step reads first (has this step committed?)
    try {
      other!.prepare("INSERT INTO sync_runs (run_id, dataset, kind, started_at, status) VALUES ('theirs', 'organos', 'sync', '2026-12-06T00:00:00.000Z', 'running')").run();
      otherWrite = "committed";
    } catch (err) {
      otherWrite = String((err as { code?: string }).code);
    }
    await tx.insertInto("sync_runs").values(row("ours")).execute();
  });

  // Ours committed; theirs was told the file is taken (a writer with a busy timeout waits for it).
  expect(otherWrite).toBe("SQLITE_BUSY");
  const runs = await db.selectFrom("sync_runs").select("run_id").execute();
  expect(runs.map((r) => r.run_id)).toEqual(["ours"]);
});

it("a read-only snapshot does not take the write lock: it reads while another writer holds it", async () => {
  dir = mkdtempSync(join(tmpdir(), "ayida-writers-"));
  const file = join(dir, "store.db");
  const owner = await openDatabase(file);
  await owner.db.insertInto("sync_runs").values(row("r1")).execute();
  await owner.db.destroy();
  opened = await openDatabase(file, { migrate: false });
  const { RunQueries } = await import("../../src/adapters/store/run-queries.js");
  // The other connection holds the write lock meanwhile: a snapshot that asked for it would fail at once.
  const writer = new SQLite(file, { timeout: 0 });
  writer.exec("BEGIN IMMEDIATE");
  try {
    const rows = await new RunQueries(opened.db).snapshot((q) => q.rows(["r1"]));
    expect(rows.map((r) => r.run_id)).toEqual(["r1"]);
  } finally {
    writer.exec("ROLLBACK");
    writer.close();
  }
});

/**
 * After a large sync the store refreshes the planner's statistics (SQLite: PRAGMA optimize; PostgreSQL:
 * ANALYZE of the dataset's tables), so plans follow the data: a run that fetched at least
 * `analyzeAfterRows` rows does it when its last unit completes; a small one does not. On both databases,
 * through the functions against the loopback BDNS.
 */
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { makeDataset } from "../support/bdns-server.js";
import { makeDatasetsFixture } from "../support/bdns-datasets.js";
import { startJobsHarness, type JobsHarness } from "../support/jobs.js";
import { usePostgres } from "../support/postgres.js";

const TS = "2026-11-28T10:00:00.000Z";
const pg = usePostgres();

describe.each(["sqlite", "postgres"] as const)("planner statistics after a large sync on %s", (dialect) => {
  let h: JobsHarness;
  afterEach(() => h?.close());

  const start = async (analyzeAfterRows: number) => {
    const fx = makeDatasetsFixture({ concesiones: { from: "2026-09-01", to: "2026-09-07", rowsPerDay: 20 } });
    h = await startJobsHarness(makeDataset(30, { perDay: 10, docs: 0 }), { datasets: fx, pageSize: 25, analyzeAfterRows, ...(dialect === "postgres" && { databaseUrl: await pg().createDatabase() }) });
    // Only the store may analyze here: autovacuum's own analyze would blur what is asserted.
    if (dialect === "postgres") for (const t of ["concesiones", "beneficiarios_totales", "convocatorias"]) await sql`ALTER TABLE ${sql.table(t)} SET (autovacuum_enabled = false)`.execute(h.store.db);
  };
  /** Whether the planner has statistics for the table (PostgreSQL: reltuples is -1 until analyzed). */
  const analyzed = async (table: string) => {
    if (dialect === "sqlite") return Number((await sql<{ n: number }>`SELECT count(*) AS n FROM sqlite_master WHERE name = 'sqlite_stat1'`.execute(h.store.db)).rows[0]!.n) > 0 && Number((await sql<{ n: number }>`SELECT count(*) AS n FROM sqlite_stat1 WHERE tbl = ${table}`.execute(h.store.db)).rows[0]!.n) > 0;
    return Number((await sql<{ n: number }>`SELECT reltuples AS n FROM pg_class WHERE relname = ${table}`.execute(h.store.db)).rows[0]!.n) >= 0;
  };
  const errors = (runs: Awaited<ReturnType<JobsHarness["runAll"]>>) => runs.filter((r) => r.error).map((r) => `${r.name}: ${String(r.error)}`);

  it("a run of at least analyzeAfterRows rows refreshes its tables' statistics (the totals' too) when its last unit is done", async () => {
    await start(100);
    expect(await analyzed("concesiones")).toBe(false);
    expect(errors(await h.runAll({ name: "concesiones/sync.requested", data: { runId: "big", timestamp: TS, from: "2026-09-01", to: "2026-09-07" } }))).toEqual([]);
    expect(await analyzed("concesiones")).toBe(true);
    expect(await analyzed("beneficiarios_totales")).toBe(true);
    expect(h.logs.some((l) => l.msg === "planner statistics refreshed" && l.dataset === "concesiones")).toBe(true);
    expect(errors(await h.runAll({ name: "convocatorias/sync.requested", data: { runId: "conv", timestamp: TS, from: "2026-09-01", to: "2026-09-03" } }))).toEqual([]);
    expect(await analyzed("convocatorias")).toBe(false); // 30 listed < 100
  });

  it("a smaller run leaves them alone", async () => {
    await start(1_000);
    expect(errors(await h.runAll({ name: "concesiones/sync.requested", data: { runId: "small", timestamp: TS, from: "2026-09-01", to: "2026-09-07" } }))).toEqual([]);
    expect(await analyzed("concesiones")).toBe(false);
  });

  it("a large convocatorias listing refreshes convocatorias'", async () => {
    await start(20);
    expect(errors(await h.runAll({ name: "convocatorias/sync.requested", data: { runId: "conv", timestamp: TS, from: "2026-09-01", to: "2026-09-03" } }))).toEqual([]);
    expect(await analyzed("convocatorias")).toBe(true);
  });
});

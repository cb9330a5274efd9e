/**
 * Convocatorias and their documents follow the datasets' removal rule (functions/datasets/removal.ts,
 * one mechanism: adapters/store/removal-marking.ts), through the functions against the loopback BDNS,
 * on SQLite and PostgreSQL: a window's listing that no longer holds a convocatoria marks it removed (and
 * moves its last_changed_at, the feed); an empty listing marks nothing and says so; allowRemoval forces;
 * a detail that no longer lists a document marks that document removed; and a removed row that comes
 * back is live again.
 */
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeDataset } from "../support/bdns-server.js";
import { startJobsHarness, type JobsHarness } from "../support/jobs.js";
import { usePostgres } from "../support/postgres.js";

const TS = "2026-11-28T10:00:00.000Z";
const WINDOW = { from: "2026-09-01", to: "2026-09-05" };
const pg = usePostgres();

describe.each(["sqlite", "postgres"] as const)("convocatorias and documentos removed on %s", (dialect) => {
  let h: JobsHarness;
  beforeEach(async () => {
    h = await startJobsHarness(makeDataset(20, { perDay: 4, docs: 3 }), { pageSize: 7, ...(dialect === "postgres" && { databaseUrl: await pg().createDatabase() }) });
  });
  afterEach(() => h.close());

  const sync = (runId: string, extra: Record<string, unknown> = {}) => h.runAll({ name: "convocatorias/sync.requested", data: { runId, timestamp: TS, ...WINDOW, ...extra } });
  const errors = (runs: Awaited<ReturnType<typeof sync>>) => runs.filter((r) => r.error).map((r) => `${r.name} ${JSON.stringify(r.data)}: ${String(r.error)}`);
  const removed = async (table: "convocatorias" | "documentos") => (await sql.raw<{ k: string }>(`SELECT ${table === "convocatorias" ? "bdns" : "id"} AS k FROM ${table} WHERE removed_at IS NOT NULL ORDER BY 1`).execute(h.store.db)).rows.map((r) => r.k);
  const holds = async (runId: string) => (await h.store.db.selectFrom("removal_holds").selectAll().where("run_id", "=", runId).orderBy("unit").execute()).map((x) => ({ ...x, held: Number(x.held), live: Number(x.live) }));

  it("a convocatoria the window's listing no longer holds is removed, its last_changed_at moves; listed again it is back", async () => {
    expect(errors(await sync("a1"))).toEqual([]);
    expect(await removed("convocatorias")).toEqual([]);
    const gone = h.bdns.dataset.splice(5, 1)[0]!;
    const before = await h.store.getConvocatoria(gone.bdns);
    expect(errors(await sync("a2"))).toEqual([]);
    expect(await removed("convocatorias")).toEqual([gone.bdns]);
    const after = await h.store.getConvocatoria(gone.bdns);
    expect(after!.removed_at).toEqual(expect.any(String));
    expect(after!.last_changed_at).toBe(after!.removed_at);
    expect(after!.last_changed_at! > before!.last_changed_at!).toBe(true);
    expect(await h.store.getRun("a2")).toMatchObject({ status: "succeeded", removed: 1, removals_held: 0 });
    // Its documents are left as they were: the convocatoria's removal says it all.
    expect(await removed("documentos")).toEqual([]);

    h.bdns.dataset.splice(5, 0, gone);
    expect(errors(await sync("a3"))).toEqual([]);
    expect(await removed("convocatorias")).toEqual([]);
    const back = await h.store.getConvocatoria(gone.bdns);
    expect(back!.last_changed_at! > after!.last_changed_at!).toBe(true);
  });

  it("an empty listing removes nothing and is held back with its reason; allowRemoval marks them", async () => {
    expect(errors(await sync("e1"))).toEqual([]);
    const empty = { content: [], totalPages: 0, totalElements: 0, number: 0, size: 7, numberOfElements: 0, empty: true };
    h.bdns.fault((p) => p === "/convocatorias/busqueda", { status: 200, body: empty });
    expect(errors(await sync("e2"))).toEqual([]);
    expect(await removed("convocatorias")).toEqual([]);
    expect(await h.store.getRun("e2")).toMatchObject({ removed: 0, removals_held: 20 });
    expect(await holds("e2")).toEqual([expect.objectContaining({ dataset: "convocatorias", unit: `listing ${WINDOW.from}..${WINDOW.to}`, held: 20, live: 20, reason: "empty" })]);

    h.bdns.dataset.splice(0, 10);
    expect(errors(await sync("e3"))).toEqual([]);
    expect(await removed("convocatorias")).toEqual([]);
    expect(await holds("e3")).toEqual([expect.objectContaining({ held: 10, live: 20, reason: "shrink" })]);
    expect(errors(await sync("e4", { allowRemoval: true }))).toEqual([]);
    expect(await removed("convocatorias")).toHaveLength(10);
    expect(await h.store.getRun("e4")).toMatchObject({ removed: 10, removals_held: 0 });
  });

  it("a document its convocatoria's detail no longer lists is removed; one listed again is back; an empty list is held back", async () => {
    expect(errors(await sync("d1"))).toEqual([]);
    const c = h.bdns.dataset[3]!;
    const docs = c.detail.documentos as Array<{ id: number }>;
    const [dropped] = docs.splice(1, 1);
    expect(errors(await sync("d2", { full: true }))).toEqual([]);
    expect(await removed("documentos")).toEqual([String(dropped!.id)]);
    expect(await h.store.getRun("d2")).toMatchObject({ removed: 1 });

    docs.splice(1, 0, dropped!);
    expect(errors(await sync("d3", { full: true }))).toEqual([]);
    expect(await removed("documentos")).toEqual([]);

    c.detail.documentos = [];
    expect(errors(await sync("d4", { full: true }))).toEqual([]);
    expect(await removed("documentos")).toEqual([]);
    expect(await holds("d4")).toEqual([expect.objectContaining({ dataset: "convocatorias", unit: `documentos ${c.bdns}`, held: 3, live: 3, reason: "empty" })]);
    expect(errors(await sync("d5", { full: true, allowRemoval: true }))).toEqual([]);
    expect(await removed("documentos")).toHaveLength(3);
  });
});

/**
 * One canonical form for every BDNS code the store keys on, whatever the source (a listing row, a
 * detail, a dataset row that references a convocatoria), on SQLite and PostgreSQL: `0900000` is the
 * convocatoria 900000, stored once; a code that can never be valid (`0`) is a broken record, recorded
 * at once while the rest of its page is stored — never a piece retried five times over one row.
 */
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/adapters/store/db.js";
import { Store } from "../../src/adapters/store/store.js";
import { sancionKey } from "../../src/datasets/sanciones.js";
import { makeDataset } from "../support/bdns-server.js";
import { makeDatasetsFixture, requestMatches, type DatasetsFixture } from "../support/bdns-datasets.js";
import { startJobsHarness, type JobsHarness } from "../support/jobs.js";
import { usePostgres } from "../support/postgres.js";

const TS = "2026-11-28T10:00:00.000Z";
const pg = usePostgres();

const listingRow = (numeroConvocatoria: unknown, id: number) => ({ id, mrr: false, numeroConvocatoria, descripcion: `Convocatoria ${String(numeroConvocatoria)}`, descripcionLeng: null, fechaRecepcion: "2026-09-01", nivel1: "ESTADO", nivel2: null, nivel3: null, codigoInvente: null });

describe.each(["sqlite", "postgres"] as const)("BDNS codes on %s", (dialect) => {
  let h: JobsHarness;
  let fx: DatasetsFixture;
  beforeEach(async () => {
    fx = makeDatasetsFixture({ concesiones: { from: "2026-09-01", to: "2026-09-03", rowsPerDay: 4 }, sanciones: { rows: 6 } });
    h = await startJobsHarness(makeDataset(3, { firstDate: "2026-09-01", docs: 0 }), { datasets: fx, ...(dialect === "postgres" && { databaseUrl: await pg().createDatabase() }) });
  });
  afterEach(() => h.close());

  const sync = (name: string, data: Record<string, unknown>) => h.runAll({ name, data: { timestamp: TS, ...data } });
  const errors = (runs: Awaited<ReturnType<typeof sync>>) => runs.filter((r) => r.error).map((r) => `${r.name} ${JSON.stringify(r.data)}: ${String(r.error)}`);

  it("a listing row 0900000 is the convocatoria 900000, stored once; a row 0 is a broken record at once, and the rest of the page is stored", async () => {
    const page = { content: [listingRow("0900000", 1100000), listingRow("900001", 1100001), listingRow("0", 1100099), listingRow(900002, 1100002), listingRow("900000", 1100000)], totalPages: 1, totalElements: 5 };
    h.bdns.fault(requestMatches("/convocatorias/busqueda"), { status: 200, body: page });
    const runs = await sync("convocatorias/sync.requested", { runId: "k1", from: "2026-09-01", to: "2026-09-07" });
    expect(runs[0]).toMatchObject({ name: "convocatorias/sync.requested", error: undefined }); // the piece, first attempt
    expect(errors(runs)).toEqual([]);
    const stored = (await h.store.db.selectFrom("convocatorias").select(["bdns", "content_hash"]).orderBy("bdns").execute()).map((r) => [r.bdns, r.content_hash !== null]);
    expect(stored).toEqual([["900000", true], ["900001", true], ["900002", true]]);
    const details = runs.filter((r) => r.name === "convocatorias/detail.requested").map((r) => r.data.bdns);
    expect(details.sort()).toEqual(["900000", "900001", "900002"]);
    expect(await h.store.getFailures("k1")).toEqual([
      expect.objectContaining({ kind: "record", failure: "BROKEN_RECORD", reason: expect.stringMatching(/\/convocatorias\/busqueda record #2: numeroConvocatoria: .*BDNS code.*\("0"\)/) }),
    ]);
    expect(await h.store.getItem("k1", { kind: "piece", key: "2026-09-01..2026-09-07" })).toMatchObject({ state: "stored", attempt: 0 });
    expect(await h.store.getRun("k1")).toMatchObject({ status: "succeeded", listed: 4, failed: 1 });
  });

  it("a detail that writes its own code with leading zeros is stored under the canonical code", async () => {
    h.bdns.dataset[1]!.detail.codigoBDNS = "0900001";
    const runs = await sync("convocatorias/detail.requested", { runId: "k2", bdns: "900001" });
    expect(errors(runs)).toEqual([]);
    expect((await h.store.db.selectFrom("convocatorias").select("bdns").execute()).map((r) => r.bdns)).toEqual(["900001"]);
  });

  it("dataset rows reference a convocatoria by its canonical code; a sanction's key does not depend on how the code was written", async () => {
    const first = fx.concesiones.rowAt(0)!;
    fx.concesiones.patch(0, { numeroConvocatoria: `00${first.numeroConvocatoria}` });
    expect(errors(await sync("concesiones/sync.requested", { runId: "k3", from: "2026-09-01", to: "2026-09-03" }))).toEqual([]);
    const row = await sql<{ n: string }>`SELECT numero_convocatoria AS n FROM concesiones WHERE id = ${first.id}`.execute(h.store.db);
    expect(row.rows[0]!.n).toBe(first.numeroConvocatoria);

    const s = fx.sanciones.rowAt(0)! as unknown as Parameters<typeof sancionKey>[0];
    expect(sancionKey({ ...s, numeroConvocatoria: `0${s.numeroConvocatoria}` })).toBe(sancionKey(s));
    fx.sanciones.patch(0, { numeroConvocatoria: `0${String(s.numeroConvocatoria)}` });
    expect(errors(await sync("sanciones/sync.requested", { runId: "k4" }))).toEqual([]);
    const codes = (await sql<{ n: string }>`SELECT numero_convocatoria AS n FROM sanciones`.execute(h.store.db)).rows.map((r) => r.n);
    expect(codes.every((c) => /^[1-9]\d*$/.test(c))).toBe(true);
  });
});

describe.each(["sqlite", "postgres"] as const)("a store written before codes were canonical (%s)", (dialect) => {
  it("is folded on migration: 0900000 beside 900000 becomes one row, its documents and the sanctions that name it follow", async () => {
    const url = dialect === "sqlite" ? join(mkdtempSync(join(tmpdir(), "ayida-codes-")), "old.db") : await pg().createDatabase();
    const old = await openDatabase(url, { upTo: "0006_removal_holds" });
    const now = "2026-11-28T10:00:00.000Z";
    await old.db.insertInto("convocatorias").values([
      { bdns: "900000", id: 1, first_seen_at: now, content_hash: "h", detail_json: "{}" },
      { bdns: "0900000", id: 1, first_seen_at: now },
      { bdns: "0900001", id: 2, first_seen_at: now },
      { bdns: "0", id: 3, first_seen_at: now },
    ] as never).execute();
    await old.db.insertInto("documentos").values({ id: "77", bdns: "0900001", first_seen_at: now, updated_at: now } as never).execute();
    await sql`INSERT INTO sanciones (sancion_key, numero_convocatoria, raw_json, content_hash, first_seen_at, last_seen_at, last_changed_at) VALUES ('k5', '0900001', '{}', 'h', ${now}, ${now}, ${now}), ('k6', 'ABC', '{}', 'h', ${now}, ${now}, ${now})`.execute(old.db);
    await old.db.destroy();

    const store = await Store.open(url);
    try {
      expect((await store.db.selectFrom("convocatorias").select(["bdns", "content_hash"]).orderBy("bdns").execute()).map((r) => [r.bdns, r.content_hash])).toEqual([["900000", "h"], ["900001", null]]);
      expect(await store.getDocument("77")).toMatchObject({ bdns: "900001" });
      expect((await sql<{ n: string }>`SELECT numero_convocatoria AS n FROM sanciones ORDER BY sancion_key`.execute(store.db)).rows.map((r) => r.n)).toEqual(["900001", "ABC"]);
    } finally {
      await store.close();
    }
  });
});

/** The store on a real SQLite file in a temp directory. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { detailSchema, searchRowSchema } from "../../src/adapters/bdns/schemas.js";
import { canonicalJson, contentHash, Store } from "../../src/adapters/store/store.js";
import { makeDataset } from "../support/bdns-server.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";

let pgServer: TestPostgres;
beforeAll(async () => {
  pgServer = await startPostgres();
}, 60_000);
afterAll(() => pgServer?.stop());

const data = makeDataset(3);
const rows = data.map((c) => searchRowSchema.parse({ id: 1, numeroConvocatoria: c.bdns, descripcion: `row ${c.bdns}`, fechaRecepcion: c.fechaRecepcion, nivel1: "LOCAL" }));
const detailOf = (i: number, patch: Record<string, unknown> = {}) => {
  const raw = { ...data[i]!.detail, ...patch };
  return { detail: detailSchema.parse(raw), raw };
};

// The same queries, the same assertions, on both databases the store supports.
describe.each(["sqlite", "postgres"] as const)("Store on %s", (dialect) => {
  let store: Store;
  let file: string;
  beforeEach(async () => {
    file = dialect === "sqlite" ? join(mkdtempSync(join(tmpdir(), "ayida-store-")), "nested", "ayida.db") : await pgServer.createDatabase();
    store = await Store.open(file);
    expect(store.dialect).toBe(dialect);
  });
  afterEach(() => store.close());

  it("creates the database and migrates once; reopening keeps the data", async () => {
    await store.upsertListing(rows, "r");
    await store.close();
    store = await Store.open(file);
    expect(await store.getConvocatoria(rows[0]!.numeroConvocatoria)).toMatchObject({ descripcion: `row ${rows[0]!.numeroConvocatoria}`, nivel1: "LOCAL" });
  });

  it("upserts listing rows without duplicates and reports which have no detail", async () => {
    expect((await store.upsertListing([...rows, rows[0]!], "r1")).withoutDetail).toEqual(rows.map((r) => r.numeroConvocatoria));
    const { detail, raw } = detailOf(0);
    await store.upsertDetail(detail, raw, "r1");
    expect((await store.upsertListing(rows, "r2")).withoutDetail).toEqual(rows.slice(1).map((r) => r.numeroConvocatoria));
    const count = await store.db.selectFrom("convocatorias").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    expect(count.n).toBe(3);
    // the listing never overwrites the detail
    expect((await store.getConvocatoria(detail.codigoBDNS))!.content_hash).toBe(contentHash(raw));
  });

  it("classifies details as new, unchanged and changed by content hash", async () => {
    const a = detailOf(1);
    expect(await store.upsertDetail(a.detail, a.raw, "r")).toBe("new");
    const first = await store.getConvocatoria(a.detail.codigoBDNS);
    expect(await store.upsertDetail(a.detail, a.raw, "r")).toBe("unchanged");
    const b = detailOf(1, { presupuestoTotal: 99 });
    expect(await store.upsertDetail(b.detail, b.raw, "r")).toBe("changed");
    const after = await store.getConvocatoria(a.detail.codigoBDNS);
    expect(after).toMatchObject({ presupuesto_total: 99, first_seen_at: first!.first_seen_at });
    expect(after!.content_hash).not.toBe(first!.content_hash);
  });

  it("queues documents never stored, or whose announced size or date changed", async () => {
    const docs = detailOf(0).detail.documentos!;
    expect(await store.upsertDocuments("900000", docs)).toEqual(docs.map((d) => String(d.id)));
    await store.markDocumentStored(String(docs[0]!.id), { sha256: "a".repeat(64), size: docs[0]!.long!, path: "p" });
    expect(await store.upsertDocuments("900000", docs)).toEqual([String(docs[1]!.id)]);
    expect(await store.upsertDocuments("900000", [{ ...docs[0]!, long: 1 }, docs[1]!])).toEqual(docs.map((d) => String(d.id)));
  });

  it("keeps run counters and records each failure once", async () => {
    await store.ensureRun("run", "sync", { from: "2026-01-01", to: "2026-01-07" });
    await store.ensureRun("run", "detail"); // an existing run keeps its kind and window
    await store.setPieces("run", 2);
    await store.count("run", "listed", 10);
    await store.count("run", "new");
    await store.recordFailure("run", { bdns: "1", failure: "NOT_FOUND", reason: "x".repeat(900) });
    await store.recordFailure("run", { bdns: "1", failure: "NOT_FOUND", reason: "again" });
    expect(await store.completePiece("run")).toEqual({ done: 1, of: 2 });
    expect(await store.getRun("run")).toMatchObject({ kind: "sync", window_from: "2026-01-01", status: "running", listed: 10, new: 1, failed: 1 });
    expect(await store.completePiece("run")).toEqual({ done: 2, of: 2 });
    expect(await store.getRun("run")).toMatchObject({ status: "succeeded", finished_at: expect.any(String) });
    const failures = await store.getFailures("run");
    expect(failures).toHaveLength(1);
    expect(failures[0]!.reason).toHaveLength(500);
  });

});

describe("content hash", () => {
  it("hashes canonically: key order does not matter, array order does", () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 1, c: null }] })).toBe('{"a":[2,{"c":null,"d":1}],"b":1}');
    expect(contentHash({ a: 1, b: 2 })).toBe(contentHash({ b: 2, a: 1 }));
    expect(contentHash([1, 2])).not.toBe(contentHash([2, 1]));
  });
});

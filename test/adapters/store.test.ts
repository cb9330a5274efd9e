/** The store on a real SQLite file in a temp directory. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { detailSchema, searchRowSchema } from "../../src/adapters/bdns/schemas.js";
import { canonicalJson, contentHash, Store, workItem, type WorkItem } from "../../src/adapters/store/store.js";
import { makeDataset } from "../support/bdns-server.js";
import { openDatabase } from "../../src/adapters/store/db.js";
import { sql } from "kysely";
import { startChild } from "../support/children.js";
import { usePostgres } from "../support/postgres.js";

const pgServer = usePostgres();

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
    file = dialect === "sqlite" ? join(mkdtempSync(join(tmpdir(), "ayida-store-")), "nested", "ayida.db") : await pgServer().createDatabase();
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

  it("carries a database of the first schema over: its runs, their failures as failed items, stored documents' revisions", async () => {
    await store.close();
    const old = dialect === "sqlite" ? join(mkdtempSync(join(tmpdir(), "ayida-store-")), "v1.db") : await pgServer().createDatabase();
    const { db } = await openDatabase(old, { upTo: "0001_initial" });
    await sql`INSERT INTO sync_runs (run_id, kind, started_at, status, failed) VALUES ('old-run', 'sync', '2026-01-01T00:00:00.000Z', 'succeeded', 2)`.execute(db);
    await sql`INSERT INTO sync_failures (run_id, bdns, document_id, failure, reason, at) VALUES ('old-run', '123', '', 'NOT_FOUND', 'gone', '2026-01-01T00:00:01.000Z'), ('old-run', '123', '77', 'UNKNOWN_DOCUMENT', 'not listed', '2026-01-01T00:00:02.000Z')`.execute(db);
    await sql`INSERT INTO documentos (id, bdns, dat_mod, stored_at, first_seen_at, updated_at) VALUES ('77', '123', '2025-12-31', '2026-01-01T00:00:03.000Z', 'x', 'x')`.execute(db);
    await db.destroy();
    store = await Store.open(old);
    expect(await store.getRun("old-run")).toMatchObject({ dataset: "convocatorias", kind: "sync", status: "succeeded", failed: 2, fetched: 0, removed: 0 });
    expect((await store.getItems("old-run")).map((i) => [i.kind, i.item, i.state, i.failure])).toEqual([
      ["detail", "123", "failed", "NOT_FOUND"],
      ["document", "123/77", "failed", "UNKNOWN_DOCUMENT"],
    ]);
    expect(await store.getFailures("old-run")).toEqual([
      expect.objectContaining({ bdns: "123", document_id: "", failure: "NOT_FOUND", reason: "gone", at: "2026-01-01T00:00:01.000Z" }),
      expect.objectContaining({ bdns: "123", document_id: "77", failure: "UNKNOWN_DOCUMENT" }),
    ]);
    expect(await store.getDocument("77")).toMatchObject({ stored_dat_mod: "2025-12-31" });
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

  it("a detail with a NUL in its texts and a deadline no calendar has is stored (PostgreSQL's text, date and jsonb refuse them as sent)", async () => {
    const a = detailOf(2, { descripcion: "Ayudas\u0000 2026", fechaFinSolicitud: "2026-02-30", fechaInicioSolicitud: "2026-02-01" });
    expect(await store.upsertDetail(a.detail, a.raw, "r")).toBe("new");
    const c = await store.getConvocatoria(a.detail.codigoBDNS);
    expect(c).toMatchObject({ descripcion: "Ayudas 2026", fecha_inicio_solicitud: "2026-02-01", fecha_fin_solicitud: null });
    expect(JSON.parse(c!.detail_json!)).toMatchObject({ descripcion: "Ayudas 2026", fechaFinSolicitud: "2026-02-30" });
  });

  it("queues documents never stored, or whose stored file is not the revision BDNS announces (size or date)", async () => {
    const docs = detailOf(0).detail.documentos!;
    expect(await store.upsertDocuments("900000", docs)).toEqual(docs.map((d) => String(d.id)));
    await store.markDocumentStored(String(docs[0]!.id), { sha256: "a".repeat(64), size: docs[0]!.long!, path: "p", datMod: docs[0]!.datMod });
    expect(await store.upsertDocuments("900000", docs)).toEqual([String(docs[1]!.id)]);
    expect(await store.upsertDocuments("900000", [{ ...docs[0]!, long: 1 }, docs[1]!])).toEqual(docs.map((d) => String(d.id)));
    // same size, new date: a new revision, queued — and queued again next time, until it is stored
    const revised = { ...docs[0]!, datMod: "2027-01-02" };
    expect(await store.upsertDocuments("900000", [revised])).toEqual([String(revised.id)]);
    expect(await store.upsertDocuments("900000", [revised])).toEqual([String(revised.id)]);
    await store.markDocumentStored(String(revised.id), { sha256: "b".repeat(64), size: revised.long!, path: "p", datMod: revised.datMod });
    expect(await store.upsertDocuments("900000", [revised])).toEqual([]);
    expect(await store.getDocument(String(revised.id))).toMatchObject({ stored_dat_mod: "2027-01-02", dat_mod: "2027-01-02", sha256: "b".repeat(64) });
  });

  it("keeps run counters and pieces; a run succeeds when its last piece is done", async () => {
    await store.ensureRun("run", "sync", { from: "2026-01-01", to: "2026-01-07" });
    await store.ensureRun("run", "detail"); // an existing run keeps its kind and window
    await store.setPieces("run", 2);
    await store.count("run", "listed", 10);
    await store.count("run", "new");
    expect(await store.completePiece("run")).toEqual({ done: 1, of: 2 });
    expect(await store.getRun("run")).toMatchObject({ kind: "sync", window_from: "2026-01-01", status: "running", listed: 10, new: 1 });
    expect(await store.completePiece("run")).toEqual({ done: 2, of: 2 });
    expect(await store.getRun("run")).toMatchObject({ status: "succeeded", finished_at: expect.any(String) });
  });

  it("files each item of a run: queued, failing with attempt n of m, then its outcome; a failure counted once", async () => {
    await store.ensureRun("items", "sync");
    const [a, b, c] = ["1", "2", "3"].map(workItem.detail) as [WorkItem, WorkItem, WorkItem];
    await store.queueItems("items", [a, b, c]);
    await store.itemFailing("items", a, { attempt: 1, maxAttempts: 6, failure: "SERVER", reason: "500", nextAttemptAt: "2026-01-01T00:00:10.000Z" });
    expect(await store.getItem("items", a)).toMatchObject({ state: "failing", attempt: 1, max_attempts: 6, failure: "SERVER", reason: "500", next_attempt_at: "2026-01-01T00:00:10.000Z" });
    await store.itemDone("items", a, "stored");
    expect(await store.getItem("items", a)).toMatchObject({ state: "stored", failure: null, reason: null, next_attempt_at: null });
    await store.queueItems("items", [a]); // a retried fan-out step does not undo progress
    expect((await store.getItem("items", a))!.state).toBe("stored");
    await store.itemDone("items", b, "unchanged");
    await store.recordFailure("items", c, { failure: "NOT_FOUND", reason: "x".repeat(900) });
    await store.recordFailure("items", c, { failure: "RETRIES_EXHAUSTED", reason: "again" }); // the failure handler after it
    await store.itemFailing("items", c, { attempt: 2, maxAttempts: 6, failure: "SERVER", reason: "late", nextAttemptAt: null }); // never reopens it
    expect(await store.getItem("items", c)).toMatchObject({ state: "failed", failure: "NOT_FOUND" });
    expect((await store.getItem("items", c))!.reason).toHaveLength(500);
    expect(await store.getFailures("items")).toEqual([expect.objectContaining({ bdns: "3", document_id: "", failure: "NOT_FOUND" })]);
    expect((await store.getRun("items"))!.failed).toBe(1);
    expect((await store.getItems("items")).map((i) => [i.item, i.state])).toEqual([["1", "stored"], ["2", "unchanged"], ["3", "failed"]]);
  });

  it("a document item names its document in the failures list", async () => {
    await store.ensureRun("docs", "document");
    await store.recordFailure("docs", workItem.document("900000", "77"), { failure: "UNKNOWN_DOCUMENT", reason: "not listed" });
    expect(await store.getFailures("docs")).toEqual([expect.objectContaining({ bdns: "900000", document_id: "77" })]);
  });
});

describe.each(["sqlite", "postgres"] as const)("a fleet starting at once on a new %s database", (dialect) => {
  it("every process migrates or finds it migrated: none fails, and the schema is there once", async () => {
    const url = dialect === "sqlite" ? join(mkdtempSync(join(tmpdir(), "ayida-fleet-")), "ayida.db") : await pgServer().createDatabase();
    const children = await Promise.all(Array.from({ length: 4 }, () => startChild("test/support/migrate-worker.ts", [url])));
    for (const c of children) expect(await c.line()).toBe("ready");
    for (const c of children) c.send("go");
    const answers = await Promise.all(children.map((c) => c.line()));
    expect(answers).toEqual(["ok", "ok", "ok", "ok"]);
    const store = await Store.open(url);
    try {
      const applied = await store.db.selectFrom("kysely_migration" as never).select("name" as never).execute();
      expect(applied.length).toBe(new Set(applied.map((r) => (r as { name: string }).name)).size);
      expect(await store.getRun("none")).toBeUndefined(); // the tables answer
    } finally {
      await store.close();
    }
  }, 60_000);
});

describe("a fleet starting at once on a new sqlite database, one of them slow", () => {
  // A process that is creating or migrating the file can hold it for longer than the store's busy
  // timeout (a slow disk's fsync under load). The others must wait for it behind the migration lock,
  // however long it takes, not fail with "database is locked" because they touched the file first.
  it("a process opening it waits for the one holding the migration lock, past the busy timeout", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "ayida-fleet-slow-")), "ayida.db");
    const holder = await startChild("test/support/sqlite-holder.ts", [file]);
    expect(await holder.line()).toBe("holding");
    const opener = await startChild("test/support/migrate-worker.ts", [file]);
    expect(await opener.line()).toBe("ready");
    opener.send("go");
    const answer = opener.line();
    // Longer than the 5 s busy timeout: time for an opener that does not wait on the lock to give up.
    const early = await Promise.race([answer, new Promise<undefined>((r) => setTimeout(() => r(undefined), 6_500))]);
    expect(early, "the opener answered while the lock was still held").toBeUndefined();
    holder.send("release");
    expect(await holder.line()).toBe("released");
    expect(await answer).toBe("ok");
    const store = await Store.open(file);
    try {
      expect(await store.getRun("none")).toBeUndefined(); // migrated
    } finally {
      await store.close();
    }
  }, 60_000);
});

describe("content hash", () => {
  it("hashes canonically: key order does not matter, array order does", () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 1, c: null }] })).toBe('{"a":[2,{"c":null,"d":1}],"b":1}');
    expect(contentHash({ a: 1, b: 2 })).toBe(contentHash({ b: 2, a: 1 }));
    expect(contentHash([1, 2])).not.toBe(contentHash([2, 1]));
  });
});

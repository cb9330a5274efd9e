/**
 * The functions in-process with @inngest/test, against real parts: a loopback BDNS, a loopback event
 * API (fan-out really goes over the wire), a real SQLite file and a real documents folder.
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, existsSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InngestTestEngine, mockCtx } from "@inngest/test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { documentBytes, makeDataset } from "../support/bdns-server.js";
import { startJobsHarness, type JobsHarness } from "../support/jobs.js";
import { sql } from "kysely";
import { workItem } from "../../src/adapters/store/store.js";

const TS = "2026-11-28T10:00:00.000Z";
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
let h: JobsHarness;

/** Run one function once; `attempt` is Inngest's zero-based attempt of the step (a retry when > 0). */
async function run(fnIndex: number, name: string, data: Record<string, unknown>, attempt = 0) {
  const t = new InngestTestEngine({
    function: h.fns[fnIndex]! as never,
    events: [{ name, data }] as never,
    transformCtx: (ctx) => ({ ...mockCtx(ctx), attempt }),
  });
  return t.execute();
}
const sync = (data: Record<string, unknown>) => run(0, "convocatorias/sync.requested", { timestamp: TS, ...data });
const piece = (data: Record<string, unknown>) => run(1, "convocatorias/sync.piece.requested", { timestamp: TS, ...data });
const detail = (bdns: string, runId: string, attempt = 0) => run(2, "convocatorias/detail.requested", { bdns, runId, timestamp: TS }, attempt);
const document = (bdns: string, documentId: string, runId: string) => run(3, "documents/storage.requested", { bdns, documentId, runId, timestamp: TS });

describe("createConvocatoriaJobs", () => {
  beforeEach(async () => {
    h = await startJobsHarness(makeDataset(23, { firstDate: "2026-09-01", perDay: 5 }), { pageSize: 4 });
  });
  afterEach(() => h.close());

  it("lists every page and fans out one detail event per new convocatoria, with the runId and deterministic ids", async () => {
    const { result, error } = await sync({ runId: "s1", from: "2026-09-01", to: "2026-09-07" });
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ listed: 23, queued: 23, piecesDone: 1, pieces: 1 });
    expect(h.bdns.count("/convocatorias/busqueda")).toBe(6); // 23 rows, 4 per page
    const sent = h.events.events();
    expect(sent).toHaveLength(23);
    expect(sent.map((e) => e.data.bdns)).toEqual(h.bdns.dataset.map((c) => c.bdns));
    for (const e of sent) {
      expect(e).toMatchObject({ name: "convocatorias/detail.requested", data: { runId: "s1", timestamp: TS }, id: `convocatorias/detail.requested?bdns=${e.data.bdns}&runId=s1` });
    }
    const items = await h.store.getItems("s1");
    expect(items.filter((i) => i.kind === "detail").map((i) => [i.item, i.state])).toEqual(h.bdns.dataset.map((c) => [c.bdns, "queued"]));
    expect(items.filter((i) => i.kind === "piece").map((i) => [i.item, i.state])).toEqual([["2026-09-01..2026-09-07", "stored"]]);
    const runRow = await h.store.getRun("s1");
    expect(runRow).toMatchObject({ kind: "sync", window_from: "2026-09-01", window_to: "2026-09-07", status: "succeeded", listed: 23, queued: 23, pieces: 1, pieces_done: 1 });
    expect(runRow!.finished_at).not.toBeNull();
    const page = h.bdns.requests.find((r) => r.path === "/convocatorias/busqueda")!;
    expect(page.params.get("fechaDesde")).toBe("01/09/2026");
    expect(page.params.get("fechaHasta")).toBe("07/09/2026");
  });

  it("a `sync all` request: convocatorias' sync files every dataset the request named, each as requested until its own function picks it up", async () => {
    const all = ["convocatorias", "organos", "minimis"];
    const { error } = await sync({ runId: "s-all", from: "2026-09-01", to: "2026-09-07", datasets: all });
    expect(error).toBeUndefined();
    const rows = await h.store.getRunRows("s-all");
    expect(rows.map((r) => [r.dataset, r.kind, r.status])).toEqual([
      ["convocatorias", "sync", "succeeded"],
      ["minimis", "sync", "requested"],
      ["organos", "sync", "requested"],
    ]);
  });

  it("without a window, syncs the 7 days ending the day before the request was made", async () => {
    const { result, error } = await sync({ runId: "dflt", timestamp: "2026-09-08T23:59:00.000Z" });
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ from: "2026-09-01", to: "2026-09-07", listed: 23 });
    expect(await h.store.getRun("dflt")).toMatchObject({ window_from: "2026-09-01", window_to: "2026-09-07" });
  });

  it("fans out only convocatorias without a stored detail, unless full", async () => {
    await sync({ runId: "a", from: "2026-09-01", to: "2026-09-07" });
    await detail("900000", "a");
    await detail("900001", "a");
    const before = h.events.events().length;
    const { result } = await sync({ runId: "b", from: "2026-09-01", to: "2026-09-07" });
    expect(result).toMatchObject({ listed: 23, queued: 21 });
    const again = h.events.events().slice(before).filter((e) => e.name === "convocatorias/detail.requested");
    expect(again.map((e) => e.data.bdns)).not.toContain("900000");
    const { result: full } = await sync({ runId: "c", from: "2026-09-01", to: "2026-09-07", full: true });
    expect(full).toMatchObject({ listed: 23, queued: 23 });
  });

  it("splits a long window into ≤ 7-day pieces, each its own event", async () => {
    const { result, error } = await sync({ runId: "bf", from: "2026-08-01", to: "2026-09-20" });
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ pieces: 8 });
    const pieces = h.events.events();
    expect(pieces.map((e) => [e.data.from, e.data.to])).toEqual([
      ["2026-08-01", "2026-08-07"], ["2026-08-08", "2026-08-14"], ["2026-08-15", "2026-08-21"], ["2026-08-22", "2026-08-28"],
      ["2026-08-29", "2026-09-04"], ["2026-09-05", "2026-09-11"], ["2026-09-12", "2026-09-18"], ["2026-09-19", "2026-09-20"],
    ]);
    expect(pieces[0]).toMatchObject({ name: "convocatorias/sync.piece.requested", id: "convocatorias/sync.piece.requested?from=2026-08-01&to=2026-08-07&runId=bf" });
    expect(h.bdns.count("/convocatorias/busqueda")).toBe(0);
    expect((await h.store.getItems("bf")).map((i) => [i.kind, i.state])).toEqual(Array(8).fill(["piece", "queued"]));

    // the pieces, run by the piece function, complete the run
    for (const p of pieces) expect((await piece(p.data)).error).toBeUndefined();
    expect((await h.store.getItems("bf")).filter((i) => i.kind === "piece").map((i) => i.state)).toEqual(Array(8).fill("stored"));
    expect(await h.store.getRun("bf")).toMatchObject({ status: "succeeded", pieces: 8, pieces_done: 8, listed: 23, queued: 23 });
  });

  it("a rejected listing request fails without retries and is recorded", async () => {
    h.bdns.fault((p) => p === "/convocatorias/busqueda", { status: 400, body: { codigo: "ERR_VALIDACION", error: null, errores: ["Alguno de los parámetros de la petición no es correcto."] } });
    const { error } = await sync({ runId: "bad", from: "2026-09-01", to: "2026-09-02" });
    expect(error).toMatchObject({ name: "NonRetriableError" });
    expect(await h.store.getFailures("bad")).toEqual([expect.objectContaining({ failure: "VALIDATION", bdns: "" })]);
    expect(await h.store.getItems("bad")).toEqual([expect.objectContaining({ kind: "piece", item: "2026-09-01..2026-09-02", state: "failed", failure: "VALIDATION" })]);
  });
});

describe("processConvocatoriaDetail and processDocumentStorage", () => {
  beforeEach(async () => {
    h = await startJobsHarness(makeDataset(3, { docs: 2 }));
  });
  afterEach(() => h.close());

  it("stores the detail and fans out storage events for its documents only once", async () => {
    const { result, error } = await detail("900001", "d1");
    expect(error).toBeUndefined();
    expect(result).toEqual({ bdns: "900001", outcome: "new", documents: 2, queued: 2 });
    const row = await h.store.getConvocatoria("900001");
    expect(row).toMatchObject({ bdns: "900001", descripcion: "Convocatoria de prueba 900001", nivel1: "AUTONOMICA", presupuesto_total: 4250000.5, abierto: 0, fecha_inicio_solicitud: "2026-10-01" });
    expect(JSON.parse(row!.detail_json!)).not.toHaveProperty("advertencia");
    expect(row!.content_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(h.events.events()).toEqual([
      expect.objectContaining({ name: "documents/storage.requested", data: { bdns: "900001", documentId: "9000010", runId: "d1", timestamp: TS }, id: "documents/storage.requested?bdns=900001&documentId=9000010&runId=d1" }),
      expect.objectContaining({ data: expect.objectContaining({ documentId: "9000011" }) }),
    ]);

    // not stored yet: a later run queues them again (under its own runId)
    expect((await detail("900001", "d2")).result).toEqual({ bdns: "900001", outcome: "unchanged", documents: 2, queued: 2 });
    for (const id of ["9000010", "9000011"]) expect((await document("900001", id, "d2")).result).toMatchObject({ status: "stored" });
    const sent = h.events.events().length;
    const third = await detail("900001", "d3");
    expect(third.result).toEqual({ bdns: "900001", outcome: "unchanged", documents: 2, queued: 0 });
    expect(h.events.events()).toHaveLength(sent);
    expect(await h.store.getRun("d3")).toMatchObject({ kind: "detail", unchanged: 1, new: 0 });
  });

  it("a changed detail is counted as changed; a document with a new size is queued again", async () => {
    await detail("900002", "c1");
    for (const id of ["9000020", "9000021"]) await document("900002", id, "c1");
    const c = h.bdns.dataset[2]!;
    c.documents[0]!.long += 10;
    (c.detail.documentos as Array<{ long: number }>)[0]!.long = c.documents[0]!.long;
    const { result } = await detail("900002", "c2");
    expect(result).toMatchObject({ outcome: "changed", queued: 1 });
    expect(h.events.events().at(-1)!.data.documentId).toBe("9000020");
  });

  it("a document lands byte-identical with its sha256, and is not downloaded twice", async () => {
    await detail("900000", "f1");
    const { result, error } = await document("900000", "9000000", "f1");
    expect(error).toBeUndefined();
    const doc = h.bdns.dataset[0]!.documents[0]!;
    const expected = documentBytes(doc);
    const sha = createHash("sha256").update(expected).digest("hex");
    expect(result).toEqual({ status: "stored", path: "900000/9000000-Resolucio_900000.pdf", sha256: sha, size: doc.long });
    expect(readFileSync(join(h.dir, "documents", "900000", "9000000-Resolucio_900000.pdf")).equals(expected)).toBe(true);
    expect(await h.store.getDocument("9000000")).toMatchObject({ sha256: sha, stored_size: doc.long, stored_path: "900000/9000000-Resolucio_900000.pdf" });

    const downloads = h.bdns.count("/convocatorias/documentos");
    const again = await document("900000", "9000000", "f2");
    expect(again.result).toMatchObject({ status: "skipped", sha256: sha });
    expect(h.bdns.count("/convocatorias/documentos")).toBe(downloads);
  });

  it("a stored document is recorded, counted and closed together: a failure between them leaves none of the three", async () => {
    await detail("900000", "atomic");
    // The store refuses to close the document's item (a full disk, a lost connection, a kill).
    await sql`CREATE TRIGGER refuse_item BEFORE UPDATE ON run_items WHEN NEW.kind = 'document' AND NEW.state = 'stored' BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`.execute(h.store.db);
    const failed = await document("900000", "9000000", "atomic");
    expect(failed.error).toBeDefined();
    expect(await h.store.getDocument("9000000")).toMatchObject({ stored_at: null, sha256: null });
    expect(await h.store.getRun("atomic")).toMatchObject({ documents_stored: 0 });

    // The retry stores it as the first attempt would have: counted once, its item 'stored'.
    await sql`DROP TRIGGER refuse_item`.execute(h.store.db);
    expect((await document("900000", "9000000", "atomic")).result).toMatchObject({ status: "stored" });
    expect(await h.store.getRun("atomic")).toMatchObject({ documents_stored: 1 });
    const items = await h.store.db.selectFrom("run_items").select(["item", "state"]).where("run_id", "=", "atomic").where("kind", "=", "document").execute();
    expect(items).toContainEqual({ item: "900000/9000000", state: "stored" });
  });

  it("a file name from BDNS cannot escape its folder", async () => {
    const { result } = await document("900000", "9000001", "esc"); // nombreFic "../Anexo 1.docx"; metadata fetched first
    expect(result).toMatchObject({ status: "stored", path: "900000/9000001-Anexo_1.docx" });
    expect(readdirSync(join(h.dir, "documents"))).toEqual(["900000"]);
  });

  it("a body shorter than announced leaves no file and is retried", async () => {
    await detail("900000", "s1");
    h.bdns.fault((p) => p === "/convocatorias/documentos", "short-file");
    const { error } = await document("900000", "9000000", "s1");
    expect((error as Error | undefined)?.message).toMatch(/document body is \d+ bytes, BDNS announced \d+/);
    expect((error as Error | undefined)?.name).not.toBe("NonRetriableError");
    expect(readdirSync(join(h.dir, "documents", "900000"))).toEqual([]);
    expect((await h.store.getDocument("9000000"))!.stored_at).toBeNull();
  });

  it("an unknown code fails without retries and is recorded with the reason", async () => {
    const { error } = await detail("123", "u1");
    expect(error).toMatchObject({ name: "NonRetriableError", message: expect.stringContaining("no such record") });
    expect(await h.store.getFailures("u1")).toEqual([expect.objectContaining({ bdns: "123", document_id: "", failure: "NOT_FOUND" })]);
    expect(await h.store.getRun("u1")).toMatchObject({ failed: 1 });
  });

  it("a broken record (HTML) fails without retries", async () => {
    h.bdns.fault((p) => p === "/convocatorias", "html");
    const { error } = await detail("900000", "h1");
    expect(error).toMatchObject({ name: "NonRetriableError", message: expect.stringContaining("HTML") });
    expect(await h.store.getFailures("h1")).toEqual([expect.objectContaining({ failure: "BROKEN_RECORD" })]);
  });

  it("an unknown document fails without retries", async () => {
    await detail("900000", "x1");
    const { error } = await document("900000", "777", "x1");
    expect(error).toMatchObject({ name: "NonRetriableError", message: "document 777 is not listed in convocatoria 900000" });
    expect(await h.store.getFailures("x1")).toEqual([expect.objectContaining({ document_id: "777", failure: "UNKNOWN_DOCUMENT" })]);
  });

  it("429 and maintenance that outlast the client's quick retries ask Inngest to retry later", async () => {
    h.bdns.fault((p) => p === "/convocatorias", { status: 429 }, { status: 429 }, { status: 429 });
    const limited = await detail("900000", "r1");
    expect(limited.error).toMatchObject({ name: "RetryAfterError" });
    h.bdns.fault((p) => p === "/convocatorias", "maintenance-200", "maintenance-200", "maintenance-200");
    const maintenance = await detail("900000", "r2");
    expect(maintenance.error).toMatchObject({ name: "RetryAfterError", message: expect.stringContaining("ERR_MANTENIMIENTO_BBDD") });
    // one hiccup is absorbed by the client
    h.bdns.fault((p) => p === "/convocatorias", { status: 500 });
    expect((await detail("900000", "r3")).result).toMatchObject({ outcome: "new" });
  });

  it("running everything twice changes nothing and downloads nothing again", async () => {
    const all = async (runId: string) => {
      for (const c of h.bdns.dataset) {
        await detail(c.bdns, runId);
        for (const d of c.documents) await document(c.bdns, String(d.id), runId);
      }
    };
    await all("once");
    const snapshot = async () => ({
      conv: await h.store.db.selectFrom("convocatorias").select(["bdns", "content_hash", "detail_json", "last_changed_at"]).orderBy("bdns").execute(),
      docs: await h.store.db.selectFrom("documentos").select(["id", "sha256", "stored_path", "stored_at"]).orderBy("id").execute(),
    });
    const before = await snapshot();
    const downloads = h.bdns.count("/convocatorias/documentos");
    await all("twice");
    expect(await snapshot()).toEqual(before);
    expect(h.bdns.count("/convocatorias/documentos")).toBe(downloads);
    expect(await h.store.getRun("twice")).toMatchObject({ unchanged: 3, new: 0, changed: 0, documents_stored: 0 });
  });

  it("a document whose date changed but size did not is fetched again exactly once, and the file replaced", async () => {
    await detail("900000", "v1");
    for (const id of ["9000000", "9000001"]) await document("900000", id, "v1");
    const doc = h.bdns.dataset[0]!.documents[0]!;
    const path = join(h.dir, "documents", "900000", "9000000-Resolucio_900000.pdf");
    const first = readFileSync(path);
    // BDNS publishes a corrected file of the same size under a new modification date
    doc.rev = 2;
    doc.datMod = "2026-10-15";
    (h.bdns.dataset[0]!.detail.documentos as Array<{ id: number; datMod: string }>)[0]!.datMod = doc.datMod;
    expect((await detail("900000", "v2")).result).toMatchObject({ queued: 1 });
    const downloads = h.bdns.count("/convocatorias/documentos");
    expect((await document("900000", "9000000", "v2")).result).toMatchObject({ status: "stored", sha256: sha256(documentBytes(doc)) });
    expect(h.bdns.count("/convocatorias/documentos")).toBe(downloads + 1);
    const second = readFileSync(path);
    expect(second.equals(documentBytes(doc))).toBe(true);
    expect(second.equals(first)).toBe(false);
    // once: the next detail run queues nothing, and a stray request downloads nothing
    expect((await detail("900000", "v3")).result).toMatchObject({ queued: 0 });
    expect((await document("900000", "9000000", "v3")).result).toMatchObject({ status: "skipped" });
    expect(h.bdns.count("/convocatorias/documentos")).toBe(downloads + 1);
  });

  it("a stored file corrupted on disk is fetched again: the skip re-hashes the file, it does not trust the row", async () => {
    await detail("900000", "k1");
    await document("900000", "9000000", "k1");
    const path = join(h.dir, "documents", "900000", "9000000-Resolucio_900000.pdf");
    const good = readFileSync(path);
    writeFileSync(path, Buffer.alloc(good.length, 0x58)); // same size, other bytes
    const downloads = h.bdns.count("/convocatorias/documentos");
    expect((await document("900000", "9000000", "k2")).result).toMatchObject({ status: "stored" });
    expect(h.bdns.count("/convocatorias/documentos")).toBe(downloads + 1);
    expect(readFileSync(path).equals(good)).toBe(true);
  });

  it("a stored file replaced or removed on disk is noticed when its detail is fetched again (sync --full), fetched again and repaired; an intact one is not", async () => {
    await detail("900000", "r1");
    for (const id of ["9000000", "9000001"]) await document("900000", id, "r1");
    const [a, b] = h.bdns.dataset[0]!.documents;
    const pathA = join(h.dir, "documents", "900000", "9000000-Resolucio_900000.pdf");
    const pathB = join(h.dir, "documents", "900000", "9000001-Anexo_1.docx");
    // Another deployment sharing the folder wrote its own file there: same size, later (its mtime).
    writeFileSync(pathA, Buffer.alloc(a!.long, 0x58));
    utimesSync(pathA, new Date(Date.now() + 10_000), new Date(Date.now() + 10_000));
    expect((await detail("900000", "r2")).result).toMatchObject({ outcome: "unchanged", queued: 1 }); // only the replaced one
    expect(h.events.events().at(-1)!.data).toMatchObject({ documentId: "9000000", runId: "r2" });
    expect((await document("900000", "9000000", "r2")).result).toMatchObject({ status: "stored" });
    expect(readFileSync(pathA).equals(documentBytes(a!))).toBe(true);
    // Removed, or cut to another size: the same.
    rmSync(pathB);
    expect((await detail("900000", "r3")).result).toMatchObject({ queued: 1 });
    expect((await document("900000", "9000001", "r3")).result).toMatchObject({ status: "stored" });
    expect(readFileSync(pathB).equals(documentBytes(b!))).toBe(true);
    // Intact: nothing queued, nothing downloaded.
    const downloads = h.bdns.count("/convocatorias/documentos");
    expect((await detail("900000", "r4")).result).toMatchObject({ queued: 0 });
    expect(h.bdns.count("/convocatorias/documentos")).toBe(downloads);
  });

  it("a document of another convocatoria is refused: nothing downloaded, nothing written under the wrong code", async () => {
    await detail("900000", "o1");
    await detail("900001", "o1");
    const downloads = h.bdns.count("/convocatorias/documentos");
    const { error } = await document("900001", "9000000", "o2"); // 9000000 belongs to 900000
    expect(error).toMatchObject({ name: "NonRetriableError", message: "document 9000000 is not listed in convocatoria 900001" });
    expect(h.bdns.count("/convocatorias/documentos")).toBe(downloads);
    expect(existsSync(join(h.dir, "documents", "900001"))).toBe(false);
    expect(await h.store.getDocument("9000000")).toMatchObject({ bdns: "900000", stored_at: null });
    expect(await h.store.getFailures("o2")).toEqual([expect.objectContaining({ bdns: "900001", document_id: "9000000", failure: "UNKNOWN_DOCUMENT" })]);
  });

  it("a record that keeps failing is visible after its first attempt: attempt n of m, why, when the next is due", async () => {
    const html = { status: 500, body: "<html><body>Error interno</body></html>", contentType: "text/html" };
    h.bdns.fault((p, q) => p === "/convocatorias" && q.get("numConv") === "900000", ...Array<typeof html>(6).fill(html));
    const before = Date.now();
    const first = await detail("900000", "kf");
    expect(first.error).toMatchObject({ name: "RetryAfterError" });
    const failing = await h.store.getItem("kf", workItem.detail("900000"));
    expect(failing).toMatchObject({ state: "failing", attempt: 1, max_attempts: 6, failure: "SERVER", reason: expect.stringContaining("500 with an HTML page") });
    const due = Date.parse(failing!.next_attempt_at!) - before;
    expect(due).toBeGreaterThanOrEqual(8_000);
    expect(due).toBeLessThanOrEqual(13_000 + (Date.now() - before));
    expect((await h.store.getRun("kf"))!.failed).toBe(0);

    const last = await detail("900000", "kf", 5); // Inngest's sixth and last attempt
    expect(last.error).toMatchObject({ name: "RetryAfterError" });
    expect(await h.store.getItem("kf", workItem.detail("900000"))).toMatchObject({ state: "failing", attempt: 6, max_attempts: 6, next_attempt_at: null });

    // a later attempt that succeeds clears it
    expect((await detail("900000", "kf", 2)).result).toMatchObject({ outcome: "new" });
    expect(await h.store.getItem("kf", workItem.detail("900000"))).toMatchObject({ state: "stored", failure: null, reason: null });
  });

  it("each fanned-out item is filed as queued, then gets its outcome", async () => {
    await detail("900001", "q1");
    expect((await h.store.getItems("q1")).map((i) => [i.kind, i.item, i.state])).toEqual([
      ["detail", "900001", "stored"],
      ["document", "900001/9000010", "queued"],
      ["document", "900001/9000011", "queued"],
    ]);
    await document("900001", "9000010", "q1");
    // A re-delivery within the run: the detail this run stored stays "stored" (its outcome is the
    // first attempt's, counted once), and what is still missing stays queued.
    await detail("900001", "q1");
    expect((await h.store.getItems("q1")).map((i) => i.state)).toEqual(["stored", "stored", "queued"]);
    expect(await h.store.getRun("q1")).toMatchObject({ new: 1, unchanged: 0 });
  });

  it("every log line a function writes carries jobName, the event's runId and Inngest's run id", async () => {
    await detail("900000", "log-1");
    const lines = h.logs.filter((l) => l.msg === "detail stored");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ jobName: "process-convocatoria-detail", runId: "log-1", inngestRunId: expect.any(String), bdns: "900000" });
  });
});

describe("store files", () => {
  it("the SQLite file is created with its tables on first use", async () => {
    h = await startJobsHarness([]);
    try {
      expect(existsSync(join(h.dir, "ayida.db"))).toBe(true);
      const tables = await h.store.db.introspection.getTables();
      expect(tables.map((t) => t.name).sort()).toEqual(expect.arrayContaining(["convocatorias", "documentos", "sync_failures", "sync_runs"]));
    } finally {
      await h.close();
    }
  });
});

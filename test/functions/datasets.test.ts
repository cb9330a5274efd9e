/**
 * The six reference datasets end to end through their Inngest functions (@inngest/test), against the
 * loopback BDNS that serves their real shapes and misbehaves, into a real SQLite file and a real
 * PostgreSQL database: every fan-out event really goes over the wire to the loopback event API and is
 * run in turn (`runAll`). Timelines: a first pass, a second pass with noise, a row gone, a failing
 * sweep value.
 */
import { createHash } from "node:crypto";
import { readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RunQueries } from "../../src/adapters/store/run-queries.js";
import { SYNCABLE_DATASETS } from "../../src/contracts/datasets.js";
import { sancionKey } from "../../src/datasets/sanciones.js";
import { readRunState } from "../../src/runs/state.js";
import { documentBytes } from "../support/bdns-server.js";
import { AMBITOS, CATALOGS, ID_ADMON, countRequests, makeDatasetsFixture, minimumRequests, planDocument, type DatasetsFixture } from "../support/bdns-datasets.js";
import { startJobsHarness, type JobsHarness } from "../support/jobs.js";
import { usePostgres } from "../support/postgres.js";

const TS = "2026-11-28T10:00:00.000Z";
const pg = usePostgres();

describe.each(["sqlite", "postgres"] as const)("reference datasets on %s", (dialect) => {
  let h: JobsHarness;
  let fx: DatasetsFixture;
  beforeEach(async () => {
    fx = makeDatasetsFixture({ grandesBeneficiarios: { years: [2023, 2024, 2025], rowsPerYear: 25 }, sanciones: { rows: 30 }, planes: { plans: 9 } });
    h = await startJobsHarness([], { datasets: fx, pageSize: 10, ...(dialect === "postgres" && { databaseUrl: await pg().createDatabase() }) });
  });
  afterEach(() => h.close());

  const sync = (dataset: string, runId: string, extra: Record<string, unknown> = {}) => h.runAll({ name: `${dataset}/sync.requested`, data: { runId, timestamp: TS, ...extra } });
  const rows = async (table: string, order = "1") => (await sql.raw<Record<string, unknown>>(`SELECT * FROM ${table} ORDER BY ${order}`).execute(h.store.db)).rows;
  const run = (runId: string, dataset: string) => h.store.getRun(runId, dataset);
  const errors = (runs: Awaited<ReturnType<typeof sync>>) => runs.filter((r) => r.error).map((r) => `${r.name} ${JSON.stringify(r.data)}: ${String(r.error)}`);

  it("a dataset's sync of a `sync all` request files every dataset the request named: the run is eleven from the first pick-up", async () => {
    const runs = await sync("organos", "all-1", { datasets: SYNCABLE_DATASETS });
    expect(errors(runs)).toEqual([]);
    const s = await readRunState(new RunQueries(h.store.db), "all-1");
    expect(s.datasets.map((d) => d.dataset).sort()).toEqual([...SYNCABLE_DATASETS].sort());
    expect(s).toMatchObject({ state: "running", done: false });
    expect(s.datasets.find((d) => d.dataset === "organos")).toMatchObject({ status: "succeeded", done: true });
    expect(s.datasets.filter((d) => d.status === "requested")).toHaveLength(10);
  });

  it("catálogos: every catalog and every ámbito of reglamentos, with exactly the requests the endpoints need", async () => {
    const runs = await sync("catalogos", "c1");
    expect(errors(runs)).toEqual([]);
    expect(runs.filter((r) => r.name === "catalogos/sync.piece.requested")).toHaveLength(CATALOGS.length + AMBITOS.length);
    for (const [path, n] of Object.entries(minimumRequests(fx, "catalogos"))) expect(countRequests(h.bdns.requests, path), path).toBe(n);
    const stored = await rows("catalogos", "catalogo, ambito, id");
    const expected = [...CATALOGS.flatMap((c) => fx.catalogs[c].map((e) => `${c}::${e.id}`)), ...AMBITOS.flatMap((a) => fx.reglamentos[a].map((e) => `reglamentos:${a}:${e.id}`))].sort();
    expect(stored.map((r) => `${r.catalogo}:${r.ambito}:${r.id}`).sort()).toEqual(expected);
    expect(await run("c1", "catalogos")).toMatchObject({ status: "succeeded", pieces: 12, pieces_done: 12, fetched: expected.length, new: expected.length, changed: 0, removed: 0, failed: 0 });

    fx.noise = true; // trailing spaces toggled
    await sync("catalogos", "c2");
    expect(await run("c2", "catalogos")).toMatchObject({ status: "succeeded", new: 0, changed: 0, unchanged: expected.length, removed: 0 });
  });

  it("catálogos: a row gone is marked removed; a failing sweep value removes nothing of its own and stops nothing else", async () => {
    await sync("catalogos", "r1");
    const goneFinalidad = fx.catalogs.finalidades.pop()!;
    const goneM = fx.reglamentos.M.pop()!;
    fx.failures.push({ path: "/reglamentos", params: { ambito: "M" }, reply: { status: 500 } });
    const runs = await sync("catalogos", "r2");
    expect(errors(runs)).toEqual([expect.stringContaining('"sweep":"M"')]);
    const all = await rows("catalogos", "catalogo, ambito, id");
    const state = (catalogo: string, ambito: string, id: number) => all.find((r) => r.catalogo === catalogo && r.ambito === ambito && Number(r.id) === id);
    expect(state("finalidades", "", goneFinalidad.id)).toMatchObject({ removed_at: expect.any(String) });
    expect(state("reglamentos", "M", goneM.id)).toMatchObject({ removed_at: null }); // its fetch failed: nothing removed
    expect(await run("r2", "catalogos")).toMatchObject({ removed: 1, pieces_done: 11, status: "running" });
    expect(await h.store.getItem("r2", { dataset: "catalogos", kind: "piece", key: "reglamentos:M" })).toMatchObject({ state: "failing", failure: "SERVER" });
  });

  it("catálogos: a record the schema refuses is recorded, and its unit removes nothing: the row it may be still exists", async () => {
    await sync("catalogos", "rf1");
    const entry = fx.catalogs.finalidades.find((e) => e.id === 12)!;
    (entry as { descripcion: unknown }).descripcion = 42; // not text: refused, and so not seen
    const runs = await sync("catalogos", "rf2");
    expect(errors(runs)).toEqual([]);
    const all = await rows("catalogos", "catalogo, ambito, id");
    expect(all.filter((r) => r.removed_at !== null)).toEqual([]);
    expect(all.find((r) => r.catalogo === "finalidades" && Number(r.id) === 12)).toMatchObject({ removed_at: null, descripcion: "AGRICULTURA, PESCA Y ALIMENTACIÓN" });
    expect(await h.store.getFailures("rf2", "catalogos")).toEqual([expect.objectContaining({ kind: "record", item: "finalidades page 0 #1", failure: "BROKEN_RECORD", reason: expect.stringContaining("/finalidades record #1: descripcion") })]);
    expect(await run("rf2", "catalogos")).toMatchObject({ removed: 0, failed: 1 });
  });

  it("regiones: one row per node with parent and level; children in another order next time change nothing", async () => {
    expect(errors(await sync("regiones", "g1"))).toEqual([]);
    const nodes = await rows("regiones", "id");
    const spain = nodes.find((r) => r.nuts === "ES")!;
    expect(spain).toMatchObject({ parent_id: null, level: 0, descripcion: "ES - ESPAÑA" });
    const galicia = nodes.find((r) => r.nuts === "ES11")!;
    expect(nodes.find((r) => r.id === galicia.parent_id)).toMatchObject({ nuts: "ES1", level: 1 });
    expect(galicia.level).toBe(2);
    expect(JSON.parse(String(galicia.raw_json))).not.toHaveProperty("children");
    const first = await run("g1", "regiones");
    await sync("regiones", "g2"); // the fake shuffles children on every call
    expect(await run("g2", "regiones")).toMatchObject({ new: 0, changed: 0, unchanged: first!.new, removed: 0 });
  });

  it("órganos: a tree per administration (L has three levels) and their agrupación, each replaced on its own", async () => {
    const runs = await sync("organos", "o1");
    expect(errors(runs)).toEqual([]);
    for (const [path, n] of Object.entries(minimumRequests(fx, "organos"))) expect(countRequests(h.bdns.requests, path), path).toBe(n);
    const organos = await rows("organos", "id_admon, id");
    expect(new Set(organos.map((r) => r.id_admon))).toEqual(new Set(ID_ADMON));
    expect(Math.max(...organos.filter((r) => r.id_admon === "L").map((r) => Number(r.level)))).toBe(2);
    expect((await rows("organos_agrupacion")).length).toBe(ID_ADMON.reduce((n, a) => n + fx.organos[a].length, 0));
    await sync("organos", "o2");
    expect(await run("o2", "organos")).toMatchObject({ new: 0, changed: 0, removed: 0 });
  });

  it("planes estratégicos: every page, each plan's detail and documents byte-identical; broken details recorded, never stopping the run", async () => {
    const runs = await sync("planes-estrategicos", "p1");
    const broken = [...fx.brokenPlans].filter((id) => id < 3101 + 9);
    expect(broken.length).toBeGreaterThan(0);
    expect(errors(runs).map((e) => e.split(" ")[0])).toEqual(broken.map(() => "planes-estrategicos/detail.requested"));
    expect(countRequests(h.bdns.requests, "/planesestrategicos")).toBe(9);
    const plans = await rows("planes_estrategicos", "id");
    expect(plans).toHaveLength(9);
    for (const p of plans) {
      if (broken.includes(Number(p.id))) expect(p.detail_json).toBeNull();
      else expect(p).toMatchObject({ detail_hash: expect.stringMatching(/^[0-9a-f]{64}$/), fecha_aprobacion: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    }
    const failures = await h.store.getFailures("p1", "planes-estrategicos");
    expect(failures.map((f) => [f.kind, f.item, f.failure])).toEqual(broken.map((id) => ["detail", String(id), "BROKEN_RECORD"]));
    const docs = await rows("planes_estrategicos_documentos", "id");
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) {
      const file = readFileSync(join(h.dir, "documents", String(d.stored_path)));
      const expected = documentBytes(planDocument(fx, Number(d.id))!);
      expect(file.equals(expected), String(d.id)).toBe(true);
      expect(d.sha256).toBe(createHash("sha256").update(expected).digest("hex"));
    }
    // a second pass asks again only for the details that never arrived
    const before = countRequests(h.bdns.requests, "/planesestrategicos");
    await sync("planes-estrategicos", "p2");
    expect(countRequests(h.bdns.requests, "/planesestrategicos") - before).toBe(broken.length);
  });

  it("planes estratégicos: a stored document file replaced on disk is noticed by --full and fetched again; the intact ones are not", async () => {
    await sync("planes-estrategicos", "pf1");
    const [victim, ...others] = await rows("planes_estrategicos_documentos", "id");
    const path = join(h.dir, "documents", String(victim!.stored_path));
    writeFileSync(path, Buffer.alloc(Number(victim!.stored_size), 0x58)); // same size, written after it was stored
    utimesSync(path, new Date(Date.now() + 10_000), new Date(Date.now() + 10_000));
    const downloads = countRequests(h.bdns.requests, "/planesestrategicos/documentos");
    await sync("planes-estrategicos", "pf2", { full: true });
    expect(countRequests(h.bdns.requests, "/planesestrategicos/documentos") - downloads).toBe(1);
    expect(readFileSync(path).equals(documentBytes(planDocument(fx, Number(victim!.id))!))).toBe(true);
    expect(others.length).toBeGreaterThan(0);
  });

  it("planes estratégicos --full: every plan's detail is fetched again, the ones already stored too", async () => {
    await sync("planes-estrategicos", "pf1");
    const stored = (await rows("planes_estrategicos", "id")).filter((p) => p.detail_hash !== null);
    expect(stored.length).toBeGreaterThan(0);
    const before = countRequests(h.bdns.requests, "/planesestrategicos");
    const runs = await sync("planes-estrategicos", "pf2", { full: true });
    expect(runs.filter((r) => r.name === "planes-estrategicos/sync.piece.requested" || r.name === "planes-estrategicos/sync.requested").every((r) => !r.error)).toBe(true);
    expect(countRequests(h.bdns.requests, "/planesestrategicos") - before).toBe(9);
    const details = runs.filter((r) => r.name === "planes-estrategicos/detail.requested").map((r) => Number(r.data.id)).sort((a, b) => a - b);
    expect(details).toEqual((await rows("planes_estrategicos", "id")).map((p) => Number(p.id)));
    const items = await h.store.db.selectFrom("run_items").select(["item", "state"]).where("run_id", "=", "pf2").where("kind", "=", "detail").execute();
    expect(items.filter((i) => stored.some((p) => String(p.id) === i.item)).map((i) => i.state)).toEqual(stored.map(() => expect.stringMatching(/^(stored|unchanged)$/)));
  });

  it("planes estratégicos: a stored document is recorded, counted and closed together: a failure between them leaves none of the three", async () => {
    // The store refuses to close a document's item (a full disk, a lost connection, a kill between the writes).
    const refuse =
      dialect === "sqlite"
        ? [`CREATE TRIGGER refuse_item BEFORE UPDATE ON run_items WHEN NEW.kind = 'document' AND NEW.state = 'stored' BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`]
        : [
            `CREATE FUNCTION refuse_item() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk I/O error'; END $$ LANGUAGE plpgsql`,
            `CREATE TRIGGER refuse_item BEFORE UPDATE ON run_items FOR EACH ROW WHEN (NEW.kind = 'document' AND NEW.state = 'stored') EXECUTE FUNCTION refuse_item()`,
          ];
    for (const statement of refuse) await sql.raw(statement).execute(h.store.db);
    const runs = await sync("planes-estrategicos", "pa1");
    const documentRuns = runs.filter((r) => r.name === "planes-estrategicos/document.requested");
    expect(documentRuns.length).toBeGreaterThan(0);
    expect(documentRuns.filter((r) => !r.error)).toEqual([]);
    expect((await rows("planes_estrategicos_documentos", "id")).filter((d) => d.stored_at !== null || d.sha256 !== null)).toEqual([]);
    expect(await run("pa1", "planes-estrategicos")).toMatchObject({ documents_stored: 0 });

    // Once the store accepts it, the retries store every document as the first attempts would have: counted once each.
    await sql.raw(`DROP TRIGGER refuse_item${dialect === "postgres" ? " ON run_items" : ""}`).execute(h.store.db);
    for (const r of documentRuns) expect((await h.runAll({ name: r.name, data: r.data }, { attempt: 1 }))[0]).toMatchObject({ error: undefined, result: { status: "stored" } });
    expect((await rows("planes_estrategicos_documentos", "id")).filter((d) => d.sha256 === null)).toEqual([]);
    expect(await run("pa1", "planes-estrategicos")).toMatchObject({ documents_stored: documentRuns.length });
    const items = await h.store.db.selectFrom("run_items").select("state").where("run_id", "=", "pa1").where("kind", "=", "document").execute();
    expect(items.map((i) => i.state)).toEqual(documentRuns.map(() => "stored"));
  });

  it("grandes beneficiarios: per year as BDNS lists them; re-spelt names change nothing and the latest spelling is stored; a year cut short removes nothing", async () => {
    expect(errors(await sync("grandes-beneficiarios", "b1"))).toEqual([]);
    for (const [path, n] of Object.entries(minimumRequests(fx, "grandes-beneficiarios", { pageSize: 10 }))) expect(countRequests(h.bdns.requests, path), path).toBe(n);
    expect(await run("b1", "grandes-beneficiarios")).toMatchObject({ status: "succeeded", new: 75, pieces: 3 });
    fx.noise = true;
    await sync("grandes-beneficiarios", "b2");
    expect(await run("b2", "grandes-beneficiarios")).toMatchObject({ new: 0, changed: 0, unchanged: 75 });
    const names = (await rows("grandes_beneficiarios", "id_persona, ejercicio")).map((r) => r.beneficiario);
    fx.noise = false;
    await sync("grandes-beneficiarios", "b3");
    expect((await rows("grandes_beneficiarios", "id_persona, ejercicio")).map((r) => r.beneficiario)).not.toEqual(names); // latest spelling, not the first

    const [first] = [...Array(fx.grandesBeneficiarios.baseCount).keys()].filter((i) => fx.grandesBeneficiarios.rowAt(i)?.ejercicio === 2024);
    fx.grandesBeneficiarios.remove(first!);
    fx.failures.push({ path: "/grandesbeneficiarios/busqueda", params: { anios: "2024", page: "2" }, reply: { status: 500 } });
    await sync("grandes-beneficiarios", "b4");
    expect(await run("b4", "grandes-beneficiarios")).toMatchObject({ removed: 0 });
    expect((await rows("grandes_beneficiarios")).filter((r) => r.removed_at !== null)).toEqual([]);
  });

  it("sanciones: no BDNS id; keyed by what identifies one, so distinct sanctions never share a key", async () => {
    expect(errors(await sync("sanciones", "s1"))).toEqual([]);
    const stored = await rows("sanciones");
    expect(stored).toHaveLength(30);
    expect(new Set(stored.map((r) => r.sancion_key)).size).toBe(30);
    await sync("sanciones", "s2");
    expect(await run("s2", "sanciones")).toMatchObject({ new: 0, changed: 0, unchanged: 30 });
  });
});

describe("sanción keys", () => {
  it("two sanctions that differ in any identifying field get different keys; the name's spelling is not one", () => {
    const base = { numeroConvocatoria: "705660", sancionado: "B00000041 EMPRESA SINTÉTICA UNO SL", fechaSancion: "2024-03-25", fechaConcesion: "2023-12-07", infraccion: "ART. 58.A", importe: 12000, importeMulta: 7501, inicioInhabilitacion: "2024-03-26", finInhabilitacion: "2029-03-25", convocatoria: "x" };
    const variants = [
      { numeroConvocatoria: "705661" },
      { sancionado: "B00000042 EMPRESA SINTÉTICA UNO SL" },
      { fechaSancion: "2024-03-26" },
      { fechaConcesion: "2023-12-08" },
      { infraccion: "ART. 58.B" },
      { importe: 12001 },
      { importeMulta: 7502 },
      { inicioInhabilitacion: null },
      { finInhabilitacion: "2029-03-26" },
    ];
    const keys = [base, ...variants.map((v) => ({ ...base, ...v }))].map((r) => sancionKey(r));
    expect(new Set(keys).size).toBe(keys.length);
    expect(sancionKey({ ...base, sancionado: "B00000041 EMPRESA SINTETICA UNO, S.L.", convocatoria: "y" })).toBe(keys[0]);
  });
});

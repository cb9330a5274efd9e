/**
 * Every dataset on the real engine: `ayida-jobs sync all --wait` → Dev Server → serve's functions (one
 * per dataset, their fan-out as real events) → the BDNS stand-in serving all eleven datasets → SQLite
 * and the documents folder. A ten-day window, so each windowed dataset (convocatorias, concesiones,
 * ayudas de estado, minimis) is split into two pieces fanned out as events; faults that get past the
 * BDNS client's quick retries (a page of concesiones answering 500 three times, a sweep value of
 * órganos answering 429 three times), so the engine itself retries those steps; then a second pass of
 * the same window with noise on, which must change nothing but mark removed the two rows BDNS dropped.
 *
 * serve runs with RETRY_BACKOFF=1s and the Dev Server with --retry-interval 1, so a retried step
 * comes back in about a second instead of Inngest's 15 s + jitter.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDays } from "../../src/contracts/window.js";
import { sancionKey } from "../../src/datasets/sanciones.js";
import { AMBITOS, CATALOGS, ID_ADMON, makeDatasetsFixture, planDocument, planDocumentIds, type DatasetsFixture, type DatasetsFixtureOptions, type RowSource, type TreeNode } from "../support/bdns-datasets.js";
import { documentBytes, makeDataset } from "../support/bdns-server.js";
import { expectDetailsStored, requestsFor } from "./support/checks.js";
import { startDeployment, type Deployment } from "./support/deployment.js";
import { applyMutation, type DatasetMutation } from "./support/stand-in-mutations.js";
import { sha256 } from "./support/store-probe.js";

const WINDOW = { from: "2026-09-01", to: "2026-09-10" }; // two pieces: 09-01..09-07 and 09-08..09-10
const WINDOW_ARGS = ["--from", WINDOW.from, "--to", WINDOW.to];
// Tiny, and the stand-in builds the very same fixture from these options in its own process.
const FIXTURE: DatasetsFixtureOptions = {
  // Rows registered before and after the window too: they must not be stored.
  concesiones: { from: "2026-08-29", to: "2026-09-12", rowsPerDay: 2 },
  ayudasEstado: { from: "2026-09-01", to: "2026-09-10", rowsPerDay: 1 },
  minimis: { from: "2026-09-03", to: "2026-09-09", rowsPerDay: 1 },
  partidosPoliticos: { rows: 4 },
  sanciones: { rows: 5 },
  grandesBeneficiarios: { years: [2024, 2025], rowsPerYear: 3 },
  planes: { plans: 3, broken: [] },
};
const fx = makeDatasetsFixture(FIXTURE);
// Four convocatorias, two in each piece of the window, one document each.
const convocatorias = makeDataset(4, { firstDate: "2026-09-06", perDay: 1, docs: 1 });

const DATASETS = ["catalogos", "regiones", "organos", "planes-estrategicos", "grandes-beneficiarios", "sanciones", "concesiones", "ayudas-estado", "minimis", "partidos-politicos"] as const;

// --- what the stand-in holds, computed from the fixture ---------------------------------------------

function rowsOf<R extends object>(src: RowSource<R>): R[] {
  const sel = src.select([[-Infinity, Infinity]]);
  return src.indicesAt(sel, 0, sel.length).map((i) => src.rowAt(i)!);
}
/** Rows registered on days [from, to] (inclusive). */
function rowsIn<R extends object>(src: RowSource<R>, from: string, to: string): R[] {
  const { start, end } = src.range(from, addDays(to, 1));
  return Array.from({ length: end - start }, (_, k) => src.rowAt(start + k)!).filter(Boolean);
}
const flatten = (nodes: readonly TreeNode[]): TreeNode[] => nodes.flatMap((n) => [n, ...flatten(n.children ?? [])]);
const sorted = (xs: Array<string | number>) => xs.map(String).sort();

/** Per table: its key columns and the keys BDNS holds (as `a:b` text); per dataset: the rows a complete fetch counts. */
function expectedOf(fx: DatasetsFixture) {
  const catalogos = sorted([...CATALOGS.flatMap((c) => fx.catalogs[c].map((e) => `${c}::${e.id}`)), ...AMBITOS.flatMap((a) => fx.reglamentos[a].map((e) => `reglamentos:${a}:${e.id}`))]);
  const regiones = sorted(flatten(fx.regiones).map((n) => n.id));
  const organos = sorted(ID_ADMON.flatMap((a) => flatten(fx.organos[a]).map((n) => `${a}:${n.id}`)));
  const agrupacion = sorted(ID_ADMON.flatMap((a) => fx.organos[a].map((n) => `${a}:${n.id}`)));
  const planes = sorted(rowsOf(fx.planes).map((p) => p.id));
  const grandes = sorted(rowsOf(fx.grandesBeneficiarios).map((r) => `${r.idPersona}:${r.ejercicio}`));
  const sanciones = sorted(rowsOf(fx.sanciones).map((r) => sancionKey(r as unknown as Record<string, unknown>)));
  const concesiones = sorted(rowsIn(fx.concesiones, WINDOW.from, WINDOW.to).map((r) => r.id));
  const ayudas = sorted(rowsIn(fx.ayudasEstado, WINDOW.from, WINDOW.to).map((r) => r.idConcesion));
  const minimis = sorted(rowsIn(fx.minimis, WINDOW.from, WINDOW.to).map((r) => r.idConcesion));
  const partidos = sorted(rowsOf(fx.partidosPoliticos).map((r) => r.id));
  return {
    tables: {
      catalogos: { table: "catalogos", key: ["catalogo", "ambito", "id"], keys: catalogos },
      regiones: { table: "regiones", key: ["id"], keys: regiones },
      organos: { table: "organos", key: ["id_admon", "id"], keys: organos },
      organos_agrupacion: { table: "organos_agrupacion", key: ["id_admon", "id"], keys: agrupacion },
      planes_estrategicos: { table: "planes_estrategicos", key: ["id"], keys: planes },
      grandes_beneficiarios: { table: "grandes_beneficiarios", key: ["id_persona", "ejercicio"], keys: grandes },
      sanciones: { table: "sanciones", key: ["sancion_key"], keys: sanciones },
      concesiones: { table: "concesiones", key: ["id"], keys: concesiones },
      ayudas_estado: { table: "ayudas_estado", key: ["id_concesion"], keys: ayudas },
      minimis: { table: "minimis", key: ["id_concesion"], keys: minimis },
      partidos_politicos: { table: "partidos_politicos", key: ["id"], keys: partidos },
    },
    /** Rows each dataset's sync fetches (every feed, every sweep value and piece). */
    fetched: {
      catalogos: catalogos.length,
      regiones: regiones.length,
      organos: organos.length + agrupacion.length,
      "planes-estrategicos": planes.length,
      "grandes-beneficiarios": grandes.length,
      sanciones: sanciones.length,
      concesiones: concesiones.length,
      "ayudas-estado": ayudas.length,
      minimis: minimis.length,
      "partidos-politicos": partidos.length,
    } satisfies Record<(typeof DATASETS)[number], number>,
    /** Units a sync is cut into: catalogs + ámbitos; 4 trees + 4 agrupaciones; one per year; two pieces. */
    pieces: { catalogos: CATALOGS.length + AMBITOS.length, regiones: 1, organos: 2 * ID_ADMON.length, "planes-estrategicos": 1, "grandes-beneficiarios": 2, sanciones: 1, concesiones: 2, "ayudas-estado": 2, minimis: 2, "partidos-politicos": 1 },
  };
}
const expected = expectedOf(fx);

// --- the deployment ---------------------------------------------------------------------------------

let d: Deployment;
beforeAll(async () => {
  // BDNS's own rule (no more than 10 starts in a sliding second), not the stricter minimum gap the
  // convocatorias cases use: a stray 429 there would interleave with the faults asserted below.
  d = await startDeployment({ dataset: convocatorias, datasets: FIXTURE, minGapMs: 0, maxPerSecond: 10, retryIntervalS: 1, serveEnv: { RETRY_BACKOFF: "1s" } });
});
afterAll(() => d?.close());

/** `sync all` of the window, followed with --wait: its exit code and its final JSON document. */
async function syncAll(runId: string) {
  const r = await d.cli(["sync", "all", ...WINDOW_ARGS, "--run-id", runId, "--wait", "--wait-timeout", "100s", "--json"], d.operatorEnv());
  let doc: { ok: boolean; run?: { state: string; datasets: Array<{ dataset: string; state: string; counters: Record<string, number> }> } } | undefined;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    /* asserted below with the output */
  }
  return { ...r, doc };
}

/** The keys of a table's rows BDNS still lists (removed_at null), as `expected.tables` writes them. */
function keysIn(t: { table: string; key: string[] }): string[] {
  return sorted(d.store.rows<Record<string, unknown>>(t.table).filter((r) => r.removed_at === null).map((r) => t.key.map((c) => String(r[c])).join(":")));
}

describe("sync all on the real engine", () => {
  it("stores every dataset's rows as BDNS holds them, through pieces fanned out as events and steps the engine retried", async () => {
    // Past the BDNS client's three quick tries: the step fails, and Inngest runs it again.
    await d.bdns.fault({ path: "/concesiones/busqueda", param: ["fechaRegInicio", "08/09/2026"] }, ...Array(3).fill({ status: 500, body: "" }));
    await d.bdns.fault({ path: "/organos", param: ["idAdmon", "L"] }, ...Array(3).fill({ status: 429, body: "", headers: { "retry-after": "1" } }));

    const r = await syncAll("all-1");
    expect(r.code, `${r.stderr}\n${await d.diagnose()}`).toBe(0);
    expect(r.doc?.ok).toBe(true);

    // Every table holds exactly the rows of BDNS (of the window, for the windowed ones).
    for (const [name, t] of Object.entries(expected.tables)) expect(keysIn(t), `${name}: rows stored`).toEqual(t.keys);
    // The windowed ones held rows outside the window too: none of them was stored.
    expect(fx.concesiones.size).toBeGreaterThan(expected.tables.concesiones.keys.length);

    // Each dataset's sync_runs row: all pieces done, every row counted once (a retried step counts once).
    for (const dataset of DATASETS) {
      expect(d.store.run("all-1", dataset), dataset).toMatchObject({
        kind: "sync",
        status: "succeeded",
        pieces: expected.pieces[dataset],
        pieces_done: expected.pieces[dataset],
        fetched: expected.fetched[dataset],
        new: expected.fetched[dataset],
        changed: 0,
        unchanged: 0,
        removed: 0,
        failed: 0,
      });
    }
    for (const dataset of ["concesiones", "ayudas-estado", "minimis"]) expect(d.store.run("all-1", dataset), dataset).toMatchObject({ window_from: WINDOW.from, window_to: WINDOW.to });
    expect(d.store.run("all-1", "convocatorias")).toMatchObject({ kind: "sync", status: "succeeded", pieces: 2, pieces_done: 2, listed: 4, queued: 4, new: 4, failed: 0, documents_stored: 4 });
    expect(d.store.itemStates("all-1")).not.toHaveProperty("failed");
    // --wait's own account agrees with the store: every dataset of the run, succeeded, same counters.
    expect(r.doc?.run?.state).toBe("succeeded");
    expect(r.doc?.run?.datasets.map((x) => x.dataset).sort()).toEqual([...DATASETS, "convocatorias"].sort());
    for (const x of r.doc?.run?.datasets ?? []) {
      const row = d.store.run("all-1", x.dataset)!;
      expect({ dataset: x.dataset, state: x.state, new: x.counters.new, fetched: x.counters.fetched }).toEqual({ dataset: x.dataset, state: "succeeded", new: row.new, fetched: row.fetched });
    }

    // The faults were met and retried by the engine: the failing page was asked 3 times, then served.
    const requests = await d.bdns.requests();
    expect(requests.filter((q) => q.status === 429)).toHaveLength(3); // the injected ones: the budget drew none
    const piece2 = requests.filter((q) => q.path === "/concesiones/busqueda" && q.params.fechaRegInicio === "08/09/2026");
    expect(piece2.map((q) => q.status)).toEqual([500, 500, 500, 200]);
    expect(piece2[0]!.params.fechaRegFin).toBe("11/09/2026"); // BDNS's bound is exclusive: the 10th included
    expect(requests.filter((q) => q.path === "/organos" && q.params.idAdmon === "L").map((q) => q.status)).toEqual([429, 429, 429, 200]);

    // Plans: each detail stored; their documents and the convocatorias' on disk, byte-identical, nothing else.
    for (const p of d.store.rows<{ id: string; detail_hash: string | null }>("planes_estrategicos")) expect(p.detail_hash, `plan ${p.id}'s detail`).toMatch(/^[0-9a-f]{64}$/);
    const planDocs = d.store.rows<{ id: string; sha256: string; stored_path: string }>("planes_estrategicos_documentos", "id");
    expect(sorted(planDocs.map((x) => x.id))).toEqual(sorted(planDocumentIds(fx)));
    for (const doc of planDocs) {
      const want = sha256(documentBytes(planDocument(fx, Number(doc.id))!));
      expect({ recorded: doc.sha256, onDisk: d.store.sha256OfFile(doc.stored_path) }, `plan document ${doc.id}`).toEqual({ recorded: want, onDisk: want });
    }
    expectDetailsStored(d.store, convocatorias);
    const convDocs = d.store.storedDocuments();
    expect(convDocs.map((x) => x.id).sort()).toEqual(convocatorias.flatMap((c) => c.documents.map((x) => String(x.id))).sort());
    for (const doc of convDocs) expect(d.store.sha256OfFile(doc.stored_path!)).toBe(sha256(documentBytes(convocatorias.flatMap((c) => c.documents).find((x) => String(x.id) === doc.id)!)));
    expect(d.store.files()).toEqual([...planDocs.map((x) => x.stored_path), ...convDocs.map((x) => x.stored_path!)].sort());
  });

  it("a second pass of the same window, with BDNS's noise on and two rows gone: 0 new, 0 changed, the two marked removed, no document fetched again", async () => {
    const before = await d.bdns.requests();
    // A concesión registered inside the window, and a catalog entry, no longer come back.
    const goneConcesion = fx.concesiones.range("2026-09-02", "2026-09-03").start;
    const goneId = fx.concesiones.rowAt(goneConcesion)!.id;
    const goneFinalidad = fx.catalogs.finalidades.at(-1)!.id;
    for (const m of [{ op: "remove", source: "concesiones", index: goneConcesion }, { op: "pop", catalog: "finalidades" }] satisfies DatasetMutation[]) {
      await d.bdns.mutate(m);
      applyMutation(fx, m);
    }
    const after = expectedOf(fx);
    const removed: Partial<Record<(typeof DATASETS)[number], number>> = { concesiones: 1, catalogos: 1 };
    await d.bdns.noise(true, 7);
    const r = await syncAll("all-2");
    expect(r.code, `${r.stderr}\n${await d.diagnose()}`).toBe(0);

    for (const dataset of DATASETS) {
      const fetched = after.fetched[dataset];
      expect(d.store.run("all-2", dataset), dataset).toMatchObject({ status: "succeeded", pieces_done: after.pieces[dataset], fetched, new: 0, changed: 0, unchanged: fetched, removed: removed[dataset] ?? 0, failed: 0 });
    }
    expect(d.store.run("all-2", "convocatorias")).toMatchObject({ status: "succeeded", listed: 4, queued: 0, new: 0, changed: 0, failed: 0, documents_stored: 0 });
    for (const [name, t] of Object.entries(after.tables)) expect(keysIn(t), `${name}: rows BDNS still lists, after the second pass`).toEqual(t.keys);
    // The rows gone are kept, marked removed by this run.
    expect(d.store.rows<{ id: number; removed_at: string | null; last_run_id: string }>("concesiones").find((x) => Number(x.id) === goneId)).toMatchObject({ removed_at: expect.any(String) });
    expect(d.store.rows<{ catalogo: string; id: number; removed_at: string | null }>("catalogos").find((x) => x.catalogo === "finalidades" && Number(x.id) === goneFinalidad)).toMatchObject({ removed_at: expect.any(String) });

    const again = (await d.bdns.requests()).slice(before.length);
    // Everything listed again (the second pass saw BDNS's noisy bytes), nothing downloaded again.
    expect(again.filter((q) => q.path === "/concesiones/busqueda" && q.status === 200)).toHaveLength(2);
    expect(again.filter((q) => q.path.endsWith("/documentos"))).toEqual([]);
    for (const c of convocatorias) expect(requestsFor(again, { numConv: c.bdns }), `detail of ${c.bdns} not fetched again`).toEqual([]);
  });
});

/**
 * Runs that fail for good, on the real engine: each function's onFailure handler (which Inngest runs
 * as a function of its own, `<id>-failure`) must leave the failure in the store — retries exhausted
 * for a detail and a document, a refused listing for a sync and for a piece of one.
 *
 * serve runs with RETRY_BACKOFF=1s (our own retry schedule, which the functions hand Inngest as
 * Retry-After) and the Dev Server with --retry-interval 1, so that exhausting 5 retries takes seconds
 * instead of ~9 minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { payload } from "../../src/contracts/build.js";
import { EVENT } from "../../src/contracts/schemas.js";
import { makeDataset } from "../support/bdns-server.js";
import { answersTo, requestsFor } from "./support/checks.js";
import { startDeployment, type Deployment } from "./support/deployment.js";
import { waitFor } from "./support/wait.js";

const [downDetail, downDocument, listed] = makeDataset(3, { firstDate: "2026-10-01", perDay: 1, docs: 1 }) as [
  ReturnType<typeof makeDataset>[number],
  ReturnType<typeof makeDataset>[number],
  ReturnType<typeof makeDataset>[number],
];
const refused = { status: 400, body: { codigo: "ERR_VALIDACION", error: null, errores: ["Alguno de los parámetros de la petición no es correcto."] } };
const always = <T>(reply: T) => Array<T>(200).fill(reply);

let d: Deployment;
beforeAll(async () => {
  d = await startDeployment({ dataset: [downDetail, downDocument, listed], retryIntervalS: 1, serveEnv: { RETRY_BACKOFF: "1s" } });
  // BDNS down for these two, on every call; the listings of two windows refused.
  await d.bdns.fault({ path: "/convocatorias", param: ["numConv", downDetail.bdns] }, ...always({ status: 503, body: "" }));
  await d.bdns.fault({ path: "/convocatorias/documentos", param: ["idDocumento", String(downDocument.documents[0]!.id)] }, ...always({ status: 503, body: "" }));
  await d.bdns.fault({ path: "/convocatorias/busqueda", param: ["fechaDesde", "01/09/2026"] }, refused);
  await d.bdns.fault({ path: "/convocatorias/busqueda", param: ["fechaDesde", "08/09/2026"] }, refused);

  // All at once; they fail independently.
  for (const args of [
    ["detail", downDetail.bdns, "--run-id", "detail-down"],
    ["document", downDocument.bdns, String(downDocument.documents[0]!.id), "--run-id", "document-down"],
    ["sync", "convocatorias", "--from", "2026-09-01", "--to", "2026-09-03", "--run-id", "sync-refused"],
  ]) {
    const r = await d.cli([...args, "--json"]);
    expect(r.code, r.stderr).toBe(0);
  }
  // A piece of a sync window, as createConvocatoriaJobs fans it out (sync requests are throttled to
  // one a minute, so a second sync request here would wait a minute for its turn).
  const piece = payload(EVENT.syncPieceRequested, { runId: "piece-refused", timestamp: new Date().toISOString(), from: "2026-09-08", to: "2026-09-14" });
  await d.dev.send([piece]);
});
afterAll(() => d?.close());

const failureOf = (runId: string) => d.store.failures(runId);
const MAIN = ["process-convocatoria-detail", "process-document-storage", "create-convocatoria-jobs", "process-sync-piece"];

/**
 * Once the engine has given up on a run, its failure handler runs within moments (observed well
 * under a second), so the store gets a short deadline from there: a missing onFailure fails here
 * in seconds, not after a long timeout.
 */
const AFTER_GIVING_UP_MS = 15_000;

describe("onFailure records a run that failed for good", () => {
  it("the engine gives up on each of them: one failed run per function", async () => {
    const engineRuns = () => d.dev.runs();
    await waitFor(
      "the engine to fail the detail, document, sync and piece runs",
      async () => {
        const runs = await engineRuns();
        return MAIN.every((slug) => runs.some((r) => r.functionSlug === `ayida-portal-${slug}` && r.status === "FAILED"));
      },
      { timeoutMs: 90_000, intervalMs: 500, describe: async () => JSON.stringify((await engineRuns()).map((r) => [r.functionSlug, r.status])) },
    );
    const runs = await engineRuns();
    for (const slug of MAIN) expect(runs.filter((r) => r.functionSlug === `ayida-portal-${slug}`).map((r) => r.status), slug).toEqual(["FAILED"]);
  });

  it("a detail whose BDNS calls fail on every retry: RETRIES_EXHAUSTED, after the last attempt", async () => {
    await waitFor("the detail's failure to be recorded", () => failureOf("detail-down").length > 0, { timeoutMs: AFTER_GIVING_UP_MS, describe: () => JSON.stringify(d.store.run("detail-down")) });
    const [failure] = failureOf("detail-down");
    expect(failure).toMatchObject({ bdns: downDetail.bdns, document_id: "", failure: "RETRIES_EXHAUSTED", reason: expect.stringMatching(/503|429/) });
    expect(d.store.run("detail-down")).toMatchObject({ kind: "detail", failed: 1, new: 0 });
    // retries: 5 → six attempts by Inngest, each with the BDNS client's three quick tries (a try the
    // stand-in refused with 429 — see the pipeline case on the spacer's margin — is a try all the same);
    // recorded after the last of them (the store's times are whole milliseconds).
    const requests = requestsFor(await d.bdns.requests(), { numConv: downDetail.bdns });
    expect(requests).toHaveLength(18);
    expect(requests.filter((r) => r.status !== 503 && r.status !== 429)).toEqual([]);
    expect(Date.parse(failure!.at)).toBeGreaterThanOrEqual(Math.floor(Math.max(...requests.map((r) => r.at))));
  });

  it("a document whose download fails on every retry: RETRIES_EXHAUSTED for that document, no file", async () => {
    await waitFor("the document's failure to be recorded", () => failureOf("document-down").length > 0, { timeoutMs: AFTER_GIVING_UP_MS, describe: () => JSON.stringify(d.store.run("document-down")) });
    const id = String(downDocument.documents[0]!.id);
    expect(failureOf("document-down")).toEqual([expect.objectContaining({ bdns: downDocument.bdns, document_id: id, failure: "RETRIES_EXHAUSTED", reason: expect.stringMatching(/503|429/) })]);
    expect(d.store.run("document-down")).toMatchObject({ kind: "document", failed: 1, documents_stored: 0 });
    // retries: 4 → five attempts × three quick tries; the detail was fetched once for the metadata.
    const downloads = answersTo(await d.bdns.requests(), { idDocumento: id });
    expect(downloads).toHaveLength(15);
    expect(downloads.filter((status) => status !== 429 && status !== 503)).toEqual([]);
    expect(d.store.documentos().find((doc) => doc.id === id)).toMatchObject({ stored_at: null, sha256: null });
    expect(d.store.files()).toEqual([]);
  });

  it("a sync whose listing BDNS refuses: the failure recorded and the run marked failed", async () => {
    await waitFor("the sync run to be marked failed", () => d.store.run("sync-refused")?.status === "failed", { timeoutMs: AFTER_GIVING_UP_MS, describe: () => JSON.stringify(d.store.run("sync-refused")) });
    expect(d.store.run("sync-refused")).toMatchObject({ kind: "sync", status: "failed", finished_at: expect.any(String), pieces: 1, pieces_done: 0, failed: 1 });
    // The permanent failure was recorded with its own reason when it happened; onFailure kept it.
    expect(failureOf("sync-refused")).toEqual([expect.objectContaining({ bdns: "", document_id: "", failure: "VALIDATION", reason: expect.stringContaining("ERR_VALIDACION") })]);
    // Refused once, not retried (a 429 before it would be retried, and is not the refusal).
    expect((await d.bdns.requests()).filter((r) => r.path === "/convocatorias/busqueda" && r.params.fechaDesde === "01/09/2026" && r.status !== 429).map((r) => r.status)).toEqual([400]);
  });

  it("a piece of a sync whose listing BDNS refuses: the run marked failed", async () => {
    await waitFor("the piece's run to be marked failed", () => d.store.run("piece-refused")?.status === "failed", { timeoutMs: AFTER_GIVING_UP_MS, describe: () => JSON.stringify(d.store.run("piece-refused")) });
    expect(d.store.run("piece-refused")).toMatchObject({ kind: "sync", status: "failed", finished_at: expect.any(String) });
    expect(failureOf("piece-refused")).toEqual([expect.objectContaining({ bdns: "", failure: "VALIDATION" })]);
  });

  it("the engine ran each function's failure handler once", async () => {
    const runs = await d.dev.waitUntilIdle();
    const by = (slug: string) => runs.filter((r) => r.functionSlug === `ayida-portal-${slug}`).map((r) => r.status);
    for (const slug of MAIN) expect(by(`${slug}-failure`), `${slug}'s onFailure runs`).toEqual(["COMPLETED"]);
    // Nothing else was touched: the one convocatoria no one asked about was never fetched.
    expect(answersTo(await d.bdns.requests(), { numConv: listed.bdns })).toEqual([]);
  });
});

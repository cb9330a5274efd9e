/**
 * Operating the deployment on the real engine: `--wait` (never picked up: exit 75; an item failing for
 * good: exit 1 with the failure listed; all stored: exit 0, read from the store and from serve's
 * /api/runs) and `doctor` (serve down, the app not registered, everything fine, a CRON_SECRET that
 * serve does not share), each judged by its exit code and its JSON, against the store.
 *
 * One deployment, in order: the Dev Server and the stand-in start without serve (the app is not
 * synced: what an event sent now meets), then serve starts. serve runs with RETRY_BACKOFF=1s and the
 * Dev Server with --retry-interval 1, so a document failing on every attempt is failed for good in
 * seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeDataset } from "../support/bdns-server.js";
import { expectDetailsStored } from "./support/checks.js";
import type { CliRun } from "./support/cli-process.js";
import { startDeployment, type Deployment } from "./support/deployment.js";

const dataset = makeDataset(6, { firstDate: "2026-10-01", perDay: 2, docs: 1 }); // 2026-10-01..03
const [early] = makeDataset(1, { firstDate: "2026-09-20", firstCode: 800000, docs: 1 }) as [ReturnType<typeof makeDataset>[number]];
const downDocument = dataset[2]!.documents[0]!; // 503 on every call

let d: Deployment;
beforeAll(async () => {
  // The datasets' endpoints too: doctor's BDNS check asks /finalidades.
  d = await startDeployment({ dataset: [...dataset, early], datasets: { planes: { plans: 1, broken: [] } }, serve: false, retryIntervalS: 1, serveEnv: { RETRY_BACKOFF: "1s" } });
});
afterAll(() => d?.close());

interface Doc {
  ok: boolean;
  error?: { code: string; message: string; details?: Record<string, unknown> };
  run?: {
    state: string;
    datasets: Array<{ dataset: string; state: string; counters: Record<string, number> }>;
    totals: { items: Record<string, number> };
    failures: Array<{ dataset: string; kind: string; item: string; bdns: string | null; documentId: string | null; failure: string | null; reason: string | null }>;
  };
  checks?: Array<{ id: string; status: string; message: string; details?: Record<string, unknown> }>;
}
/** The command's one JSON document (stdout on success, stderr on error, as --json prints them). */
function docOf(r: CliRun): Doc {
  const text = (r.stdout.trim() || r.stderr.trim()).split("\n").filter((l) => l.startsWith("{")).at(-1);
  if (!text) throw new Error(`no JSON document (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(text) as Doc;
}
const statuses = (doc: Doc) => Object.fromEntries((doc.checks ?? []).map((c) => [c.id, c.status]));
const doctor = (env: Record<string, string> = {}) => d.cli(["doctor", "--json", "--url", d.serverUrl], { ...d.operatorEnv(), ...env });

describe("before serve runs (the app not synced)", () => {
  it("doctor: exit 1, the app unreachable and not registered; the rest of the deployment ok", async () => {
    // The store exists (serve --check creates and migrates it), so only the app is missing.
    const check = await d.cli(["serve", "--check", "--json"], d.operatorEnv());
    expect(check.code, check.stderr).toBe(0);
    const r = await doctor();
    expect(r.code, r.stderr).toBe(1);
    const doc = docOf(r);
    expect(doc.ok).toBe(false);
    expect(statuses(doc)).toMatchObject({ configuration: "ok", "event-api": "ok", app: "fail", "functions-registered": "fail", "cron-secret": "skip", bdns: "ok", store: "ok" });
    expect(doc.checks!.find((c) => c.id === "functions-registered")!.message).toContain("has not registered the app");
  });

  it("--wait on an event sent before the app synced: exit 75 NOT_PICKED_UP after --pickup-timeout, nothing ran", async () => {
    const started = Date.now();
    const r = await d.cli(["detail", early.bdns, "--run-id", "early", "--wait", "--pickup-timeout", "3s", "--json"], d.operatorEnv());
    expect(r.code, r.stderr).toBe(75);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    const doc = docOf(r);
    expect(doc.error?.code).toBe("NOT_PICKED_UP");
    expect(doc.run?.state).toBe("pending");
    // The engine stored the event; nothing ran it, nothing reached BDNS or the store.
    const [id] = (doc.error?.details?.ids ?? (doc as unknown as { ids?: string[] }).ids) as string[];
    expect(await d.dev.eventRuns(id!)).toEqual([]);
    expect((await d.bdns.requests()).filter((q) => q.params.numConv === early.bdns)).toEqual([]);
    expect(d.store.run("early")).toBeUndefined();
  });
});

describe("with serve running", () => {
  beforeAll(() => d.startServe());

  it("doctor: exit 0, every check ok (signing key skipped in dev mode), all functions registered", async () => {
    const r = await doctor();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const doc = docOf(r);
    expect(doc.ok).toBe(true);
    expect(statuses(doc)).toEqual({
      configuration: "ok",
      schedules: "ok",
      "event-api": "ok",
      "signing-key": "skip",
      app: "ok",
      "functions-registered": "ok",
      "cron-secret": "ok",
      bdns: "ok",
      store: "ok",
      documents: "ok",
    });
    // Registered = what serve hosts, failure handlers included, as the engine itself lists them.
    const app = (await d.dev.apps()).find((a) => a.url === d.appUrl)!;
    expect(doc.checks!.find((c) => c.id === "functions-registered")!.details).toMatchObject({ registered: app.functionCount, expected: app.functionCount });
    expect(app.functionCount).toBeGreaterThan(d.serve!.functionIds.length);
  });

  it("doctor with a CRON_SECRET serve does not share: exit 1, that check fails, the others stay ok", async () => {
    const r = await doctor({ CRON_SECRET: "not-the-deployments-secret" });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const doc = docOf(r);
    const failed = doc.checks!.filter((c) => c.status !== "ok" && c.status !== "skip");
    expect(failed.map((c) => [c.id, c.status])).toEqual([["cron-secret", "fail"]]);
    expect(failed[0]!.details).toMatchObject({ withoutSecret: 401, withSecret: 401 });
  });

  it("--wait read from serve's /api/runs: exit 0 once the detail and its document are stored, with the final counters", async () => {
    const server = { AYIDA_SERVER_URL: d.serverUrl, CRON_SECRET: d.operatorEnv().CRON_SECRET! };
    const r = await d.cli(["detail", dataset[0]!.bdns, "--run-id", "wait-ok", "--wait", "--wait-timeout", "60s", "--json"], server);
    expect(r.code, r.stderr).toBe(0);
    const doc = docOf(r);
    expect(doc.run?.state).toBe("succeeded");
    expect(doc.run?.datasets).toEqual([expect.objectContaining({ dataset: "convocatorias", state: "succeeded", counters: expect.objectContaining({ new: 1, documentsStored: 1, failed: 0 }) })]);
    // What it reported is in the store, whole: the detail and its document, before it exited.
    expect(d.store.run("wait-ok")).toMatchObject({ kind: "detail", new: 1, documents_stored: 1, failed: 0 });
    expectDetailsStored(d.store, [dataset[0]!]);
    expect(d.store.storedDocuments().map((x) => x.id)).toContain(String(dataset[0]!.documents[0]!.id));
  });

  it("--wait on a sync where a document fails on every attempt: exit 1 RUN_FAILED, only once it failed for good, listing it", async () => {
    await d.bdns.fault({ path: "/convocatorias/documentos", param: ["idDocumento", String(downDocument.id)] }, ...Array(100).fill({ status: 503, body: "" }));
    const r = await d.cli(["sync", "convocatorias", "--from", "2026-10-01", "--to", "2026-10-03", "--run-id", "wait-fail", "--wait", "--wait-timeout", "90s", "--json"], d.operatorEnv());
    expect(r.code, r.stderr).toBe(1);
    const doc = docOf(r);
    expect(doc.error?.code).toBe("RUN_FAILED");
    expect(doc.run?.state).toBe("failed");
    expect(doc.run?.failures).toEqual([expect.objectContaining({ dataset: "convocatorias", kind: "document", bdns: dataset[2]!.bdns, documentId: String(downDocument.id), failure: "RETRIES_EXHAUSTED" })]);
    expect(r.stderr).toContain(String(downDocument.id));
    // It waited for the last attempt: every attempt (retries 4 → 5, each with the client's 3 tries) was made.
    const downloads = (await d.bdns.requests()).filter((q) => q.params.idDocumento === String(downDocument.id));
    expect(downloads).toHaveLength(15);
    // The store says the same: the rest stored, the one document failed for good.
    expect(d.store.failures("wait-fail")).toEqual([expect.objectContaining({ document_id: String(downDocument.id), failure: "RETRIES_EXHAUSTED" })]);
    expect(d.store.itemStates("wait-fail")).toMatchObject({ failed: 1 });
    expect(d.store.itemStates("wait-fail")).not.toHaveProperty("failing");
    expect(d.store.itemStates("wait-fail")).not.toHaveProperty("queued");
    expectDetailsStored(d.store, dataset);
  });

  it("the event sent before the app synced never ran, even with serve up", async () => {
    await d.dev.waitUntilIdle();
    expect(d.store.run("early")).toBeUndefined();
    expect((await d.bdns.requests()).filter((q) => q.params.numConv === early.bdns)).toEqual([]);
  });

  it("doctor once serve is down: exit 1, the app unreachable", async () => {
    await d.killServe();
    const r = await doctor();
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const doc = docOf(r);
    expect(statuses(doc)).toMatchObject({ app: "fail", "event-api": "ok", bdns: "ok", store: "ok" });
    expect(doc.checks!.find((c) => c.id === "app")!.message).toContain("no answer from");
  });
});

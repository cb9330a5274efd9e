/**
 * The functions inside the portal's own app: test/engine/fixtures/portal-app, a Next.js App Router app
 * (`next build`, then `next start`) whose src/inngest/client.ts, src/inngest/functions.ts and
 * src/app/api/inngest/route.ts — the seed's three files — and batch routes import the packed package's
 * entry `ayida-jobs/inngest` (support/next-app.ts). The real Dev Server syncs it and runs the functions
 * on it: a `sync convocatorias --wait` from the CLI and a `POST /api/batch/sync-convocatoria-individual`
 * to the app both complete into the store (a SQLite file), BDNS being the loopback stand-in.
 *
 * The build is slow (a cold one installs Next.js and compiles better-sqlite3): its own hook timeout.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { makeDataset } from "../support/bdns-server.js";
import { expectDetailsStored, expectDocumentsIntact } from "./support/checks.js";
import { startDeployment, type Deployment } from "./support/deployment.js";
import { buildPortalApp } from "./support/next-app.js";
import { waitForPipeline } from "./support/pipeline.js";
import { CRON_SECRET } from "./support/serve-process.js";

const inWindow = makeDataset(6, { firstDate: "2026-11-01", perDay: 2, docs: 1 });
const [single] = makeDataset(1, { firstDate: "2026-10-20", firstCode: 800000, docs: 1 });

let d: Deployment;
beforeAll(async () => {
  const app = await buildPortalApp();
  console.info(`portal app: npm pack ${app.seconds.pack.toFixed(1)} s, npm install ${app.seconds.install.toFixed(1)} s, next build ${app.seconds.build.toFixed(1)} s`);
  d = await startDeployment({ dataset: [...inWindow, single!], host: app.host });
}, 15 * 60_000);
afterAll(() => d?.close());

it("the Dev Server syncs the Next.js app's /api/inngest with every function of the app ayida-portal", async () => {
  const app = (await d.dev.apps()).find((a) => a.url === d.appUrl);
  expect(app).toMatchObject({ name: "ayida-portal", error: null });
  // Each function the app's /api/health lists, and its failure handler.
  const slugs = app!.functions.map((f) => f.slug);
  expect(d.serve!.functionIds).toContain("ayida-portal-process-convocatoria-detail");
  expect(slugs).toEqual(expect.arrayContaining(d.serve!.functionIds));
  expect(slugs).toHaveLength(d.serve!.functionIds.length * 2);
  expect(d.serve!.proc.name).toBe("next-serve");
});

it("`ayida-jobs sync convocatorias --wait` completes on the app's functions: every record and document in the store", async () => {
  const r = await d.cli(["sync", "convocatorias", "--from", "2026-11-01", "--to", "2026-11-03", "--run-id", "portal-sync", "--wait", "--wait-timeout", "90s", "--json"], d.operatorEnv());
  expect(r.code, r.stderr).toBe(0);
  expect(d.store.run("portal-sync")).toMatchObject({ status: "succeeded", listed: 6, new: 6, failed: 0, documents_stored: 6 });
  expectDetailsStored(d.store, inWindow);
  expectDocumentsIntact(d.store, inWindow);
  // The engine ran them on the app (its only app), and every run completed.
  await d.dev.waitUntilIdle();
  expect((await d.dev.runs()).filter((run) => run.status !== "COMPLETED")).toEqual([]);
});

it("POST /api/batch/sync-convocatoria-individual to the app: 202, and the detail and its document land in the store", async () => {
  const post = (auth: string) =>
    fetch(`${d.serverUrl}/api/batch/sync-convocatoria-individual`, { method: "POST", headers: { authorization: auth, "content-type": "application/json" }, body: JSON.stringify({ bdns: single!.bdns, runId: "portal-single" }) });
  expect((await post("Bearer not-the-secret")).status).toBe(401);
  const res = await post(`Bearer ${CRON_SECRET}`);
  expect(res.status, await res.clone().text()).toBe(202);
  expect(await res.json()).toMatchObject({ ok: true, queued: true, runId: "portal-single" });
  await waitForPipeline(d.store, "portal-single", { details: 7, documents: 7, failures: 0 }, 60_000, d.diagnose);
  expect(d.store.run("portal-single")).toMatchObject({ kind: "detail", new: 1, documents_stored: 1 });
  expectDetailsStored(d.store, [single!]);
  expectDocumentsIntact(d.store, [...inWindow, single!]);
});

/**
 * The production engine: the same binary's `inngest start` with a signing key and an event key — never
 * the Dev Server's unsigned mode — and `ayida-jobs serve` and the CLI in cloud mode against it
 * (INNGEST_BASE_URL, INNGEST_SIGNING_KEY=signkey-prod-<hex>, INNGEST_EVENT_KEY). The pipeline completes;
 * /api/inngest refuses a call without Inngest's signature and runs nothing; an event sent with a wrong
 * event key is refused and the CLI exits 78; during a key rotation (serve given the new key, the old one
 * as INNGEST_SIGNING_KEY_FALLBACK) the engine still signing with the old key is served.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { makeDataset } from "../support/bdns-server.js";
import { detailExecutionBody, inngestSignature } from "../support/inngest-signature.js";
import { answersTo, expectDetailsStored, expectDocumentsIntact } from "./support/checks.js";
import { startDeployment, type Deployment } from "./support/deployment.js";
import { waitForPipeline } from "./support/pipeline.js";

const SIGNING_KEY = `signkey-prod-${randomBytes(32).toString("hex")}`;
const EVENT_KEY = randomBytes(16).toString("hex");

const inWindow = makeDataset(10, { firstDate: "2026-11-01", perDay: 2, docs: 2 });
const [notRun, rotated] = makeDataset(2, { firstDate: "2026-10-20", firstCode: 800000, docs: 1 });
const once500 = inWindow[3]!;

let d: Deployment;
beforeAll(async () => {
  d = await startDeployment({ dataset: [...inWindow, notRun!, rotated!], selfHosted: { eventKey: EVENT_KEY, signingKey: SIGNING_KEY } });
});
afterAll(() => d?.close());

it("the pipeline completes on the signed engine: `sync convocatorias --wait` exits 0, every record and document stored", async () => {
  await d.bdns.fault({ path: "/convocatorias", param: ["numConv", once500.bdns] }, { status: 500, body: { error: "Internal Server Error" } });
  const r = await d.cli(["sync", "convocatorias", "--from", "2026-11-01", "--to", "2026-11-05", "--run-id", "signed", "--wait", "--wait-timeout", "90s", "--json"], d.operatorEnv());
  expect(r.code, r.stderr).toBe(0);
  expect(d.store.run("signed")).toMatchObject({ status: "succeeded", listed: 10, new: 10, unchanged: 0, failed: 0, documents_stored: 20 });
  expectDetailsStored(d.store, inWindow);
  expectDocumentsIntact(d.store, inWindow);
  expect(answersTo(await d.bdns.requests(), { numConv: once500.bdns })).toEqual([500, 200]);
  // The engine is the self-hosted one, in cloud mode for the app: serve says so, and none of it leaks a key.
  expect(await (await fetch(`${d.serverUrl}/health`)).json()).toMatchObject({ mode: "cloud" });
  const logs = d.serve!.proc.output() + d.dev.proc.output() + r.stdout + r.stderr;
  expect(logs).not.toContain(SIGNING_KEY.slice("signkey-prod-".length));
  expect(logs).not.toContain(EVENT_KEY);
  await d.dev.waitUntilIdle();
  expect((await d.dev.runs()).filter((run) => run.status !== "COMPLETED")).toEqual([]);
});

it("/api/inngest refuses a call without Inngest's signature, or signed with another key (401), and runs nothing", async () => {
  const url = `${d.appUrl}?fnId=ayida-portal-process-convocatoria-detail&stepId=step`;
  const body = detailExecutionBody(notRun!.bdns, "unsigned");
  const post = (headers: Record<string, string>) => fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  const unsigned = await post({});
  expect(unsigned.status).toBe(401);
  const otherKey = await post({ "x-inngest-signature": inngestSignature(body, `signkey-prod-${randomBytes(32).toString("hex")}`) });
  expect(otherKey.status).toBe(401);
  expect((await fetch(d.appUrl)).status, "an unsigned GET (introspection)").toBe(401);

  expect(answersTo(await d.bdns.requests(), { numConv: notRun!.bdns }), "BDNS asked for the record").toEqual([]);
  expect(d.store.run("unsigned")).toBeUndefined();
  expect(d.store.convocatorias().find((c) => c.bdns === notRun!.bdns)).toBeUndefined();
});

it("an event sent with a wrong event key is refused: the CLI exits 78 (configuration), names the key, not its value; nothing runs", async () => {
  const wrong = randomBytes(16).toString("hex");
  const r = await d.cli(["detail", notRun!.bdns, "--run-id", "wrong-key", "--json"], { INNGEST_EVENT_KEY: wrong });
  expect(r.code, r.stderr).toBe(78);
  expect(r.stdout + r.stderr).toContain("EVENT_KEY_REJECTED");
  expect(r.stdout + r.stderr).toContain("INNGEST_EVENT_KEY");
  expect(r.stdout + r.stderr).not.toContain(wrong);
  expect(r.stdout + r.stderr).not.toContain(EVENT_KEY);
  expect(d.store.run("wrong-key")).toBeUndefined();
  expect(answersTo(await d.bdns.requests(), { numConv: notRun!.bdns })).toEqual([]);
});

it("key rotation: serve given a new signing key and the old one as INNGEST_SIGNING_KEY_FALLBACK syncs and runs what the engine signs with the old key", async () => {
  const newKey = `signkey-prod-${randomBytes(32).toString("hex")}`;
  await d.stopServe();
  // The engine still knows only the old key: the sync (a PUT, then the SDK registering with its key) and
  // every call the engine signs go through the fallback.
  await d.startServe({ INNGEST_SIGNING_KEY: newKey, INNGEST_SIGNING_KEY_FALLBACK: SIGNING_KEY });
  const r = await d.cli(["detail", rotated!.bdns, "--run-id", "rotated", "--json"], d.operatorEnv());
  expect(r.code, r.stderr).toBe(0);
  await waitForPipeline(d.store, "rotated", { details: 11, documents: 21, failures: 0 }, 60_000, d.diagnose);
  expect(d.store.run("rotated")).toMatchObject({ kind: "detail", new: 1, documents_stored: 1 });
  expectDetailsStored(d.store, [rotated!]);
  // The old key alone still signs a call the app accepts; one signed with neither is refused.
  const body = detailExecutionBody(notRun!.bdns, "unsigned-again");
  const otherKey = await fetch(`${d.appUrl}?fnId=ayida-portal-process-convocatoria-detail&stepId=step`, { method: "POST", headers: { "content-type": "application/json", "x-inngest-signature": inngestSignature(body, `signkey-prod-${randomBytes(32).toString("hex")}`) }, body });
  expect(otherKey.status).toBe(401);
});

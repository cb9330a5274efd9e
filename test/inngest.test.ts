/**
 * The package entry `ayida-jobs/inngest`, as built (dist/, through package.json's `exports`), used the
 * way the portal's own app uses it: the seed's client and functions, and /api/inngest served by the
 * SDK's own Next.js adapter (`inngest/next`, which needs no Next.js to call: it takes Web Requests),
 * the batch routes, /api/runs and /health as the Web handlers a route.ts exports. Against the loopback
 * event API (the engine's registration and event endpoints) and BDNS, with a temp store. The real
 * Next.js app, built and started, is the engine suite's (test/engine/portal-app.engine.ts).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "inngest/next";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, createClient, createFunctions, createRoutes, guardInngest, MAX_INNGEST_BODY_BYTES, type AyidaFunctions } from "ayida-jobs/inngest";
import { Store } from "../src/adapters/store/store.js";
import { makeDataset, startFakeBdns, type FakeBdns } from "./support/bdns-server.js";
import { startFakeEventApi, type FakeEventApi } from "./support/event-api.js";
import { detailExecutionBody, inngestSignature } from "./support/inngest-signature.js";

const SECRET = "cron-secret-for-tests-0123456789";
const SIGNING_KEY = "signkey-prod-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const PORTAL = "https://portal.example";

let bdns: FakeBdns;
let events: FakeEventApi;
let dir: string;
const opened: AyidaFunctions[] = [];

beforeAll(async () => {
  bdns = await startFakeBdns({ dataset: makeDataset(2) });
  events = await startFakeEventApi();
});
afterAll(async () => {
  await Promise.all(opened.map((f) => f.close()));
  await bdns.close();
  await events.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ayida-entry-"));
  events.requests.length = 0;
});

/** The seed's three files, as the docs show them, over `env`. */
function portal(env: Record<string, string>) {
  const inngest = createClient({ env: { DATABASE_URL: join(dir, "portal.db"), DOCUMENTS_DIR: join(dir, "docs"), BDNS_API_URL: bdns.url, CRON_SECRET: SECRET, LOG_LEVEL: "silent", ...env } }); // src/inngest/client.ts
  const functions = createFunctions(inngest); // src/inngest/functions.ts
  opened.push(functions);
  const { GET, POST, PUT } = guardInngest(inngest, serve({ client: inngest, functions })); // src/app/api/inngest/route.ts
  return { inngest, functions, GET, POST, PUT, routes: createRoutes({ client: inngest, functions }) };
}


const execute = (body: string, headers: Record<string, string> = {}) =>
  new Request(`${PORTAL}/api/inngest?fnId=ayida-portal-process-convocatoria-detail&stepId=step`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

async function inStore<T>(work: (s: Store) => Promise<T>): Promise<T> {
  const store = await Store.open(join(dir, "portal.db"));
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

describe("ayida-jobs/inngest in a Next.js-style app (dev mode)", () => {
  it("GET introspects, PUT registers the app ayida-portal at the route's URL as a nextjs app, POST runs a function into the store", async () => {
    const app = portal({ INNGEST_DEV: events.url });
    expect(app.inngest.id).toBe("ayida-portal");
    const intro = (await (await app.GET(new Request(`${PORTAL}/api/inngest`), undefined)).json()) as { mode: string; function_count: number };
    expect(intro).toMatchObject({ mode: "dev", function_count: app.functions.length * 2 }); // each with its failure handler

    expect((await app.PUT(new Request(`${PORTAL}/api/inngest`, { method: "PUT" }), undefined)).status).toBe(200);
    const register = events.requests.find((r) => r.path === "/fn/register")!.body as { appName: string; url: string; framework: string; functions: Array<{ id: string }> };
    expect(register).toMatchObject({ appName: "ayida-portal", url: `${PORTAL}/api/inngest`, framework: "nextjs" });
    expect(register.functions.map((f) => f.id)).toContain("ayida-portal-process-convocatoria-detail");

    const res = await app.POST(execute(detailExecutionBody("900000", "entry-1")), undefined);
    expect([200, 206]).toContain(res.status);
    await inStore(async (s) => {
      expect(await s.getConvocatoria("900000")).toMatchObject({ bdns: "900000", content_hash: expect.any(String) });
      expect(await s.getRun("entry-1")).toMatchObject({ kind: "detail", new: 1 });
    });
  });

  it("the batch routes are Web handlers: 202 with the event sent, under a base path too; 401 without the secret; JSON errors", async () => {
    const { routes } = portal({ INNGEST_DEV: events.url });
    const post = (path: string, body: unknown, auth = `Bearer ${SECRET}`) => routes.batch(new Request(`${PORTAL}${path}`, { method: "POST", headers: { authorization: auth }, body: JSON.stringify(body) }));

    const res = await post("/api/batch/sync-convocatoria-individual", { bdns: "123456", runId: "web-1" });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ ok: true, queued: true, runId: "web-1", ids: events.requests[0]!.ids });
    expect(events.events()).toEqual([expect.objectContaining({ name: "convocatorias/detail.requested", data: expect.objectContaining({ bdns: "123456", runId: "web-1" }) })]);
    expect((await post("/portal/api/batch/sync-convocatorias", { from: "2026-11-01", to: "2026-11-07" })).status).toBe(202);
    expect(events.events()[1]).toMatchObject({ name: "convocatorias/sync.requested", data: { from: "2026-11-01", to: "2026-11-07" } });

    const refused = await post("/api/batch/sync-convocatoria-individual", { bdns: "1" }, "Bearer wrong-secret");
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ ok: false, error: { code: "UNAUTHORIZED" } });
    const bad = await post("/api/batch/sync-convocatoria-individual", { bdns: "12x" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/bdns: "12x" must be a BDNS code/);
    expect((await routes.batch(new Request(`${PORTAL}/api/batch/sync-subvenciones`, { method: "POST", headers: { authorization: `Bearer ${SECRET}` } }))).status).toBe(400);
    expect(events.requests).toHaveLength(2);
  });

  it("/api/runs reads the functions' store; /health says the mode, the functions and the store's state", async () => {
    const app = portal({ INNGEST_DEV: events.url });
    expect([200, 206]).toContain((await app.POST(execute(detailExecutionBody("900001", "entry-runs")), undefined)).status);
    const get = (path: string) => new Request(`${PORTAL}${path}`, { headers: { authorization: `Bearer ${SECRET}` } });
    const run = await app.routes.runs(get("/api/runs/entry-runs"));
    expect(run.status).toBe(200);
    // Running: its two documents are queued (sent to the event API), and nothing here runs them.
    expect(await run.json()).toMatchObject({ ok: true, run: { runId: "entry-runs", state: "running" } });
    expect(await (await app.routes.runs(get("/api/runs"))).json()).toMatchObject({ ok: true, runs: [expect.objectContaining({ runId: "entry-runs" })] });
    expect(await (await app.routes.health(new Request(`${PORTAL}/health`))).json()).toEqual({ ok: true, mode: "dev", functions: app.functions.map((f) => f.id("ayida-portal")), store: { dialect: "sqlite", state: "ok", since: expect.any(String) } });
  });
});

describe("ayida-jobs/inngest in cloud mode", () => {
  it("an unsigned or wrongly signed POST is refused (401) and runs nothing; a signed one runs; a body past 36 MiB is 413", async () => {
    const app = portal({ INNGEST_SIGNING_KEY: SIGNING_KEY, INNGEST_EVENT_KEY: "event-key-for-tests-abcdef", INNGEST_BASE_URL: events.url });
    const body = detailExecutionBody("900000", "cloud-entry");
    expect((await app.POST(execute(body), undefined)).status).toBe(401);
    expect((await app.POST(execute(body, { "x-inngest-signature": inngestSignature(body, `signkey-prod-${"0".repeat(64)}`) }), undefined)).status).toBe(401);
    await inStore(async (s) => expect(await s.getRun("cloud-entry")).toBeUndefined());

    expect([200, 206]).toContain((await app.POST(execute(body, { "x-inngest-signature": inngestSignature(body, SIGNING_KEY) }), undefined)).status);
    await inStore(async (s) => expect(await s.getRun("cloud-entry")).toMatchObject({ kind: "detail", new: 1 }));

    const huge = await app.POST(new Request(`${PORTAL}/api/inngest`, { method: "POST", headers: { "x-inngest-signature": inngestSignature(body, SIGNING_KEY), "content-length": String(MAX_INNGEST_BODY_BYTES + 1) }, body: "{}" }), undefined);
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ ok: false, error: { code: "BODY_TOO_LARGE" } });
  });
});

describe("explicit options stand for the variables", () => {
  it("store, documents, BDNS and schedules given in code win over the environment; a schedule for no dataset is a ConfigError naming it", async () => {
    const inngest = createClient({ env: { INNGEST_DEV: "1", SCHEDULE_CATALOGOS: "0 4 * * *" } });
    const functions = createFunctions(inngest, { store: join(dir, "explicit.db"), documents: join(dir, "docs"), bdns: { url: bdns.url, ratePerSecond: 5 }, schedules: { convocatorias: "TZ=Europe/Madrid 0 3 * * *" } });
    opened.push(functions);
    const ids = functions.map((f) => f.id("ayida-portal"));
    expect(ids).toContain("ayida-portal-schedule-convocatorias");
    expect(ids).not.toContain("ayida-portal-schedule-catalogos"); // the schedules given are the whole set
    expect(() => createFunctions(inngest, { schedules: { convocatoria: "0 3 * * *" } })).toThrow(ConfigError);
    expect(() => createFunctions(inngest, { schedules: { convocatoria: "0 3 * * *" } })).toThrow(/schedules.convocatoria: is not a dataset/);
    expect(() => createFunctions(inngest, { bdns: { ratePerSecond: 12 } })).toThrow(/BDNS_RATE_LIMIT: must be below 10/);
  });
});

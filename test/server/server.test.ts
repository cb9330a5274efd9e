/**
 * `serve` over real HTTP on port 0: the batch routes (auth, bodies, what reaches the event API), the
 * SDK's /api/inngest in dev and cloud mode running a function end to end against the loopback BDNS
 * and a temp store, and the request log.
 */
import { createHmac } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Store } from "../../src/adapters/store/store.js";
import { canonicalJson } from "../../src/adapters/store/store.js";
import { parseEnv } from "../../src/config/env.js";
import { startServer, type RunningServer } from "../../src/server/index.js";
import { DATASETS } from "../../src/datasets/index.js";
import { makeDataset, startFakeBdns, type FakeBdns } from "../support/bdns-server.js";
import { startFakeEventApi, type FakeEventApi } from "../support/event-api.js";

const SECRET = "cron-secret-for-tests-0123456789";

/** The app's functions and their triggers: convocatorias' four, then one per dataset (and its details'), from the declarations. */
const FUNCTIONS: Array<[string, string[]]> = [
  ["ayida-portal-create-convocatoria-jobs", ["convocatorias/sync.requested"]],
  ["ayida-portal-process-sync-piece", ["convocatorias/sync.piece.requested"]],
  ["ayida-portal-process-convocatoria-detail", ["convocatorias/detail.requested"]],
  ["ayida-portal-process-document-storage", ["documents/storage.requested"]],
  ...DATASETS.flatMap((d): Array<[string, string[]]> => [
    [`ayida-portal-sync-${d.name}`, [`${d.name}/sync.requested`, `${d.name}/sync.piece.requested`]],
    ...(d.details
      ? ([
          [`ayida-portal-${d.name}-detail`, [`${d.name}/detail.requested`]],
          [`ayida-portal-${d.name}-document`, [`${d.name}/document.requested`]],
        ] as Array<[string, string[]]>)
      : []),
  ]),
];
const SIGNING_KEY = "signkey-prod-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const EVENT_KEY = "event-key-for-tests-abcdef";

let bdns: FakeBdns;
let events: FakeEventApi;
let logs: string[];
let dir: string;

function logger() {
  return pino({ level: "debug" }, new Writable({ write: (c, _e, done) => (logs.push(String(c)), done()) }));
}

async function start(env: Record<string, string>): Promise<RunningServer> {
  return startServer(parseEnv({ DATABASE_URL: join(dir, "ayida.db"), DOCUMENTS_DIR: join(dir, "docs"), BDNS_API_URL: bdns.url, ...env }), { port: 0, host: "127.0.0.1", logger: logger() });
}

beforeAll(async () => {
  bdns = await startFakeBdns({ dataset: makeDataset(2) });
  events = await startFakeEventApi();
});
afterAll(async () => {
  await bdns.close();
  await events.close();
});
beforeEach(() => {
  logs = [];
  dir = mkdtempSync(join(tmpdir(), "ayida-serve-"));
  events.requests.length = 0;
  events.setFault(undefined);
});

describe("dev mode", () => {
  let server: RunningServer;
  let url: string;
  beforeEach(async () => {
    server = await start({ INNGEST_DEV: events.url, CRON_SECRET: SECRET });
    url = server.urls[0]!;
  });
  afterEach(() => server.close());

  const post = (path: string, body?: unknown, auth: string | null = `Bearer ${SECRET}`, raw?: string) =>
    fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...(auth !== null && { authorization: auth }) }, ...(raw !== undefined ? { body: raw } : body !== undefined && { body: JSON.stringify(body) }) });

  it("GET /health names the mode and the functions, no secrets", async () => {
    const res = await fetch(`${url}/health`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ ok: true, mode: "dev", functions: FUNCTIONS.map(([id]) => id), store: { dialect: "sqlite", state: "ok", since: expect.any(String) } });
    expect(text).not.toContain(SECRET);
  });

  it.each([
    { name: "no header", auth: null, status: 401 },
    { name: "a wrong secret", auth: "Bearer nope", status: 401 },
    { name: "a secret with extra characters", auth: `Bearer ${SECRET}x`, status: 401 },
    { name: "the secret's first character", auth: `Bearer ${SECRET.slice(0, 1)}`, status: 401 },
    { name: "the secret but its last character", auth: `Bearer ${SECRET.slice(0, -1)}`, status: 401 },
    { name: "Basic auth", auth: `Basic ${SECRET}`, status: 401 },
    { name: "the right secret", auth: `Bearer ${SECRET}`, status: 202 },
  ])("batch route with $name → $status", async ({ auth, status }) => {
    const res = await post("/api/batch/sync-convocatoria-individual", { bdns: "123456" }, auth);
    expect(res.status).toBe(status);
    const body = await json(res);
    expect(body.ok).toBe(status === 202);
    expect(events.requests).toHaveLength(status === 202 ? 1 : 0);
  });

  it("sync-convocatoria-individual sends the detail event and answers 202 with runId and ids", async () => {
    const res = await post("/api/batch/sync-convocatoria-individual", { bdns: "123456" });
    const body = await json(res);
    expect(res.status).toBe(202);
    expect(body).toEqual({ ok: true, queued: true, runId: expect.any(String), ids: events.requests[0]!.ids });
    expect(events.events()).toEqual([
      { name: "convocatorias/detail.requested", data: { bdns: "123456", runId: body.runId, timestamp: expect.any(String) }, id: `convocatorias/detail.requested?bdns=123456&runId=${body.runId}`, ts: expect.any(Number) },
    ]);
  });

  it("sync-convocatorias takes an optional window", async () => {
    expect((await post("/api/batch/sync-convocatorias")).status).toBe(202);
    expect((await post("/api/batch/sync-convocatorias", { from: "2026-11-01", to: "2026-11-07" })).status).toBe(202);
    expect(events.events().map((e) => e.data)).toEqual([
      { runId: expect.any(String), timestamp: expect.any(String) },
      { runId: expect.any(String), timestamp: expect.any(String), from: "2026-11-01", to: "2026-11-07" },
    ]);
  });

  it("batch routes take a runId (a retrying caller gets the same event ids) and sync takes full", async () => {
    const body = { from: "2026-11-01", to: "2026-11-07", full: true, runId: "cron-2026-11-28" };
    const first = await json(await post("/api/batch/sync-convocatorias", body));
    const again = await json(await post("/api/batch/sync-convocatorias", body));
    expect(first).toMatchObject({ ok: true, runId: "cron-2026-11-28" });
    expect(again.runId).toBe("cron-2026-11-28");
    const [a, b] = events.events();
    expect(a).toMatchObject({ name: "convocatorias/sync.requested", data: { runId: "cron-2026-11-28", from: "2026-11-01", to: "2026-11-07", full: true } });
    expect(b!.id).toBe(a!.id);
    const single = await json(await post("/api/batch/sync-convocatoria-individual", { bdns: "123456", runId: "retry-7" }));
    expect(single.runId).toBe("retry-7");
    expect(events.events()[2]).toMatchObject({ data: { bdns: "123456", runId: "retry-7" } });
  });

  it("every dataset has its batch route, generated from its declaration; sync-all sends one event per dataset under one runId", async () => {
    for (const d of DATASETS) {
      const res = await post(`/api/batch/sync-${d.name}`, { runId: `route-${d.name}`, full: true });
      expect(res.status, d.name).toBe(202);
    }
    expect(events.events().map((e) => [e.name, e.data.runId, e.data.full])).toEqual(DATASETS.map((d) => [`${d.name}/sync.requested`, `route-${d.name}`, true]));
    events.requests.length = 0;
    const all = await json(await post("/api/batch/sync-all", { runId: "all-1", from: "2026-11-01", to: "2026-11-07" }));
    expect(all).toMatchObject({ ok: true, runId: "all-1", ids: expect.any(Array) });
    const sent = events.events();
    expect(sent).toHaveLength(DATASETS.length + 1);
    expect(new Set(sent.map((e) => e.data.runId))).toEqual(new Set(["all-1"]));
    expect(new Set(sent.map((e) => e.id)).size).toBe(sent.length);
    expect(sent.find((e) => e.name === "concesiones/sync.requested")!.data).toMatchObject({ from: "2026-11-01", to: "2026-11-07" });
    expect(sent.find((e) => e.name === "regiones/sync.requested")!.data).not.toHaveProperty("from");
  });

  it("every sync route and sync-all take allowRemoval, carried in the event (and its id), convocatorias' too", async () => {
    expect((await post("/api/batch/sync-catalogos", { runId: "force-1", allowRemoval: true })).status).toBe(202);
    expect(events.events()[0]).toMatchObject({ name: "catalogos/sync.requested", data: { runId: "force-1", allowRemoval: true }, id: "catalogos/sync.requested?allowRemoval=true&runId=force-1" });
    events.requests.length = 0;
    expect((await post("/api/batch/sync-all", { runId: "force-all", allowRemoval: true })).status).toBe(202);
    const sent = events.events();
    expect(sent.filter((e) => e.data.allowRemoval === true)).toHaveLength(DATASETS.length + 1);
    expect(sent.find((e) => e.name === "convocatorias/sync.requested")).toMatchObject({ data: { allowRemoval: true }, id: "convocatorias/sync.requested?allowRemoval=true&runId=force-all" });
    events.requests.length = 0;
    expect((await post("/api/batch/sync-convocatorias", { runId: "force-c", allowRemoval: true })).status).toBe(202);
    expect(events.events()[0]).toMatchObject({ name: "convocatorias/sync.requested", data: { runId: "force-c", allowRemoval: true } });
  });

  it.each<{ path: string; body?: unknown; raw?: string; status: number; message: RegExp }>([
    { path: "/api/batch/sync-convocatorias", body: { removal: true }, status: 400, message: /body.removal: is not a known field; known: from, to, full, allowRemoval, runId/ },
    { path: "/api/batch/sync-catalogos", body: { allowRemoval: "yes" }, status: 400, message: /allowRemoval: "yes" must be true or false/ },
    { path: "/api/batch/sync-convocatoria-individual", raw: "{bad json", status: 400, message: /body: is not valid JSON/ },
    { path: "/api/batch/sync-convocatoria-individual", body: {}, status: 400, message: /bdns: is required/ },
    { path: "/api/batch/sync-convocatoria-individual", body: { bdns: "12x" }, status: 400, message: /bdns: "12x" must be a BDNS code/ },
    { path: "/api/batch/sync-convocatoria-individual", body: { bdns: 123456 }, status: 400, message: /bdns: 123456 must be a string/ },
    { path: "/api/batch/sync-convocatoria-individual", body: [1], status: 400, message: /body: must be a JSON object/ },
    { path: "/api/batch/sync-convocatorias", body: { desde: "2026-11-01" }, status: 400, message: /body.desde: is not a known field; known: from, to, full, allowRemoval, runId/ },
    { path: "/api/batch/sync-convocatorias", body: { full: "yes" }, status: 400, message: /full: "yes" must be true or false/ },
    { path: "/api/batch/sync-convocatorias", body: { runId: "--dry-run" }, status: 400, message: /runId: "--dry-run" must be a run id/ },
    { path: "/api/batch/sync-subvenciones", body: {}, status: 400, message: /dataset: "subvenciones" is not a dataset that can be synced; valid: convocatorias, catalogos, .*, or all/ },
    { path: "/api/batch/sync-organos", body: { from: "2026-11-01" }, status: 400, message: /body.from: is not a known field; known: full, allowRemoval, runId/ },
    { path: "/api/batch/sync-concesiones", body: { from: "2019-01-01" }, status: 400, message: /from: "2019-01-01" must not be before 2020-01-01/ },
    { path: "/api/batch/sync-convocatoria-individual", body: { bdns: "1", runId: 7 }, status: 400, message: /runId: 7 must be a string/ },
    { path: "/api/batch/sync-convocatorias", body: { from: "2026-02-30" }, status: 400, message: /from: "2026-02-30" must be a real calendar date/ },
    { path: "/api/batch/sync-convocatorias", body: { from: "2026-11-07", to: "2026-11-01" }, status: 400, message: /must not be after to/ },
    { path: "/api/batch/sync-convocatorias", raw: JSON.stringify({ from: "x".repeat(70_000) }), status: 413, message: /at most 64 KiB/ },
  ])("$path $body → $status, nothing sent", async ({ path, body, raw, status, message }) => {
    const res = await post(path, body, `Bearer ${SECRET}`, raw);
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toContain("application/json");
    const answer = await json(res);
    expect(answer.ok).toBe(false);
    expect(answer.error.message).toMatch(message);
    expect(events.requests).toHaveLength(0);
  });

  it("wrong method 405 with Allow; unknown path 404; both JSON", async () => {
    const get = await fetch(`${url}/api/batch/sync-convocatorias`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect((await json(get)).error.code).toBe("METHOD_NOT_ALLOWED");
    const missing = await fetch(`${url}/nope`);
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.code).toBe("NOT_FOUND");
    expect((await fetch(`${url}/health`, { method: "DELETE" })).status).toBe(405);
  });

  it("event API failing → 502 with a clear message", async () => {
    events.setFault(() => ({ status: 500, body: '{"error":"down"}' }));
    const res = await post("/api/batch/sync-convocatoria-individual", { bdns: "1" });
    expect(res.status).toBe(502);
    const body = await json(res);
    expect(body.error).toMatchObject({ code: "EVENT_API_UNAVAILABLE", message: expect.stringMatching(/500 down.*the event API refused it.*retrying with runId .+ is safe/) });
    expect(body.runId).toEqual(expect.any(String));
  });

  it("GET /api/inngest lists the functions; PUT registers them with the Dev Server", async () => {
    const intro = await (await fetch(`${url}/api/inngest`)).json();
    expect(intro).toMatchObject({ mode: "dev", function_count: FUNCTIONS.length * 2 }); // each with its failure handler
    const put = await fetch(`${url}/api/inngest`, { method: "PUT" });
    expect(put.status).toBe(200);
    const register = events.requests.find((r) => r.path === "/fn/register")!;
    const body = register.body as { appName: string; url: string; functions: Array<{ id: string; triggers: Array<{ event: string }> }> };
    expect(body.appName).toBe("ayida-portal");
    expect(body.url).toBe(`${url}/api/inngest`);
    expect(body.functions.map((f) => [f.id, f.triggers.map((t) => t.event)])).toEqual(
      FUNCTIONS.flatMap(([id, triggers]) => [
        [id, triggers],
        [`${id}-failure`, ["inngest/function.failed"]],
      ]),
    );
  });

  it("POST /api/inngest shaped like the executor's request runs the detail function end to end", async () => {
    const res = await fetch(`${url}/api/inngest?fnId=ayida-portal-process-convocatoria-detail&stepId=step`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(executorBody("900000", "exec-1")),
    });
    expect([200, 206]).toContain(res.status);
    const store = await Store.open(join(dir, "ayida.db"));
    try {
      expect(await store.getConvocatoria("900000")).toMatchObject({ bdns: "900000", content_hash: expect.any(String) });
      expect(await store.getRun("exec-1")).toMatchObject({ kind: "detail", new: 1 });
    } finally {
      await store.close();
    }
  });

  it.each([
    ["create-convocatoria-jobs", { runId: "dead-sync", timestamp: "2026-11-28T10:00:00.000Z" }, { kind: "sync", status: "failed" }, { bdns: "", document_id: "" }],
    ["process-convocatoria-detail", { runId: "dead-detail", bdns: "900000", timestamp: "2026-11-28T10:00:00.000Z" }, { kind: "detail", status: "running" }, { bdns: "900000", document_id: "" }],
    ["process-document-storage", { runId: "dead-doc", bdns: "900000", documentId: "9000001", timestamp: "2026-11-28T10:00:00.000Z" }, { kind: "document", status: "running" }, { bdns: "900000", document_id: "9000001" }],
  ])("a %s run that failed for good is recorded by its failure handler", async (fn, data, run, failure) => {
    const eventName = { "create-convocatoria-jobs": "convocatorias/sync.requested", "process-convocatoria-detail": "convocatorias/detail.requested", "process-document-storage": "documents/storage.requested" }[fn]!;
    const original = { name: eventName, data };
    const failed = { name: "inngest/function.failed", data: { function_id: `ayida-portal-${fn}`, run_id: "01DEAD", error: { name: "Error", message: "BDNS unreachable for 3 hours" }, event: original }, id: "f-1", ts: Date.now() };
    const res = await fetch(`${url}/api/inngest?fnId=ayida-portal-${fn}-failure&stepId=step`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ event: failed, events: [failed], steps: {}, ctx: { run_id: "01FAIL", attempt: 0, stack: { stack: [], current: 0 } }, version: 2, use_api: false }),
    });
    expect([200, 206]).toContain(res.status);
    const store = await Store.open(join(dir, "ayida.db"));
    try {
      expect(await store.getRun(data.runId)).toMatchObject({ ...run, failed: 1 });
      expect(await store.getFailures(data.runId)).toEqual([expect.objectContaining({ ...failure, failure: "RETRIES_EXHAUSTED", reason: "BDNS unreachable for 3 hours" })]);
      expect(await store.getItems(data.runId)).toEqual([expect.objectContaining({ state: "failed", failure: "RETRIES_EXHAUSTED" })]);
    } finally {
      await store.close();
    }
  });

  it("the executor's attempt number reaches the store: a failing attempt is filed as attempt n of m", async () => {
    bdns.fault((p) => p === "/convocatorias", ...Array(3).fill({ status: 503, body: "busy", contentType: "text/plain" }));
    const res = await fetch(`${url}/api/inngest?fnId=ayida-portal-process-convocatoria-detail&stepId=step`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(executorBody("900000", "exec-retry", 2)),
    });
    expect([206, 500]).toContain(res.status);
    const store = await Store.open(join(dir, "ayida.db"));
    try {
      const items = await store.getItems("exec-retry");
      expect(items).toEqual([expect.objectContaining({ kind: "detail", item: "900000", state: "failing", attempt: 3, max_attempts: 6, failure: "SERVER", next_attempt_at: expect.any(String) })]);
    } finally {
      await store.close();
    }
  });

  it("logs one line per request, never the Authorization header or a secret", async () => {
    await post("/api/batch/sync-convocatoria-individual", { bdns: "1" });
    await post("/api/batch/sync-convocatoria-individual", { bdns: "1" }, "Bearer wrong-secret-value");
    const lines = logs.map((l) => JSON.parse(l)).filter((l) => l.msg === "request");
    expect(lines).toEqual([
      expect.objectContaining({ method: "POST", path: "/api/batch/sync-convocatoria-individual", status: 202, durationMs: expect.any(Number) }),
      expect.objectContaining({ status: 401 }),
    ]);
    const all = logs.join("\n");
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain("wrong-secret-value");
    expect(all.toLowerCase()).not.toContain("authorization");
  });
});

describe("without CRON_SECRET", () => {
  it.each(["/api/batch/sync-convocatorias", "/api/batch/sync-convocatoria-individual"])("%s answers 503 whatever the header, and sends nothing", async (path) => {
    const server = await start({ INNGEST_DEV: events.url });
    try {
      for (const authorization of [undefined, "Bearer ", "Bearer undefined", `Bearer ${SECRET}`]) {
        const res = await fetch(`${server.urls[0]}${path}`, { method: "POST", headers: { "content-type": "application/json", ...(authorization !== undefined && { authorization }) }, body: '{"bdns":"1"}' });
        expect(res.status).toBe(503);
        expect((await json(res)).error).toMatchObject({ code: "NOT_CONFIGURED", message: expect.stringContaining("CRON_SECRET is not set") });
      }
      expect(events.requests).toHaveLength(0);
    } finally {
      await server.close();
    }
  });
});

describe("shutdown", () => {
  it("lets an in-flight request finish, refuses new connections, and closes", async () => {
    const server = await start({ INNGEST_DEV: events.url, CRON_SECRET: SECRET });
    const url = server.urls[0]!;
    events.setFault(() => ({ delayMs: 300 }));
    const inFlight = fetch(`${url}/api/batch/sync-convocatoria-individual`, { method: "POST", headers: { authorization: `Bearer ${SECRET}` }, body: '{"bdns":"5"}' });
    while (events.requests.length === 0) await new Promise((r) => setTimeout(r, 10)); // it has reached the event API
    const closing = server.close(5_000);
    const res = await inFlight;
    expect(res.status).toBe(202);
    await closing;
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it("bounds the wait: a request still in flight at the grace period is answered 503 and logged, not reset", async () => {
    const server = await start({ INNGEST_DEV: events.url, CRON_SECRET: SECRET });
    events.setFault(() => "hang");
    const inFlight = fetch(`${server.urls[0]}/api/batch/sync-convocatoria-individual`, { method: "POST", headers: { authorization: `Bearer ${SECRET}` }, body: '{"bdns":"6","runId":"cut-1"}' });
    while (events.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    const t0 = performance.now();
    await server.close(200);
    expect(performance.now() - t0).toBeLessThan(2_000);
    const res = await inFlight;
    expect(res.status).toBe(503);
    expect((await json(res)).error).toMatchObject({ code: "SHUTTING_DOWN", message: expect.stringMatching(/may have been queued.*same runId/) });
    const cut = logs.map((l) => JSON.parse(l)).filter((l) => l.msg === "request cut short by shutdown");
    expect(cut).toEqual([expect.objectContaining({ method: "POST", path: "/api/batch/sync-convocatoria-individual", graceMs: 200 })]);
  });
});

describe("cloud mode", () => {
  it("refuses to start without a signing key or an event key", async () => {
    await expect(start({ INNGEST_EVENT_KEY: EVENT_KEY })).rejects.toThrow(/INNGEST_SIGNING_KEY is not set/);
    await expect(start({ INNGEST_SIGNING_KEY: SIGNING_KEY })).rejects.toThrow(/INNGEST_EVENT_KEY is not set/);
  });

  it("refuses an unsigned POST (401) and runs a correctly signed one", async () => {
    const server = await start({ INNGEST_SIGNING_KEY: SIGNING_KEY, INNGEST_EVENT_KEY: EVENT_KEY, INNGEST_BASE_URL: events.url, CRON_SECRET: SECRET });
    try {
      const target = `${server.urls[0]}/api/inngest?fnId=ayida-portal-process-convocatoria-detail&stepId=step`;
      const body = JSON.stringify(executorBody("900001", "cloud-1"));
      const unsigned = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
      expect(unsigned.status).toBe(401);
      const forged = await fetch(target, { method: "POST", headers: { "content-type": "application/json", "x-inngest-signature": sign(body, "signkey-prod-" + "0".repeat(64)) }, body });
      expect(forged.status).toBe(401);
      const signed = await fetch(target, { method: "POST", headers: { "content-type": "application/json", "x-inngest-signature": sign(body, SIGNING_KEY) }, body });
      expect([200, 206]).toContain(signed.status);
      const store = await Store.open(join(dir, "ayida.db"));
      try {
        expect(await store.getConvocatoria("900001")).toMatchObject({ bdns: "900001" });
      } finally {
        await store.close();
      }
      expect((await json(await fetch(`${server.urls[0]}/health`))).mode).toBe("cloud");
    } finally {
      await server.close();
    }
  });
});

/** Response bodies are asserted field by field. */
const json = async (r: Response): Promise<any> => r.json();

function executorBody(bdnsCode: string, runId: string, attempt = 0) {
  const event = { name: "convocatorias/detail.requested", data: { bdns: bdnsCode, runId, timestamp: "2026-11-28T10:00:00.000Z" }, id: `e-${runId}`, ts: Date.now() };
  return { event, events: [event], steps: {}, ctx: { run_id: `01RUN${runId}`, attempt, stack: { stack: [], current: 0 } }, version: 2, use_api: false };
}

/** X-Inngest-Signature: t=<unix s>&s=HMAC-SHA256(key without "signkey-<env>-", canonical JSON + t). */
function sign(body: string, signingKey: string): string {
  const t = Math.floor(Date.now() / 1000).toString();
  const s = createHmac("sha256", signingKey.replace(/^signkey-\w+-/, "")).update(canonicalJson(JSON.parse(body)) + t).digest("hex");
  return `t=${t}&s=${s}`;
}

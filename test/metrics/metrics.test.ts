/**
 * /metrics on a real `serve` over HTTP: Prometheus' text format (every line a comment or a sample;
 * promtool's own lint runs in the tools suite, test/tools/metrics-promtool.tools.ts), open or behind
 * METRICS_TOKEN, counters that move when a job runs (BDNS requests by endpoint and outcome, 429s,
 * latency, limiter wait, rows, documents and bytes, function runs, events sent), and label sets that
 * stay bounded whatever is synced. Plus the recorders without a registry (CLI processes).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "../../src/config/env.js";
import { startServer, type RunningServer } from "../../src/server/index.js";
import * as metrics from "../../src/metrics/index.js";
import { makeDataset, startFakeBdns, type FakeBdns } from "../support/bdns-server.js";
import { makeDatasetsFixture } from "../support/bdns-datasets.js";
import { startFakeEventApi, type FakeEventApi } from "../support/event-api.js";

const TOKEN = "metrics-token-for-tests-0123456789";

/** Every sample of the exposition: name, labels, value. */
function samples(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const out = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

function value(text: string, name: string, labels: Record<string, string> = {}): number {
  return samples(text)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}

let bdns: FakeBdns;
let events: FakeEventApi;
let server: RunningServer;
let url: string;
let dir: string;

async function scrape(auth?: string): Promise<string> {
  const res = await fetch(`${url}/metrics`, { headers: auth ? { authorization: auth } : {} });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return res.text();
}

/**
 * Run one function over HTTP the way the Inngest executor does: POST the event, memoize each step the
 * SDK reports (206), call again, until the run ends (200) or a step fails (its error is reported: the
 * executor would retry later). Returns the last status.
 */
async function execute(fnId: string, name: string, data: Record<string, unknown>, runId: string): Promise<number> {
  const event = { name, data, id: `e-${runId}`, ts: Date.now() };
  const steps: Record<string, unknown> = {};
  let stepId = "step";
  for (let call = 0; call < 40; call++) {
    const res = await fetch(`${url}/api/inngest?fnId=ayida-portal-${fnId}&stepId=${stepId}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ event, events: [event], steps, ctx: { run_id: `01RUN${runId}`, attempt: 0, stack: { stack: Object.keys(steps), current: Object.keys(steps).length } }, version: 2, use_api: false }),
    });
    const text = await res.text();
    if (res.status !== 206) return res.status;
    const ops = JSON.parse(text) as Array<{ id: string; op: string; data?: unknown }>;
    stepId = "step";
    for (const op of ops) {
      if (op.op === "StepError") return 206;
      if (op.op === "StepPlanned") stepId = op.id;
      else steps[op.id] = { type: "data", data: op.data ?? null };
    }
  }
  throw new Error(`${fnId} did not finish in 40 calls`);
}

beforeAll(async () => {
  bdns = await startFakeBdns({ dataset: makeDataset(4, { docs: 1 }), datasets: makeDatasetsFixture() });
  events = await startFakeEventApi();
  dir = mkdtempSync(join(tmpdir(), "ayida-metrics-"));
  const logs = new Writable({ write: (_c, _e, done) => done() });
  server = await startServer(parseEnv({ INNGEST_DEV: events.url, DATABASE_URL: join(dir, "ayida.db"), DOCUMENTS_DIR: join(dir, "docs"), BDNS_API_URL: bdns.url, BDNS_RATE_LIMIT: "9.9" }), { port: 0, host: "127.0.0.1", logger: pino({ level: "silent" }, logs) });
  url = server.urls[0]!;
});
afterAll(async () => {
  await server.close(0);
  await bdns.close();
  await events.close();
});

describe("GET /metrics", () => {
  it("answers Prometheus' text format, with every metric declared (HELP and TYPE) before any job ran", async () => {
    const text = await scrape();
    for (const name of ["ayida_bdns_requests_total", "ayida_bdns_request_duration_seconds", "ayida_bdns_limiter_wait_seconds", "ayida_bdns_budget_fallback", "ayida_rows_total", "ayida_removals_held_total", "ayida_documents_stored_total", "ayida_document_bytes_stored_total", "ayida_function_runs_total", "ayida_events_sent_total"]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain("ayida_process_cpu_seconds_total"); // the process' own (prom-client's defaults)
    // Every line is a HELP, a TYPE or a sample (samples() throws on anything else), and each metric's
    // samples follow its own TYPE.
    let typed = "";
    for (const line of text.split("\n").filter(Boolean)) {
      const type = /^# TYPE (\S+) (counter|gauge|histogram|summary)$/.exec(line);
      if (type) typed = type[1]!;
      else if (!line.startsWith("# HELP ")) expect(samples(line)[0]!.name.startsWith(typed), line).toBe(true);
    }
  });

  it("HEAD answers headers only; other methods 405", async () => {
    const head = await fetch(`${url}/metrics`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const post = await fetch(`${url}/metrics`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });

  it("counters move when jobs run: BDNS requests (incl. 429), latency, limiter wait, rows, documents and bytes, runs, events", async () => {
    const before = await scrape();
    // A detail (one BDNS request, its document fanned out), then its document (one download).
    expect([200, 206]).toContain(await execute("process-convocatoria-detail", "convocatorias/detail.requested", { bdns: "900000", runId: "m-1", timestamp: "2026-11-28T10:00:00.000Z" }, "m-1"));
    expect([200, 206]).toContain(await execute("process-document-storage", "documents/storage.requested", { bdns: "900000", documentId: "9000000", runId: "m-1", timestamp: "2026-11-28T10:00:00.000Z" }, "m-1d"));
    // A dataset (regiones: one request, a tree of rows).
    expect([200, 206]).toContain(await execute("sync-regiones", "regiones/sync.requested", { runId: "m-2", timestamp: "2026-11-28T10:00:00.000Z" }, "m-2"));
    // BDNS answers 429 to every attempt of the next detail.
    bdns.fault((p) => p === "/convocatorias", ...Array(3).fill({ status: 429, body: "", headers: { "retry-after": "0" } }));
    expect([206, 500]).toContain(await execute("process-convocatoria-detail", "convocatorias/detail.requested", { bdns: "900001", runId: "m-3", timestamp: "2026-11-28T10:00:00.000Z" }, "m-3"));
    const after = await scrape();

    const moved = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels);
    expect(moved("ayida_bdns_requests_total", { endpoint: "/convocatorias", outcome: "ok" })).toBe(1);
    expect(moved("ayida_bdns_requests_total", { endpoint: "/convocatorias/documentos", outcome: "ok" })).toBe(1);
    expect(moved("ayida_bdns_requests_total", { endpoint: "/regiones", outcome: "ok" })).toBe(1);
    expect(moved("ayida_bdns_requests_total", { endpoint: "/convocatorias", outcome: "rate_limited" })).toBe(3);
    expect(moved("ayida_bdns_request_duration_seconds_count", { endpoint: "/convocatorias" })).toBe(4);
    expect(moved("ayida_bdns_limiter_wait_seconds_count")).toBe(6);
    expect(moved("ayida_rows_total", { dataset: "convocatorias", outcome: "new" })).toBe(1);
    expect(moved("ayida_rows_total", { dataset: "regiones", outcome: "new" })).toBeGreaterThan(0);
    expect(moved("ayida_documents_stored_total")).toBe(1);
    expect(moved("ayida_document_bytes_stored_total")).toBe(bdns.dataset[0]!.documents[0]!.long);
    expect(moved("ayida_function_runs_total", { function: "process-convocatoria-detail", outcome: "succeeded" })).toBe(1);
    expect(moved("ayida_function_runs_total", { function: "process-document-storage", outcome: "succeeded" })).toBe(1);
    expect(moved("ayida_function_runs_total", { function: "process-convocatoria-detail", outcome: "retrying" })).toBe(1);
    expect(moved("ayida_events_sent_total", { outcome: "accepted" })).toBe(1); // the detail's one document
    expect(samples(after).length).toBeGreaterThan(samples(before).length); // still parses, line by line
  });

  it("a removal held back is counted by dataset and reason: regiones answered `200 []` after a good sync", async () => {
    expect([200, 206]).toContain(await execute("sync-regiones", "regiones/sync.requested", { runId: "held-1", timestamp: "2026-11-28T10:00:00.000Z" }, "held-1"));
    const before = await scrape();
    bdns.fault((p) => p === "/regiones", { status: 200, body: [] });
    expect([200, 206]).toContain(await execute("sync-regiones", "regiones/sync.requested", { runId: "held-2", timestamp: "2026-11-28T10:00:00.000Z" }, "held-2"));
    const after = await scrape();
    const held = value(after, "ayida_removals_held_total", { dataset: "regiones", reason: "empty" }) - value(before, "ayida_removals_held_total", { dataset: "regiones", reason: "empty" });
    expect(held).toBeGreaterThan(40); // every node of the tree
    expect(value(after, "ayida_rows_total", { dataset: "regiones", outcome: "removed" })).toBe(value(before, "ayida_rows_total", { dataset: "regiones", outcome: "removed" }));
    expect(samples(after).length).toBeGreaterThan(0); // still parses, line by line (promtool: the tools suite)
  });

  it("label sets stay bounded: no BDNS code, document id or runId ever becomes a label value", async () => {
    for (let i = 0; i < 3; i++) await execute("process-convocatoria-detail", "convocatorias/detail.requested", { bdns: String(900000 + i), runId: `bounded-run-${i}`, timestamp: "2026-11-28T10:00:00.000Z" }, `bounded-${i}`);
    // Recorded directly with what a careless caller might pass: each is bounded.
    metrics.recordBdnsRequest("/convocatorias/900002", "ok", 0.1);
    metrics.recordBdnsRequest("/convocatorias?numConv=900002", "ok", 0.1);
    metrics.recordRows("bounded-run-1", "new", 1);
    metrics.recordRemovalsHeld("regiones", "because bounded-run-2 said so", 1);
    metrics.recordFunctionRun("ayida-portal-process-convocatoria-detail", "succeeded");
    metrics.recordFunctionRun("Detail 900002 of bounded-run-1", "failed");
    const text = await scrape();
    const ours = samples(text).filter((s) => s.name.startsWith("ayida_") && !s.name.startsWith("ayida_process_") && !s.name.startsWith("ayida_nodejs_"));
    const allowed: Record<string, (v: string) => boolean> = {
      endpoint: (v) => v === "other" || /^(\/[a-z]+)+$/.test(v),
      outcome: (v) => [...metrics.BDNS_OUTCOMES, ...metrics.ROW_OUTCOMES, ...metrics.RUN_OUTCOMES, ...metrics.SEND_OUTCOMES].includes(v as never),
      dataset: (v) => v === "other" || v === "convocatorias" || /^[a-z]+(-[a-z]+)*$/.test(v),
      function: (v) => v === "other" || /^[a-z]+(-[a-z]+)*$/.test(v),
      reason: (v) => v === "other" || metrics.HOLD_REASONS.includes(v as never),
      le: () => true,
    };
    for (const s of ours) {
      for (const [k, v] of Object.entries(s.labels)) {
        expect(allowed[k], `unexpected label ${k} on ${s.name}`).toBeDefined();
        expect(allowed[k]!(v), `${s.name}{${k}="${v}"}`).toBe(true);
        expect(v).not.toMatch(/9000\d\d|bounded-run/);
      }
    }
    expect(value(text, "ayida_bdns_requests_total", { endpoint: "other" })).toBe(1); // the query string is dropped: /convocatorias
    expect(value(text, "ayida_rows_total", { dataset: "other" })).toBe(1);
    expect(value(text, "ayida_function_runs_total", { function: "other" })).toBe(1);
    // However many codes and runs: the series of a metric are fixed by the code, not the data.
    const series = new Set(ours.filter((s) => s.name === "ayida_bdns_requests_total").map((s) => JSON.stringify(s.labels)));
    expect(series.size).toBeLessThanOrEqual(6);
  });
});

describe("METRICS_TOKEN", () => {
  it("when set, /metrics needs it as a Bearer token (401 otherwise); /health stays open", async () => {
    const d = mkdtempSync(join(tmpdir(), "ayida-metrics-token-"));
    const s = await startServer(parseEnv({ INNGEST_DEV: events.url, DATABASE_URL: join(d, "a.db"), METRICS_TOKEN: TOKEN }), { port: 0, host: "127.0.0.1", logger: pino({ level: "silent" }) });
    try {
      const u = s.urls[0]!;
      for (const auth of [undefined, "Bearer wrong", `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
        const res = await fetch(`${u}/metrics`, { headers: auth ? { authorization: auth } : {} });
        expect(res.status, String(auth)).toBe(401);
        expect(res.headers.get("www-authenticate")).toContain("Bearer");
        expect(await res.text()).not.toContain(TOKEN);
      }
      const ok = await fetch(`${u}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain("ayida_bdns_requests_total");
      expect((await fetch(`${u}/health`)).status).toBe(200);
    } finally {
      await s.close(0);
    }
  });
});

describe("recorders without a registry (a CLI process)", () => {
  it("are no-ops that never throw, whatever they are given", async () => {
    metrics.setMetricsSink(undefined);
    expect(() => {
      metrics.recordBdnsRequest("/convocatorias", "ok", 0.2);
      metrics.recordLimiterWait(NaN);
      metrics.setBudgetFallback(true);
      metrics.recordRows("convocatorias", "new", 3);
      metrics.recordRowCounts("regiones", { new: 1, fetched: 4 });
      metrics.recordDocumentStored(123);
      metrics.recordFunctionRun("x", "succeeded");
      metrics.recordEventsSent(2);
    }).not.toThrow();
    await expect(metrics.observeBdnsRequest("/convocatorias", async (t) => (t.started(), 7))).resolves.toBe(7);
    await metrics.createMetricsRegistry(); // reinstalls the process' registry for the tests above
  });

  it("label helpers bound what they are given", () => {
    expect(metrics.endpointLabel("/convocatorias/busqueda?page=3")).toBe("/convocatorias/busqueda");
    expect(metrics.endpointLabel("/convocatorias/123456")).toBe("other");
    expect(metrics.endpointLabel("/vpd/GE/configuracion")).toBe("other");
    expect(metrics.datasetLabel("planes-estrategicos")).toBe("planes-estrategicos");
    expect(metrics.datasetLabel("backfill-2022")).toBe("other");
    expect(metrics.functionLabel("ayida-portal-sync-organos")).toBe("sync-organos");
    expect(metrics.bdnsOutcomeOf({ failure: "RATE_LIMITED" })).toBe("rate_limited");
    expect(metrics.bdnsOutcomeOf(new Error("x"))).toBe("other");
  });
});

/**
 * /metrics' exposition, linted by Prometheus' own promtool (`promtool check metrics`): as a fresh
 * `serve` answers it (every metric declared before any job ran), and once every recorder has samples
 * — each outcome, dataset and function label the jobs use. The counters themselves are checked in
 * the fast suite (test/metrics/metrics.test.ts), which needs no promtool.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseEnv } from "../../src/config/env.js";
import * as metrics from "../../src/metrics/index.js";
import { startServer, type RunningServer } from "../../src/server/index.js";
import { requireProgram, run } from "./program.js";

let server: RunningServer;

beforeAll(async () => {
  requireProgram("promtool", "apt-get install --no-install-recommends prometheus (Debian's package ships promtool)");
  const dir = mkdtempSync(join(tmpdir(), "ayida-promtool-"));
  server = await startServer(parseEnv({ INNGEST_DEV: "http://127.0.0.1:9", DATABASE_URL: join(dir, "a.db") }), { port: 0, host: "127.0.0.1", logger: pino({ level: "silent" }) });
});
afterAll(() => server?.close(0));

const scrape = async () => (await fetch(`${server.urls[0]}/metrics`)).text();
const lint = (text: string) => run("promtool", ["check", "metrics"], { input: text });

it("promtool accepts the exposition of a fresh serve", async () => {
  const text = await scrape();
  expect(text).toContain("# TYPE ayida_bdns_requests_total counter");
  expect(lint(text)).toEqual({ status: 0, out: "" });
});

it("promtool accepts it once every recorder has samples, with every label value the jobs use", async () => {
  for (const outcome of metrics.BDNS_OUTCOMES) metrics.recordBdnsRequest("/convocatorias/busqueda", outcome, 0.12);
  metrics.recordLimiterWait(0.3);
  metrics.setBudgetFallback(true);
  for (const outcome of metrics.ROW_OUTCOMES) metrics.recordRows("concesiones", outcome, 3);
  for (const reason of metrics.HOLD_REASONS) metrics.recordRemovalsHeld("regiones", reason, 52);
  metrics.recordDocumentStored(12_345);
  for (const outcome of metrics.RUN_OUTCOMES) metrics.recordFunctionRun("ayida-portal-process-convocatoria-detail", outcome);
  for (const outcome of metrics.SEND_OUTCOMES) metrics.recordEventsSent(2, outcome);
  const text = await scrape();
  expect(text).toMatch(/ayida_rows_total\{dataset="concesiones",outcome="refused"\} 3/);
  expect(text).toMatch(/ayida_removals_held_total\{dataset="regiones",reason="shrink"\} 52/);
  expect(lint(text)).toEqual({ status: 0, out: "" });
});

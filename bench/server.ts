/**
 * Batch route overhead (issue #4): p50 of POST /api/batch/sync-convocatoria-individual minus p50 of
 * the same event sent directly through the service, both against a loopback event API.
 */
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pino from "pino";
import { parseEnv } from "../src/config/env.js";
import { createInngestService } from "../src/service.js";
import { startServer } from "../src/server/index.js";
import { startFakeEventApi } from "../test/support/event-api.js";
import { fmt, report } from "./measure.js";

const SECRET = "bench-cron-secret";

function percentile(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))]!;
}

export async function benchServer(n = 500): Promise<boolean> {
  const api = await startFakeEventApi();
  const dir = mkdtempSync(join(tmpdir(), "ayida-bench-serve-"));
  const env = parseEnv({ INNGEST_DEV: api.url, CRON_SECRET: SECRET, DATABASE_URL: join(dir, "db.sqlite"), DOCUMENTS_DIR: join(dir, "docs") });
  const server = await startServer(env, { port: 0, host: "127.0.0.1", logger: pino({ level: "silent" }) });
  const service = createInngestService({ env });
  const agent = new http.Agent({ keepAlive: true });
  const url = new URL(`${server.urls[0]}/api/batch/sync-convocatoria-individual`);
  const post = (bdns: string) =>
    new Promise<number>((resolve, reject) => {
      const body = JSON.stringify({ bdns });
      const req = http.request(url, { method: "POST", agent, headers: { "content-type": "application/json", authorization: `Bearer ${SECRET}`, "content-length": Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on("end", () => (res.statusCode === 202 ? resolve(res.statusCode) : reject(new Error(`status ${res.statusCode}`))));
      });
      req.on("error", reject);
      req.end(body);
    });
  try {
    const direct: number[] = [];
    const route: number[] = [];
    for (let i = 0; i < n + 50; i++) {
      // interleaved, so both see the same machine state
      let t0 = performance.now();
      await service.triggerConvocatoriaDetail(String(100000 + i));
      if (i >= 50) direct.push(performance.now() - t0);
      t0 = performance.now();
      await post(String(200000 + i));
      if (i >= 50) route.push(performance.now() - t0);
    }
    const d50 = percentile(direct, 0.5);
    const r50 = percentile(route, 0.5);
    console.log(`direct send p50 ${fmt(d50)} (p90 ${fmt(percentile(direct, 0.9))}); through the route p50 ${fmt(r50)} (p90 ${fmt(percentile(route, 0.9))}); ${n} each`);
    return report("batch route overhead over the send (p50)", fmt(r50 - d50), "< 2 ms", r50 - d50 < 2);
  } finally {
    agent.destroy();
    await server.close(0);
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

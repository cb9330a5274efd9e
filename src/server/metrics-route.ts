/**
 * `GET /metrics`: the process's metrics in Prometheus' text format. Open like /health, unless
 * METRICS_TOKEN is set: then it needs `Authorization: Bearer <METRICS_TOKEN>`, compared in constant
 * time (a token of its own, so a scraper never holds CRON_SECRET, which can start syncs).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createMetricsRegistry } from "../metrics/index.js";
import { HttpError } from "./http.js";

export const METRICS_PATH = "/metrics";

export async function handleMetrics(req: IncomingMessage, res: ServerResponse, token: string | undefined): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") throw new HttpError(405, "METHOD_NOT_ALLOWED", `${req.method} is not allowed here; use GET`, {}, { allow: "GET, HEAD" });
  if (token) {
    const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? "";
    const digest = (s: string) => createHash("sha256").update(s).digest();
    if (!given || !timingSafeEqual(digest(given), digest(token))) {
      throw new HttpError(401, "UNAUTHORIZED", "missing or wrong Authorization: Bearer <METRICS_TOKEN>", {}, { "www-authenticate": 'Bearer realm="ayida-jobs metrics"' });
    }
  }
  const registry = await createMetricsRegistry(); // the process's one registry (created by serve at start-up)
  const body = await registry.metrics();
  res.writeHead(200, { "content-type": registry.contentType, "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
  res.end(req.method === "HEAD" ? undefined : body);
}

/**
 * `GET /metrics`: the process's metrics in Prometheus' text format. Open like /health, unless
 * METRICS_TOKEN is set: then it needs `Authorization: Bearer <METRICS_TOKEN>`, compared in constant
 * time (a token of its own, so a scraper never holds CRON_SECRET, which can start syncs).
 */
import { createMetricsRegistry } from "../metrics/index.js";
import { bearerMatches } from "./auth.js";
import { allowMethods, HttpError } from "./http.js";

export const METRICS_PATH = "/metrics";

export async function handleMetrics(request: Request, token: string | undefined): Promise<Response> {
  allowMethods(request, "GET", "HEAD");
  if (token && !bearerMatches(request, token)) {
    throw new HttpError(401, "UNAUTHORIZED", "missing or wrong Authorization: Bearer <METRICS_TOKEN>", {}, { "www-authenticate": 'Bearer realm="ayida-jobs metrics"' });
  }
  const registry = await createMetricsRegistry(); // the process's one registry
  const body = await registry.metrics();
  return new Response(request.method === "HEAD" ? null : body, { status: 200, headers: { "content-type": registry.contentType, "content-length": String(Buffer.byteLength(body)), "cache-control": "no-store" } });
}

/**
 * The prom-client registry behind the recorders of ./index.ts, and the sink that feeds it. Loaded only
 * by `createMetricsRegistry()` (serve), which installs the sink. One registry per process: metrics are
 * the process's, and a second call returns the first.
 */
import client from "prom-client";
import { SEND_OUTCOMES, type MetricsRegistry, type MetricsSink } from "./sink.js";

let created: { registry: MetricsRegistry; sink: MetricsSink } | undefined;

export function createPromRegistry(): { registry: MetricsRegistry; sink: MetricsSink } {
  if (created) return created;
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: "ayida_" });
  // prom-client names three gauges *_total (active handles, requests, resources), which Prometheus'
  // conventions reserve for counters and promtool refuses: leave them out.
  for (const m of registry.getMetricsAsArray()) {
    const { name, type } = m as unknown as { name: string; type: string };
    if (name.endsWith("_total") && type !== "counter") registry.removeSingleMetric(name);
  }
  const registers = [registry];

  const bdnsRequests = new client.Counter({ name: "ayida_bdns_requests_total", help: "BDNS HTTP requests (each attempt), by endpoint family and outcome (rate_limited = HTTP 429).", labelNames: ["endpoint", "outcome"], registers });
  const bdnsLatency = new client.Histogram({ name: "ayida_bdns_request_duration_seconds", help: "BDNS request latency, from the request leaving (after the limiter) to its answer being read.", labelNames: ["endpoint"], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120], registers });
  const limiterWait = new client.Histogram({ name: "ayida_bdns_limiter_wait_seconds", help: "How long a BDNS request waited for its turn under the request budget.", buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers });
  const budgetFallback = new client.Gauge({ name: "ayida_bdns_budget_fallback", help: "1 while the shared BDNS request budget is unreachable and the conservative in-process rate is in force.", registers });
  const rows = new client.Counter({ name: "ayida_rows_total", help: "Rows a sync wrote, by dataset and outcome (new, changed, unchanged, removed, refused).", labelNames: ["dataset", "outcome"], registers });
  const removalsHeld = new client.Counter({ name: "ayida_removals_held_total", help: "Rows a completed fetch no longer returned but did not mark removed: the answer was empty, incomplete, or shrank more than one answer may remove (sync --allow-removal forces it), by dataset and reason.", labelNames: ["dataset", "reason"], registers });
  const documents = new client.Counter({ name: "ayida_documents_stored_total", help: "Documents written to the document store.", registers });
  const bytes = new client.Counter({ name: "ayida_document_bytes_stored_total", help: "Bytes of the documents written to the document store.", registers });
  const runs = new client.Counter({ name: "ayida_function_runs_total", help: "Inngest function runs that ended (succeeded, failed for good) or failed an attempt that Inngest retries (retrying), by function.", labelNames: ["function", "outcome"], registers });
  const events = new client.Counter({ name: "ayida_events_sent_total", help: "Events sent to the Inngest event API (batch routes and the functions' fan-out), by outcome.", labelNames: ["outcome"], registers });

  // Known label combinations start at 0, so a rate() over them works from the first scrape.
  for (const outcome of SEND_OUTCOMES) events.inc({ outcome }, 0);
  budgetFallback.set(0);

  const sink: MetricsSink = {
    bdnsRequest(endpoint, outcome, seconds) {
      bdnsRequests.inc({ endpoint, outcome });
      bdnsLatency.observe({ endpoint }, seconds);
    },
    limiterWait: (seconds) => limiterWait.observe(seconds),
    budgetFallback: (active) => budgetFallback.set(active ? 1 : 0),
    rows: (dataset, outcome, n) => rows.inc({ dataset, outcome }, n),
    removalsHeld: (dataset, reason, n) => removalsHeld.inc({ dataset, reason }, n),
    documentStored(n) {
      documents.inc();
      bytes.inc(n);
    },
    functionRun: (fn, outcome) => runs.inc({ function: fn, outcome }),
    eventsSent: (n, outcome) => events.inc({ outcome }, n),
  };
  created = { registry: { contentType: registry.contentType, metrics: () => registry.metrics() }, sink };
  return created;
}

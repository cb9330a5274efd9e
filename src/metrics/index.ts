/**
 * Metrics: what the code records, without knowing prom-client.
 *
 * Record from anywhere with the small typed recorders below. Each is a no-op until a registry is
 * installed (`createMetricsRegistry()`, which `serve` calls), so they are safe, and cost a function
 * call, in a CLI process that never serves `/metrics`. Only `createMetricsRegistry` loads prom-client,
 * lazily.
 *
 *   recordBdnsRequest(endpoint, outcome, seconds)  one BDNS HTTP request (per attempt), its outcome and latency
 *   recordLimiterWait(seconds)                     how long a BDNS request waited for its turn (the spacer/budget)
 *   setBudgetFallback(active)                      the shared BDNS budget is unreachable: the in-process fallback rate is in force
 *   recordRows(dataset, outcome, n)                rows a sync wrote: new / changed / unchanged / removed / refused
 *   recordRowCounts(dataset, { new, changed, … })  the same for a page's counts at once
 *   recordRemovalsHeld(dataset, reason, n)         rows a completed fetch no longer returned but did not mark removed (empty / incomplete / shrink)
 *   recordDocumentStored(bytes)                    one document written to the document store
 *   recordFunctionRun(fn, outcome)                 an Inngest function run ended (succeeded / failed) or will be retried
 *   recordEventsSent(n, outcome?)                  events handed to the Inngest event API (accepted / failed)
 *   observeBdnsRequest(endpoint, work)             helper: times `work`, records its limiter wait, outcome and latency
 *
 * Label values are bounded by construction: an endpoint is a BDNS path of letters only (a path with a
 * code or an id in it becomes "other"); a dataset must be one `ayida-jobs datasets` lists; a function
 * id is ours; outcomes come from fixed lists. Nothing per-record (a BDNS code, a runId, a document id)
 * can become a label, so the number of series stays fixed however much is synced.
 */
import { SYNCABLE_DATASETS } from "../contracts/datasets.js";

import { BDNS_OUTCOMES, HOLD_REASONS, ROW_OUTCOMES, RUN_OUTCOMES, SEND_OUTCOMES, type BdnsOutcome, type MetricsRegistry, type MetricsSink, type RowOutcome, type RunOutcome, type SendOutcome } from "./sink.js";

export * from "./sink.js";

let sink: MetricsSink | undefined;

/** Install (or, with undefined, remove) where recorders write. `createMetricsRegistry` does this. */
export function setMetricsSink(s: MetricsSink | undefined): void {
  sink = s;
}

/** The process's registry (prom-client): created once, (re)installed as the recorders' sink. */
export async function createMetricsRegistry(): Promise<MetricsRegistry> {
  const { createPromRegistry } = await import("./registry.js");
  const { registry, sink: promSink } = createPromRegistry();
  setMetricsSink(promSink);
  return registry;
}

const OTHER = "other";
const FUNCTION_ID = /^[a-z0-9][a-z0-9-]{0,79}$/;
const ENDPOINT = /^(\/[a-z]+){1,4}$/;
const finite = (n: number) => Number.isFinite(n) && n >= 0;

/** A BDNS path as a label: the path itself when it is letters only, else "other" (never a code). */
export function endpointLabel(path: string): string {
  const p = path.split("?")[0]!.replace(/\/+$/, "");
  return ENDPOINT.test(p) ? p : OTHER;
}

export function datasetLabel(dataset: string): string {
  return SYNCABLE_DATASETS.includes(dataset) ? dataset : OTHER;
}

export function functionLabel(fn: string): string {
  const id = fn.replace(/^ayida-portal-/, "");
  return FUNCTION_ID.test(id) ? id : OTHER;
}

const oneOf = <T extends string>(list: readonly T[], v: string): T => (list.includes(v as T) ? (v as T) : (OTHER as T));

export function recordBdnsRequest(endpoint: string, outcome: BdnsOutcome, seconds: number): void {
  if (sink && finite(seconds)) sink.bdnsRequest(endpointLabel(endpoint), oneOf(BDNS_OUTCOMES, outcome), seconds);
}

export function recordLimiterWait(seconds: number): void {
  if (sink && finite(seconds)) sink.limiterWait(seconds);
}

export function setBudgetFallback(active: boolean): void {
  sink?.budgetFallback(active);
}

export function recordRows(dataset: string, outcome: RowOutcome, n = 1): void {
  if (sink && finite(n) && n > 0 && ROW_OUTCOMES.includes(outcome)) sink.rows(datasetLabel(dataset), outcome, n);
}

/** Several outcomes at once (a page's counts); other keys of `counts` are ignored. */
export function recordRowCounts(dataset: string, counts: Partial<Record<RowOutcome, number>> & Record<string, unknown>): void {
  for (const outcome of ROW_OUTCOMES) recordRows(dataset, outcome, Number(counts[outcome] ?? 0));
}

export function recordRemovalsHeld(dataset: string, reason: string, n: number): void {
  if (sink && finite(n) && n > 0) sink.removalsHeld(datasetLabel(dataset), oneOf(HOLD_REASONS, reason), n);
}

export function recordDocumentStored(bytes: number): void {
  if (sink && finite(bytes)) sink.documentStored(bytes);
}

export function recordFunctionRun(fn: string, outcome: RunOutcome): void {
  if (sink && RUN_OUTCOMES.includes(outcome)) sink.functionRun(functionLabel(fn), outcome);
}

export function recordEventsSent(n: number, outcome: SendOutcome = "accepted"): void {
  if (sink && finite(n) && n > 0 && SEND_OUTCOMES.includes(outcome)) sink.eventsSent(n, outcome);
}

/** A BDNS failure (BdnsError's `failure`) as an outcome label. */
export function bdnsOutcomeOf(err: unknown): BdnsOutcome {
  const failure = (err as { failure?: unknown } | null)?.failure;
  switch (failure) {
    case "RATE_LIMITED":
      return "rate_limited";
    case "SERVER":
      return "server_error";
    case "MAINTENANCE":
    case "TIMEOUT":
    case "NETWORK":
    case "TRUNCATED":
    case "VALIDATION":
    case "NOT_FOUND":
    case "UNKNOWN_DOCUMENT":
    case "BROKEN_RECORD":
      return failure.toLowerCase() as BdnsOutcome;
    default:
      return OTHER;
  }
}

/** Hooks `work` calls: `started()` when its request actually leaves (after the limiter). */
export interface BdnsRequestTimer {
  started(): void;
}

/**
 * Time one BDNS request: the limiter wait (from the call until `started()`), then its latency and
 * outcome (ok, `empty` when `work` resolves undefined — BDNS's 204 — or the BdnsError's failure).
 */
export async function observeBdnsRequest<T>(endpoint: string, work: (t: BdnsRequestTimer) => Promise<T>): Promise<T> {
  if (!sink) return work({ started() {} });
  const queued = performance.now();
  let started: number | undefined;
  const t: BdnsRequestTimer = {
    started() {
      if (started !== undefined) return;
      started = performance.now();
      recordLimiterWait((started - queued) / 1000);
    },
  };
  const seconds = () => (performance.now() - (started ?? queued)) / 1000;
  try {
    const result = await work(t);
    recordBdnsRequest(endpoint, result === undefined ? "empty" : "ok", seconds());
    return result;
  } catch (err) {
    recordBdnsRequest(endpoint, bdnsOutcomeOf(err), seconds());
    throw err;
  }
}

/**
 * What metrics are made of, for both sides of ./index.ts: the label values the recorders allow, and
 * what a registry implements (the sink the recorders write to; ./registry.ts is prom-client's).
 */

export const BDNS_OUTCOMES = ["ok", "empty", "rate_limited", "server_error", "maintenance", "timeout", "network", "truncated", "not_found", "validation", "unknown_document", "broken_record", "other"] as const;
export type BdnsOutcome = (typeof BDNS_OUTCOMES)[number];
export const ROW_OUTCOMES = ["new", "changed", "unchanged", "removed", "refused"] as const;
export type RowOutcome = (typeof ROW_OUTCOMES)[number];
/** Why a removal was held back (functions/datasets/removal.ts). */
export const HOLD_REASONS = ["empty", "incomplete", "shrink"] as const;
export type HoldReasonLabel = (typeof HOLD_REASONS)[number];
export const RUN_OUTCOMES = ["succeeded", "failed", "retrying"] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];
export const SEND_OUTCOMES = ["accepted", "failed"] as const;
export type SendOutcome = (typeof SEND_OUTCOMES)[number];

/** What a registry implements; the recorders of ./index.ts validate and bound every label before calling it. */
export interface MetricsSink {
  bdnsRequest(endpoint: string, outcome: BdnsOutcome, seconds: number): void;
  limiterWait(seconds: number): void;
  budgetFallback(active: boolean): void;
  rows(dataset: string, outcome: RowOutcome, n: number): void;
  removalsHeld(dataset: string, reason: HoldReasonLabel, n: number): void;
  documentStored(bytes: number): void;
  functionRun(fn: string, outcome: RunOutcome): void;
  eventsSent(n: number, outcome: SendOutcome): void;
}

export interface MetricsRegistry {
  /** `text/plain; version=0.0.4; charset=utf-8`: Prometheus' text format. */
  contentType: string;
  /** The exposition, every metric. */
  metrics(): Promise<string>;
}

/**
 * Retry and flow control for every function, in one place so the arithmetic can be read whole.
 *
 * BDNS allows 10 requests/s per IP and answers 429 to bursts of simultaneous starts. One deployment
 * (every `serve` instance behind one Inngest app) must stay under that together:
 *
 * - throttle (function-wide across all instances; it queues, never drops) bounds the average:
 *     detail 6/s + document 2/s + sync piece 1/s + sync request 1/min ≈ 9.0 run starts/s;
 *   each run makes one BDNS request (a document run whose metadata is missing makes two; a sync piece
 *   makes one per 10,000-row page, ~2.5 s each), so the fleet averages ≤ 9 requests/s.
 * - throttle lets short bursts through (observed: 9 of 30 starts within one second at 5/s), so a
 *   concurrency limit shared by all three functions (scope env, constant key "bdns-api") caps the
 *   requests in flight across the whole fleet at 6: a burst can never be more than 6 simultaneous
 *   starts, and the rest wait for a slot.
 * - inside each instance, the BDNS client spaces every request start (9.5/s, BDNS_RATE_LIMIT), which
 *   alone gave zero 429s against the live API; with one instance it is the binding limit.
 * - retries: the BDNS client retries transient failures quickly (3 attempts); what survives that goes
 *   back to Inngest as a RetryAfterError on our schedule (below), so the store can say when the next
 *   attempt is due; no retry for permanent failures.
 */
import { BdnsError } from "../adapters/bdns/errors.js";

const bdnsSlots = { scope: "env", key: '"bdns-api"', limit: 6 } as const;
/** At most two entries: Inngest rejects a third at registration (and then registers no function). */
const concurrency = (perFunction: number) => [{ limit: perFunction }, bdnsSlots] as [{ limit: number }, typeof bdnsSlots];

export const SYNC_FLOW = {
  retries: 3 as const,
  concurrency: concurrency(2),
  throttle: { limit: 1, period: "1m" as const },
};

export const SYNC_PIECE_FLOW = {
  retries: 4 as const,
  concurrency: concurrency(1),
  throttle: { limit: 1, period: "1s" as const },
};

export const DETAIL_FLOW = {
  retries: 5 as const,
  concurrency: concurrency(4),
  throttle: { limit: 6, period: "1s" as const, burst: 1 },
};

export const DOCUMENT_FLOW = {
  retries: 4 as const,
  concurrency: concurrency(2),
  throttle: { limit: 2, period: "1s" as const, burst: 1 },
};

/** Every dataset's function (catálogos … concesiones): one request per step, pages ~2.5 s each. */
export const DATASET_FLOW = {
  retries: 4 as const,
  concurrency: concurrency(2),
  throttle: { limit: 1, period: "1s" as const },
};

/** A dataset's per-row details (planes estratégicos) and their documents: one request each. */
export const DATASET_DETAIL_FLOW = {
  retries: 4 as const,
  concurrency: concurrency(2),
  throttle: { limit: 2, period: "1s" as const, burst: 1 },
};

/**
 * When the next attempt of a failed step is due, after attempt `attempt` (zero-based) failed:
 * - 429: what BDNS asked (Retry-After), else 10 s;
 * - maintenance windows last minutes: 60 s a time, so five retries ride out the 3–4 min windows;
 * - anything else: 10 s, 30 s, 1 min, 2 min, 5 min (the last repeats), ±20 % so that a burst of
 *   failures does not come back as a burst. A detail failing every time is failed for good ~9 min
 *   after its first attempt (Inngest's own backoff took ~10 min to get there, unannounced).
 */
export function retryDelayMs(err: unknown, attempt: number, random: () => number = Math.random, backoff: readonly number[] = BACKOFF_MS): number {
  // Whole seconds: Inngest's Retry-After has one-second resolution, and the time we record must be its.
  const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000)) * 1000;
  if (err instanceof BdnsError && err.failure === "RATE_LIMITED") return seconds(err.retryAfterMs ?? RATE_LIMIT_RETRY_MS);
  if (err instanceof BdnsError && err.failure === "MAINTENANCE") return MAINTENANCE_RETRY_MS;
  const base = backoff[Math.min(attempt, backoff.length - 1)]!;
  return seconds(base * (0.8 + random() * 0.4));
}
const RATE_LIMIT_RETRY_MS = 10_000;
const MAINTENANCE_RETRY_MS = 60_000;
/** The default schedule; RETRY_BACKOFF replaces it (e.g. shorter for a test deployment). */
export const BACKOFF_MS: readonly number[] = [10_000, 30_000, 60_000, 120_000, 300_000];

/** Events per step.sendEvent: one request each, inside the event API's size limit. */
export const FAN_OUT_CHUNK = 500;

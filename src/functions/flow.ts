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
 *   to Inngest: RetryAfterError for 429 (Retry-After or 10 s) and maintenance (60 s, five times ≈ the
 *   3–4 min maintenance windows), Inngest's backoff for the rest, and no retry for permanent failures.
 */
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

/** Events per step.sendEvent: one request each, inside the event API's size limit. */
export const FAN_OUT_CHUNK = 500;

/**
 * Retry and flow control for every function, in one place so the arithmetic can be read whole.
 *
 * BDNS allows 10 requests/s per IP and answers 429 to bursts of simultaneous starts. Who may start a
 * BDNS request, and when, is decided by the BDNS client's spacer, not here: every start of every
 * process of the deployment takes a slot of one shared budget (BDNS_RATE_LIMIT, 9.5/s; see
 * adapters/bdns/budget.ts), and within a process the waiting requests take turns by run, then by kind
 * of work (adapters/bdns/fair-queue.ts). So the budget is used whole by whatever work is there: no
 * function has a share of its own. What Inngest's flow control still does:
 *
 * - concurrency, two entries per function (Inngest rejects a third, and then registers no function):
 *   1. per run (`event.data.runId`): one run's fan-out cannot take every slot of a function, so a daily
 *      sync started during a backfill gets steps of its own at once instead of queueing behind it;
 *   2. an env-wide pool per kind of step, shared by every function and instance:
 *      - pages (listing pages, ~8 MB and ~2.5 s each at BDNS): 6 in flight across the fleet, which
 *        bounds the memory they hold; 6 / 2.5 s = 2.4 pages/s at most, the rest of the budget always
 *        left to details and documents, which a page can never hold a slot from;
 *      - items (details, documents, plans): 24 in flight, enough to keep the budget full when BDNS takes
 *        a second to answer (Little: 9.5/s × (1 s + the spacer's wait)), and a bound on how many
 *        requests wait in the spacers (24 × 105 ms ≈ 2.5 s at worst);
 * - throttle (function-wide, it queues, never drops): at most 10 run starts/s per function, the most the
 *   whole budget could serve: it only bounds bursts and a runaway fan-out, never splits the budget.
 *
 * Retries: the BDNS client retries transient failures quickly (3 attempts); what survives that goes back
 * to Inngest as a RetryAfterError on our schedule (below), so the store can say when the next attempt is
 * due; no retry for permanent failures.
 */
import { BdnsError } from "../adapters/bdns/errors.js";

/** Steps in flight across the fleet, per kind of BDNS work (see above). */
export const POOLS = {
  pages: { scope: "env", key: '"bdns-pages"', limit: 6 },
  items: { scope: "env", key: '"bdns-items"', limit: 24 },
} as const;
type Pool = (typeof POOLS)[keyof typeof POOLS];

/** Steps in flight per run of one function, then the pool of its kind. */
const concurrency = <P extends Pool>(perRun: number, pool: P) => [{ key: "event.data.runId", limit: perRun }, pool] as [{ key: string; limit: number }, P];

/** The budget's ceiling (BDNS's 10/s): a function starting runs faster would only fill our queues. */
const burstBound = { limit: 10, period: "1s" as const, burst: 10 };

export const SYNC_FLOW = {
  retries: 3 as const,
  concurrency: concurrency(1, POOLS.pages),
  // A sync request is cheap; this only stops a runaway sender (a cron gone wrong), not a daily run.
  throttle: { limit: 10, period: "1m" as const },
};

export const SYNC_PIECE_FLOW = {
  retries: 4 as const,
  concurrency: concurrency(2, POOLS.pages),
  throttle: burstBound,
};

export const DETAIL_FLOW = {
  retries: 5 as const,
  concurrency: concurrency(8, POOLS.items),
  throttle: burstBound,
};

export const DOCUMENT_FLOW = {
  retries: 4 as const,
  concurrency: concurrency(12, POOLS.items),
  throttle: burstBound,
};

/** Every dataset's function (catálogos … concesiones): one request per step, pages ~2.5 s each. */
export const DATASET_FLOW = {
  retries: 4 as const,
  concurrency: concurrency(2, POOLS.pages),
  throttle: burstBound,
};

/** A dataset's per-row details (planes estratégicos) and their documents: one request each. */
export const DATASET_DETAIL_FLOW = {
  retries: 4 as const,
  concurrency: concurrency(8, POOLS.items),
  throttle: burstBound,
};

/**
 * When the next attempt of a failed step is due, after attempt `attempt` (zero-based) failed:
 * - 429: what BDNS asked (Retry-After) or the schedule below, whichever is later. BDNS asks for 1 s,
 *   and the client has already retried that quickly: a burst from elsewhere on the same IP (or a
 *   deployment whose budget is off) would otherwise spend all five attempts within ~10 s;
 * - maintenance windows last minutes: 60 s a time, so five retries ride out the 3–4 min windows;
 * - anything else: 10 s, 30 s, 1 min, 2 min, 5 min (the last repeats), ±20 % so that a burst of
 *   failures does not come back as a burst. A detail failing every time is failed for good ~9 min
 *   after its first attempt (Inngest's own backoff took ~10 min to get there, unannounced).
 */
export function retryDelayMs(err: unknown, attempt: number, random: () => number = Math.random, backoff: readonly number[] = BACKOFF_MS): number {
  // Whole seconds: Inngest's Retry-After has one-second resolution, and the time we record must be its.
  const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000)) * 1000;
  if (err instanceof BdnsError && err.failure === "MAINTENANCE") return MAINTENANCE_RETRY_MS;
  const scheduled = seconds(backoff[Math.min(attempt, backoff.length - 1)]! * (0.8 + random() * 0.4));
  if (err instanceof BdnsError && err.failure === "RATE_LIMITED") return Math.max(scheduled, seconds(err.retryAfterMs ?? 0));
  return scheduled;
}
const MAINTENANCE_RETRY_MS = 60_000;
/** The default schedule; RETRY_BACKOFF replaces it (e.g. shorter for a test deployment). */
export const BACKOFF_MS: readonly number[] = [10_000, 30_000, 60_000, 120_000, 300_000];

/** Events per step.sendEvent: one request each, inside the event API's size limit. */
export const FAN_OUT_CHUNK = 500;

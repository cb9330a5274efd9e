/**
 * How a failure inside a step becomes Inngest's retry decision — one rule for every function — and
 * what the store learns of it at once:
 * - a permanent BDNS failure (unknown code, broken record, bad request) fails the item for good
 *   (recorded) and the run now (NonRetriableError): retrying cannot help;
 * - anything transient is recorded as "failing, attempt n of m, next attempt at …" and handed back to
 *   Inngest as a RetryAfterError with our own schedule (flow.ts), so the time we record is the time
 *   Inngest will use — an operator sees a failing record within seconds, not when every retry is spent;
 * - when a run has failed for good, `recordRunFailure` (the functions' onFailure) records it.
 */
import { NonRetriableError, RetryAfterError } from "inngest";
import { BdnsError } from "../adapters/bdns/errors.js";
import type { Store, WorkItem } from "../adapters/store/store.js";
import type { JobDeps } from "./deps.js";
import { retryDelayMs } from "./flow.js";

/** Where a step stands: the run and item it works on, and which attempt of how many this is. */
export interface Attempt {
  runId: string;
  item: WorkItem;
  /** Zero-based, as Inngest counts (the handler's `attempt`). */
  attempt: number;
  /** The function's retries + 1. */
  maxAttempts: number;
  /** The backoff schedule for transient failures (RETRY_BACKOFF); default flow.ts's. */
  backoffMs?: readonly number[] | undefined;
}

export async function toJobError(err: unknown, store: Store, at: Attempt, now: Date = new Date()): Promise<Error> {
  const reason = err instanceof Error ? err.message : String(err);
  const delayMs = retryDelayMs(err, at.attempt, Math.random, at.backoffMs);
  if (err instanceof BdnsError && !err.transient) {
    try {
      await store.recordFailure(at.runId, at.item, { failure: err.failure, reason });
    } catch {
      // The store is down too (a restart): a permanent failure nobody recorded would be lost from the
      // run. Retried instead; the next attempt meets the same answer and records it.
      return new RetryAfterError(reason, delayMs, { cause: err });
    }
    return new NonRetriableError(reason, { cause: err });
  }
  const failed = at.attempt + 1;
  const last = failed >= at.maxAttempts;
  // Best effort: with the store down (often the very reason this attempt failed) the retry still
  // goes back to Inngest on our schedule; the item shows the failure from the next attempt on.
  await store
    .itemFailing(at.runId, at.item, {
      attempt: failed,
      maxAttempts: at.maxAttempts,
      failure: err instanceof BdnsError ? err.failure : err instanceof Error ? err.name : "ERROR",
      reason,
      nextAttemptAt: last ? null : new Date(now.getTime() + delayMs).toISOString(),
    })
    .catch(() => undefined);
  return new RetryAfterError(reason, delayMs, { cause: err });
}

/** Run `work`; map what it throws with toJobError (on the deployment's backoff schedule). */
export async function mapJobErrors<T>(deps: Pick<JobDeps, "store" | "retryBackoffMs">, at: Attempt, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw await toJobError(err, await deps.store(), { ...at, backoffMs: deps.retryBackoffMs });
  }
}

/** The original event's data, as the failure handler receives it in inngest/function.failed. */
type FailedEventData = { runId: string; bdns?: string; documentId?: string; from?: string; to?: string; timestamp?: string; retryOf?: string };

export interface FailedRun {
  event: { data: { event: { data: FailedEventData } } };
  error: Error;
}

/**
 * A function run that ended for good without its item's outcome in the store: its item failed (a
 * permanent failure the handler recorded keeps its own, more precise reason, and is not counted twice)
 * and, for the sync functions, the dataset's row failed, so sync_runs never shows a dead run as
 * "running". What the failure handler records, and what serve's reconcile records when the engine
 * ended a run that nothing of ours could record (functions/reconcile.ts).
 */
export async function recordFailedRun(store: Store, data: { runId: string; retryOf?: string | undefined }, work: { item: WorkItem; runKind: "sync" | "detail" | "document" }, f: { failure: string; reason: string; onlyIfUnsettled?: boolean }): Promise<void> {
  const dataset = work.item.dataset ?? "convocatorias";
  await store.ensureRun(data.runId, work.runKind, { retryOf: data.retryOf }, dataset);
  await store.recordFailure(data.runId, work.item, f);
  if (work.runKind === "sync") await store.finishRun(data.runId, "failed", dataset);
}

/**
 * `onFailure` for every function: runs once a run has failed for good (a permanent failure, or
 * retries exhausted — e.g. BDNS down longer than the retry schedule). Fails the run's item, found from
 * the original event exactly as the handler found it (see recordFailedRun).
 */
export function recordRunFailure<D>(deps: JobDeps, jobName: string, runKind: "sync" | "detail" | "document", itemOf: (data: D) => WorkItem) {
  return async ({ event, error }: FailedRun): Promise<void> => {
    const data = event.data.event.data;
    const item = itemOf(data as D);
    await recordFailedRun(await deps.store(), data, { item, runKind }, { failure: "RETRIES_EXHAUSTED", reason: error.message });
    deps.logger.error({ jobName, runId: data.runId, dataset: item.dataset ?? "convocatorias", item: item.key, err: error }, "run failed");
  };
}

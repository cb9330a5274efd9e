/**
 * How a failure inside a step becomes Inngest's retry decision — one rule for every function:
 * - a permanent BDNS failure (unknown code, broken record, bad request) is recorded in sync_failures
 *   and fails the run now (NonRetriableError): retrying cannot help;
 * - 429 and maintenance windows ask Inngest to come back later (RetryAfterError);
 * - anything else transient is rethrown for Inngest's own backoff;
 * - when a run has failed for good, `recordRunFailure` (the functions' onFailure) records it.
 */
import { NonRetriableError, RetryAfterError } from "inngest";
import { BdnsError } from "../adapters/bdns/errors.js";
import type { Store } from "../adapters/store/store.js";
import type { JobDeps } from "./deps.js";

/** BDNS maintenance windows last minutes; five retries a minute apart ride one out. */
const MAINTENANCE_RETRY_MS = 60_000;
const RATE_LIMIT_RETRY_MS = 10_000;

export async function toJobError(err: unknown, store: Store, at: { runId: string; bdns: string; documentId?: string }): Promise<Error> {
  if (err instanceof BdnsError) {
    if (!err.transient) {
      await store.recordFailure(at.runId, { bdns: at.bdns, ...(at.documentId && { documentId: at.documentId }), failure: err.failure, reason: err.message });
      return new NonRetriableError(err.message, { cause: err });
    }
    if (err.failure === "RATE_LIMITED") return new RetryAfterError(err.message, err.retryAfterMs ?? RATE_LIMIT_RETRY_MS, { cause: err });
    if (err.failure === "MAINTENANCE") return new RetryAfterError(err.message, MAINTENANCE_RETRY_MS, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** Run `work`; map what it throws with toJobError. */
export async function mapJobErrors<T>(store: Store, at: { runId: string; bdns: string; documentId?: string }, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw await toJobError(err, store, at);
  }
}

/** What the failure handler sees: the original event, carried in inngest/function.failed. */
interface FailedRun {
  event: { data: { event: { data: { runId: string; bdns?: string; documentId?: string } } } };
  error: Error;
}

/**
 * `onFailure` for every function: runs once a run has failed for good (a permanent failure, or
 * retries exhausted — e.g. BDNS down longer than the retry schedule). Records the failure (a
 * permanent one was recorded already, with its own reason, and is kept) and, for the sync
 * functions, marks the run failed so sync_runs never shows a dead run as "running".
 */
export function recordRunFailure(deps: JobDeps, jobName: string, kind: "sync" | "detail" | "document") {
  return async ({ event, error }: FailedRun): Promise<void> => {
    const { runId, bdns, documentId } = event.data.event.data;
    const store = await deps.store();
    await store.ensureRun(runId, kind);
    await store.recordFailure(runId, { bdns: bdns ?? "", ...(documentId && { documentId }), failure: "RETRIES_EXHAUSTED", reason: error.message });
    if (kind === "sync") await store.finishRun(runId, "failed");
    deps.logger.error({ jobName, runId, bdns, documentId, err: error }, "run failed");
  };
}

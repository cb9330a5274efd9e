/** Waiting for a run's outcome in the store: the model `--wait` will read, polled with a deadline. */
import type { StoreProbe } from "./store-probe.js";
import { waitFor } from "./wait.js";

export interface PipelineTarget {
  /** Convocatorias whose detail must be stored (content_hash set). */
  details: number;
  /** Documents that must be recorded as stored. */
  documents: number;
  /** Rows in sync_failures for this run. */
  failures: number;
}

/**
 * Until the store shows every expected outcome of `runId` (and at least the expected counts). More
 * failures than expected end the wait at once: the outcome waited for can no longer happen.
 */
export function waitForPipeline(store: StoreProbe, runId: string, want: PipelineTarget, timeoutMs: number, diagnose?: () => Promise<string>): Promise<true> {
  const seen = () => ({
    details: store.convocatorias().filter((c) => c.content_hash).length,
    documents: store.storedDocuments().length,
    failures: store.failures(runId).length,
  });
  return waitFor(
    `run ${runId} to store ${want.details} details, ${want.documents} documents and record ${want.failures} failures`,
    () => {
      const s = seen();
      if (s.failures > want.failures) throw new Error(`run ${runId} recorded ${s.failures} failures, ${want.failures} expected: ${JSON.stringify(store.failures(runId).slice(0, 5))}`);
      return s.details >= want.details && s.documents >= want.documents && s.failures >= want.failures;
    },
    { timeoutMs, intervalMs: 250, describe: async () => `${JSON.stringify({ ...seen(), run: store.run(runId), failures: store.failures(runId) })}\n${(await diagnose?.()) ?? ""}` },
  );
}

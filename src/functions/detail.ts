/**
 * processConvocatoriaDetail (on convocatorias/detail.requested): fetch the detail by numConv, store
 * it with its content hash (new / changed / unchanged), and fan out documents/storage.requested for
 * each document not stored yet, or whose stored file is not the revision BDNS announces now.
 * An unknown code or a broken record fails at once (no retries) and is recorded in sync_failures.
 */
import { workItem } from "../adapters/store/store.js";
import { buildDocumentRequest } from "../contracts/build.js";
import { detailRequested, toSdkEvent } from "../contracts/events.js";
import type { AyidaInngest } from "../config/client.js";
import type { JobDeps } from "./deps.js";
import { mapJobErrors, recordRunFailure } from "./errors.js";
import { DETAIL_FLOW, FAN_OUT_CHUNK } from "./flow.js";
import { recordRows } from "../metrics/index.js";

export const DETAIL_FUNCTION_ID = "process-convocatoria-detail";

/** The item a detail request is about (the handler's, the failure handler's, the reconcile's). */
export const detailItemOf = (d: { bdns: string }) => workItem.detail(d.bdns);
const itemOf = detailItemOf;

export function processConvocatoriaDetail(inngest: AyidaInngest, deps: JobDeps) {
  return inngest.createFunction(
    { id: DETAIL_FUNCTION_ID, name: "processConvocatoriaDetail", triggers: [detailRequested], ...DETAIL_FLOW, onFailure: recordRunFailure(deps, DETAIL_FUNCTION_ID, "detail", itemOf) },
    async ({ event, step, runId: inngestRunId, attempt }) => {
      const { bdns, runId, timestamp, retryOf } = event.data;
      const log = deps.logger.child({ jobName: DETAIL_FUNCTION_ID, runId, inngestRunId, bdns });
      const item = itemOf(event.data);

      const r = await step.run("fetch-and-store", async () => {
        const store = await deps.store();
        await store.ensureRun(runId, "detail", { retryOf });
        return mapJobErrors(deps, { runId, item, attempt, maxAttempts: DETAIL_FLOW.retries + 1 }, async () => {
          const outcome = await fetchAndStoreDetail(deps, bdns, runId);
          // With documents to store, the item is done once they are queued (below): a run whose
          // items all have an outcome is then never one whose documents are still to be requested.
          if (outcome.toStore.length === 0) await store.itemDone(runId, item, outcome.outcome === "unchanged" ? "unchanged" : "stored");
          log.info({ outcome: outcome.outcome, documents: outcome.documents, toStore: outcome.toStore.length }, "detail stored");
          return outcome;
        });
      });

      for (let i = 0; i < r.toStore.length; i += FAN_OUT_CHUNK) {
        const events = r.toStore.slice(i, i + FAN_OUT_CHUNK).map((documentId) => toSdkEvent(buildDocumentRequest(bdns, documentId, { runId, timestamp })));
        await step.sendEvent(`fan-out-documents #${i / FAN_OUT_CHUNK}`, events);
      }
      // Filed once the events are out: a run then never waits for work that was not requested.
      if (r.toStore.length > 0) {
        await step.run("queue-documents", async () => {
          const store = await deps.store();
          await store.queueItems(runId, r.toStore.map((documentId) => workItem.document(bdns, documentId)));
          await store.itemDone(runId, item, r.outcome === "unchanged" ? "unchanged" : "stored");
        });
      }
      return { bdns, outcome: r.outcome, documents: r.documents, queued: r.toStore.length };
    },
  );
}

/** Fetch, store and count one detail; shared with the document function when metadata is missing. */
export async function fetchAndStoreDetail(deps: JobDeps, bdns: string, runId: string) {
  const store = await deps.store();
  const { detail, raw } = await deps.bdns.for({ kind: "detail", run: runId }).getConvocatoria(bdns);
  const outcome = await store.upsertDetail(detail, raw, runId);
  recordRows("convocatorias", outcome); // metrics
  await store.count(runId, outcome);
  const toStore = await store.upsertDocuments(bdns, detail.documentos ?? []);
  return { outcome, documents: detail.documentos?.length ?? 0, toStore };
}

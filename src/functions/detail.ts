/**
 * processConvocatoriaDetail (on convocatorias/detail.requested): fetch the detail by numConv, store
 * it with its content hash (new / changed / unchanged), and fan out documents/storage.requested for
 * each document not stored yet, or whose stored file is not the revision BDNS announces now.
 * An unknown code or a broken record fails at once (no retries) and is recorded in sync_failures.
 */
import { workItem, type DetailOutcome, type WorkItem } from "../adapters/store/store.js";
import { looksIntact } from "../adapters/store/document-store.js";
import { buildDocumentRequest } from "../contracts/build.js";
import { detailRequested, toSdkEvent } from "../contracts/events.js";
import type { AyidaInngest } from "../config/client.js";
import type { JobDeps } from "./deps.js";
import { mapJobErrors, recordRunFailure } from "./errors.js";
import { DETAIL_FLOW, FAN_OUT_CHUNK } from "./flow.js";
import { recordRows } from "../metrics/index.js";
import type { RemovalOutcome } from "../adapters/store/removal-marking.js";
import { removalVerdict, reportRemoval } from "./datasets/removal.js";

export const DETAIL_FUNCTION_ID = "process-convocatoria-detail";

/** The item a detail request is about (the handler's, the failure handler's, the reconcile's). */
export const detailItemOf = (d: { bdns: string }) => workItem.detail(d.bdns);
const itemOf = detailItemOf;

export function processConvocatoriaDetail(inngest: AyidaInngest, deps: JobDeps) {
  return inngest.createFunction(
    { id: DETAIL_FUNCTION_ID, name: "processConvocatoriaDetail", triggers: [detailRequested], ...DETAIL_FLOW, onFailure: recordRunFailure(deps, DETAIL_FUNCTION_ID, "detail", itemOf) },
    async ({ event, step, runId: inngestRunId, attempt }) => {
      const { bdns, runId, timestamp, allowRemoval, retryOf } = event.data;
      const log = deps.logger.child({ jobName: DETAIL_FUNCTION_ID, runId, inngestRunId, bdns });
      const item = itemOf(event.data);

      const r = await step.run("fetch-and-store", async () => {
        const store = await deps.store();
        await store.ensureRun(runId, "detail", { retryOf });
        return mapJobErrors(deps, { runId, item, attempt, maxAttempts: DETAIL_FLOW.retries + 1 }, async () => {
          // With documents to store, the item is done once they are queued (below): a run whose
          // items all have an outcome is then never one whose documents are still to be requested.
          const outcome = await fetchAndStoreDetail(deps, bdns, runId, { closeItem: item, allowRemoval, log });
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

export interface StoredDetail {
  outcome: DetailOutcome;
  documents: number;
  /** The documents to (re)store. */
  toStore: string[];
}

/**
 * Fetch, store and count one detail, once per run: the detail, its counter, its documents' metadata
 * (and, with `closeItem` and nothing to store, the item's outcome) commit in one transaction, and a
 * retry of a step that committed gets the first outcome back — a detail this run stored is "new",
 * never "new" and then "unchanged". Shared with the document function when metadata is missing. The
 * documents the detail no longer lists are marked removed in the same transaction, as the removal rule
 * allows (`allowRemoval`: from a sync that has it).
 */
export async function fetchAndStoreDetail(deps: JobDeps, bdns: string, runId: string, o: { closeItem?: WorkItem; allowRemoval?: boolean | undefined; log?: JobDeps["logger"] } = {}): Promise<StoredDetail> {
  const store = await deps.store();
  const step = `detail ${bdns}`;
  const done = await store.committed<StoredDetail>(runId, CONVOCATORIAS, step);
  if (done) return done;
  const { detail, raw } = await deps.bdns.for({ kind: "detail", run: runId }).getConvocatoria(bdns);
  let marked: RemovalOutcome | undefined;
  const stored = await store.once(runId, CONVOCATORIAS, step, async (tx): Promise<StoredDetail> => {
    const outcome = await tx.upsertDetail(detail, raw, runId);
    await tx.count(runId, outcome);
    // A stored file that no longer looks like the one stored (replaced by a deployment sharing the
    // folder, removed, cut) is fetched again: one stat per stored document of a detail fetched.
    const docs = detail.documentos ?? [];
    const evidence = { fetched: docs.length, allowRemoval: Boolean(o.allowRemoval) };
    const removal = { runId, decide: (c: { live: number; missing: number }) => removalVerdict({ ...c, ...evidence }), onMarked: (m: RemovalOutcome) => (marked = m) };
    const toStore = await tx.upsertDocuments(bdns, docs, { fileIntact: (row) => looksIntact(deps.documents, row), removal });
    if (o.closeItem && toStore.length === 0) await tx.itemDone(runId, o.closeItem, outcome === "unchanged" ? "unchanged" : "stored");
    recordRows(CONVOCATORIAS, outcome); // metrics
    return { outcome, documents: docs.length, toStore };
  });
  if (marked) reportRemoval(o.log ?? deps.logger, CONVOCATORIAS, `documentos ${bdns}`, marked); // metrics, and a hold's warning
  return stored;
}

const CONVOCATORIAS = "convocatorias";

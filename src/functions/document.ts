/**
 * processDocumentStorage (on documents/storage.requested): find the document's metadata (fetching the
 * convocatoria's detail first if it is not stored), stream the file into the document store, record
 * its sha256, path and revision. Skipped, nothing downloaded, only when the stored file is the
 * revision BDNS announces and the file on disk still hashes to what was stored.
 * A document BDNS does not list under that convocatoria fails at once (no retries) and is recorded.
 */
import { BdnsError } from "../adapters/bdns/errors.js";
import { storedRevisionIsCurrent, workItem } from "../adapters/store/store.js";
import { storageRequested } from "../contracts/events.js";
import type { AyidaInngest } from "../config/client.js";
import { fetchAndStoreDetail } from "./detail.js";
import type { JobDeps } from "./deps.js";
import { mapJobErrors, recordRunFailure } from "./errors.js";
import { DOCUMENT_FLOW } from "./flow.js";

export const DOCUMENT_FUNCTION_ID = "process-document-storage";

type DocumentOutcome = { status: "stored" | "skipped"; path: string; sha256: string; size: number };
const CONVOCATORIAS = "convocatorias";

/** The item a document request is about (the handler's, the failure handler's, the reconcile's). */
export const documentItemOf = (d: { bdns: string; documentId: string }) => workItem.document(d.bdns, d.documentId);
const itemOf = documentItemOf;

export function processDocumentStorage(inngest: AyidaInngest, deps: JobDeps) {
  return inngest.createFunction(
    { id: DOCUMENT_FUNCTION_ID, name: "processDocumentStorage", triggers: [storageRequested], ...DOCUMENT_FLOW, onFailure: recordRunFailure(deps, DOCUMENT_FUNCTION_ID, "document", itemOf) },
    async ({ event, step, runId: inngestRunId, attempt }) => {
      const { bdns, documentId, runId, retryOf } = event.data;
      const log = deps.logger.child({ jobName: DOCUMENT_FUNCTION_ID, runId, inngestRunId, bdns, documentId });
      const item = itemOf(event.data);

      return step.run("store-document", async () => {
        const store = await deps.store();
        await store.ensureRun(runId, "document", { retryOf });
        return mapJobErrors(deps, { runId, item, attempt, maxAttempts: DOCUMENT_FLOW.retries + 1 }, async () => {
          // Stored (or found intact) by an attempt whose answer was lost: that outcome stands.
          const step = `document ${item.key}`;
          const done = await store.committed<DocumentOutcome>(runId, CONVOCATORIAS, step);
          if (done) return done;
          let meta = await store.getDocument(documentId);
          if (!meta || meta.bdns !== bdns) {
            await fetchAndStoreDetail(deps, bdns, runId);
            meta = await store.getDocument(documentId);
          }
          if (!meta || meta.bdns !== bdns) {
            throw new BdnsError("UNKNOWN_DOCUMENT", `document ${documentId} is not listed in convocatoria ${bdns}`);
          }

          if (meta.stored_path && meta.sha256 && storedRevisionIsCurrent(meta)) {
            // The row says it is stored; the file must still say so too (a corrupted or replaced
            // file is fetched again).
            const onDisk = await deps.documents.inspect(meta.stored_path);
            if (onDisk && onDisk.sha256 === meta.sha256 && onDisk.size === meta.stored_size) {
              const skipped = { status: "skipped" as const, path: meta.stored_path, sha256: meta.sha256, size: onDisk.size };
              await store.once(runId, CONVOCATORIAS, step, async (tx) => (await tx.itemDone(runId, item, "unchanged"), skipped));
              log.info({ path: meta.stored_path }, "document already stored; skipped");
              return skipped;
            }
            log.warn({ path: meta.stored_path, found: onDisk ? { size: onDisk.size } : "missing" }, "document: the stored file is not the one recorded (replaced, cut or removed on disk); fetching it again");
          }

          const path = deps.documents.relativePath(bdns, documentId, meta.nombre_fic);
          const download = await deps.bdns.for({ kind: "document", run: runId }).downloadDocument(documentId);
          const stored = await deps.documents.store(path, download.body, meta.announced_size ?? download.contentLength);
          const result = await store.once(runId, CONVOCATORIAS, step, async (tx) => {
            await tx.markDocumentStored(documentId, { ...stored, datMod: meta.dat_mod });
            await tx.count(runId, "documents_stored");
            await tx.itemDone(runId, item, "stored");
            return { status: "stored" as const, ...stored };
          });
          log.info({ path: stored.path, size: stored.size, sha256: stored.sha256 }, "document stored");
          return result;
        });
      });
    },
  );
}

/**
 * A dataset's per-row details and their documents (planes estratégicos), fanned out by the engine:
 *   <name>/detail.requested    fetch the row's detail, store it on the row (new / changed /
 *                              unchanged by its hash), fan out its documents not stored yet;
 *   <name>/document.requested  stream the document into the document store
 *                              (`<name>/<id>/<documentId>-<name>`), record its sha256 and path.
 * A detail that answers an HTML page (some plans always do) is recorded and fails that item only.
 */
import { BdnsError } from "../../adapters/bdns/errors.js";
import type { WorkItem } from "../../adapters/store/store.js";
import { looksIntact } from "../../adapters/store/document-store.js";
import { datasetPayload, type DatasetDetailData, type DatasetDocumentData } from "../../contracts/dataset-events.js";
import { datasetEventTypes, toSdkDatasetEvent } from "../../contracts/dataset-event-types.js";
import { canonicalHash } from "../../datasets/canonical.js";
import type { DatasetDeclaration, DetailsDeclaration } from "../../datasets/types.js";
import type { AyidaInngest } from "../../config/client.js";
import type { JobDeps } from "../deps.js";
import { mapJobErrors, recordRunFailure } from "../errors.js";
import { DATASET_DETAIL_FLOW, FAN_OUT_CHUNK } from "../flow.js";

type StoredDetail = { outcome: "new" | "changed" | "unchanged"; documents: number; toStore: string[] };
type DocumentOutcome = { status: "stored" | "skipped"; path: string; sha256: string; size: number };

export const detailItem = (d: DatasetDeclaration) => (data: { id: string }): WorkItem => ({ dataset: d.name, kind: "detail", key: data.id });
export const documentItem = (d: DatasetDeclaration) => (data: { id: string; documentId: string }): WorkItem => ({ dataset: d.name, kind: "document", key: `${data.id}/${data.documentId}` });

export function createDetailFunctions(inngest: AyidaInngest, deps: JobDeps, d: DatasetDeclaration) {
  if (!d.details) return [];
  const details: DetailsDeclaration = d.details;
  const table = d.feeds.find((f) => f.id === details.feed)!.table;
  const types = datasetEventTypes(d);
  const detailId = `${d.name}-detail`;
  const documentId = `${d.name}-document`;
  const maxAttempts = DATASET_DETAIL_FLOW.retries + 1;

  const detailFn = inngest.createFunction(
    { id: detailId, name: `${d.title}: detail`, triggers: [types.detail], ...DATASET_DETAIL_FLOW, onFailure: recordRunFailure(deps, detailId, "detail", detailItem(d)) },
    async ({ event, step, runId: inngestRunId, attempt }) => {
      const { id, runId, timestamp, retryOf } = event.data as DatasetDetailData;
      const item = detailItem(d)({ id });
      const log = deps.logger.child({ jobName: detailId, runId, inngestRunId, dataset: d.name, id });
      const r = await step.run("fetch-and-store", async () => {
        const store = await deps.store();
        await store.ensureRun(runId, "detail", { retryOf }, d.name);
        return mapJobErrors(deps, { runId, item, attempt, maxAttempts }, async () => {
          // Stored by an attempt whose answer was lost: its outcome stands (see Store.once).
          const step = `detail ${id}`;
          const done = await store.committed<StoredDetail>(runId, d.name, step);
          if (done) return done;
          const body = await deps.bdns.for({ kind: "plan", run: runId }).fetchJson(details.path, { [details.param]: id });
          if (!body || typeof body !== "object" || Array.isArray(body)) throw new BdnsError("BROKEN_RECORD", `${details.path}: ${d.name} ${id}: the answer is not a record`, { path: details.path });
          const { advertencia: _notice, ...detail } = body as Record<string, unknown>;
          const columns = Object.fromEntries(Object.entries(details.columns ?? {}).map(([c, f]) => [c, f(detail)]));
          const now = new Date().toISOString();
          const docs = details.documents ? details.documents.list(detail).map((x) => ({ ...x, raw: JSON.stringify(x) })) : [];
          const r = await store.once(runId, d.name, step, async (tx): Promise<StoredDetail> => {
            const outcome = await tx.tables.details(table).storeDetail(id, { json: JSON.stringify(detail), hash: canonicalHash(detail), columns }, now);
            if (outcome === "no-row") throw new BdnsError("NOT_FOUND", `${d.name} ${id} is not in ${table.name}: sync the dataset first`);
            const toStore = await tx.tables.details(table).upsertDocuments(id, docs, now, (row) => looksIntact(deps.documents, row));
            // With documents to store, the item is done once they are queued (below).
            if (toStore.length === 0) await tx.itemDone(runId, item, outcome === "unchanged" ? "unchanged" : "stored");
            return { outcome, documents: docs.length, toStore };
          });
          log.info({ outcome: r.outcome, documents: r.documents, toStore: r.toStore.length }, "detail stored");
          return r;
        });
      });
      for (let i = 0; i < r.toStore.length; i += FAN_OUT_CHUNK) {
        const events = r.toStore.slice(i, i + FAN_OUT_CHUNK).map((documentId) => toSdkDatasetEvent(d, "document", datasetPayload(d, "document", { id, documentId, runId, timestamp })));
        await step.sendEvent(`fan-out-documents #${i / FAN_OUT_CHUNK}`, events);
      }
      if (r.toStore.length > 0) {
        await step.run("queue-documents", async () => {
          const store = await deps.store();
          await store.queueItems(runId, r.toStore.map((documentId) => documentItem(d)({ id, documentId })));
          await store.itemDone(runId, item, r.outcome === "unchanged" ? "unchanged" : "stored");
        });
      }
      return { id, outcome: r.outcome, documents: r.documents, queued: r.toStore.length };
    },
  );

  const documentFn = inngest.createFunction(
    { id: documentId, name: `${d.title}: document`, triggers: [types.document], ...DATASET_DETAIL_FLOW, onFailure: recordRunFailure(deps, documentId, "document", documentItem(d)) },
    async ({ event, step, runId: inngestRunId, attempt }) => {
      const data = event.data as DatasetDocumentData;
      const item = documentItem(d)(data);
      const log = deps.logger.child({ jobName: documentId, runId: data.runId, inngestRunId, dataset: d.name, id: data.id, documentId: data.documentId });
      return step.run("store-document", async () => {
        const store = await deps.store();
        await store.ensureRun(data.runId, "document", { retryOf: data.retryOf }, d.name);
        return mapJobErrors(deps, { runId: data.runId, item, attempt, maxAttempts }, async () => {
          const step = `document ${item.key}`;
          const done = await store.committed<DocumentOutcome>(data.runId, d.name, step);
          if (done) return done;
          const docs = store.tables.details(table);
          const meta = await docs.getDocument(data.documentId);
          if (!meta || meta.parent_id !== data.id) throw new BdnsError("UNKNOWN_DOCUMENT", `document ${data.documentId} is not listed in ${d.name} ${data.id}`);
          if (meta.stored_path && meta.sha256) {
            const onDisk = await deps.documents.inspect(meta.stored_path);
            if (onDisk && onDisk.sha256 === meta.sha256 && onDisk.size === meta.stored_size) {
              const skipped = { status: "skipped" as const, path: meta.stored_path, sha256: meta.sha256, size: onDisk.size };
              return store.once(data.runId, d.name, step, async (tx) => (await tx.itemDone(data.runId, item, "unchanged"), skipped));
            }
          }
          const path = deps.documents.relativePathIn([d.name, data.id], data.documentId, meta.nombre_fic);
          const download = await deps.bdns.for({ kind: "document", run: data.runId }).download(details.documents!.path, { [details.documents!.param]: data.documentId });
          const stored = await deps.documents.store(path, download.body, download.contentLength);
          const result = await store.once(data.runId, d.name, step, async (tx) => {
            await tx.tables.details(table).markDocumentStored(data.documentId, stored, new Date().toISOString());
            await tx.count(data.runId, "documents_stored", 1, d.name);
            await tx.itemDone(data.runId, item, "stored");
            return { status: "stored" as const, ...stored };
          });
          log.info({ path: stored.path, size: stored.size }, "document stored");
          return result;
        });
      });
    },
  );
  return [detailFn, documentFn];
}

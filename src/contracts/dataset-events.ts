/**
 * The datasets' events, generated from their declarations (src/datasets): per dataset
 *   <name>/sync.requested         { runId, timestamp, full?, allowRemoval?, from?, to? }   what users and routes send
 *   <name>/sync.piece.requested   { runId, timestamp, full?, allowRemoval?, feed, sweep?, from?, to? }   the fan-out of a sync (internal)
 * and, for a dataset with per-row details (planes estratégicos),
 *   <name>/detail.requested       { id, runId, timestamp }
 *   <name>/document.requested     { id, documentId, runId, timestamp }
 * Plain zod/mini, like schemas.ts: the CLI validates and builds them without loading the SDK.
 */
import * as z from "zod/mini";
import { DATASET_NAMES } from "../datasets/names.js";
import type { DatasetDeclaration } from "../datasets/types.js";
import { InvalidInputError } from "./errors.js";
import { labelledEventId } from "./event-id.js";
import { documentId, isoDate, requestedDatasets, runId, timestamp } from "./rules.js";

const flag = z.optional(z.boolean("must be true or false"));
const fromNotAfterTo = z.refine<{ from?: string | undefined; to?: string | undefined }>((d) => !d.from || !d.to || d.from <= d.to, { message: "must not be after to", path: ["from"] });
/** `ayida-jobs retry`: the run whose failures this re-requests (recorded as sync_runs.retry_of; not in the id). */
const retryOf = z.optional(runId);
/**
 * An operator vouches that BDNS really shrank: mark removed what the answer no longer holds even when
 * it is empty, incomplete or shrank past what one answer may remove (functions/datasets/removal.ts).
 * A business key: a forced sync is other work than a normal one under the same runId.
 */
const allowRemoval = flag;
const token = (rule: string) => z.string(rule).check(z.regex(/^[A-Za-z0-9._-]{1,64}$/, rule));

/** `datasets`: `sync all` — every dataset the request asked for (see rules.ts); not a business key. */
export const datasetSyncData = z.object({ runId, timestamp, full: flag, allowRemoval, from: z.optional(isoDate), to: z.optional(isoDate), retryOf, datasets: z.optional(requestedDatasets) }).check(fromNotAfterTo);
export const datasetPieceData = z
  .object({ runId, timestamp, full: flag, allowRemoval, feed: token("must be a feed id"), sweep: z.optional(token("must be a sweep value")), from: z.optional(isoDate), to: z.optional(isoDate), retryOf })
  .check(fromNotAfterTo);
export const datasetDetailData = z.object({ id: token("must be an id: letters, digits, '.', '_' or '-'"), runId, timestamp, retryOf });
export const datasetDocumentData = z.object({ id: token("must be an id: letters, digits, '.', '_' or '-'"), documentId, runId, timestamp, retryOf });

export type DatasetSyncData = z.infer<typeof datasetSyncData>;
export type DatasetPieceData = z.infer<typeof datasetPieceData>;
export type DatasetDetailData = z.infer<typeof datasetDetailData>;
export type DatasetDocumentData = z.infer<typeof datasetDocumentData>;

export type DatasetEventKind = "sync" | "piece" | "detail" | "document";

export const DATASET_EVENT_SCHEMAS = { sync: datasetSyncData, piece: datasetPieceData, detail: datasetDetailData, document: datasetDocumentData } as const;

/** Each kind's business keys, declared once: with the runId they make the event id. */
export const DATASET_EVENT_KEYS: Record<DatasetEventKind, readonly string[]> = {
  sync: ["from", "to", "full", "allowRemoval"],
  piece: ["feed", "sweep", "from", "to", "full", "allowRemoval"],
  detail: ["id"],
  document: ["id", "documentId"],
};

export function datasetEventName(d: Pick<DatasetDeclaration, "name">, kind: DatasetEventKind): string {
  return `${d.name}/${kind === "sync" ? "sync.requested" : kind === "piece" ? "sync.piece.requested" : kind === "detail" ? "detail.requested" : "document.requested"}`;
}

/** A dataset event ready to send: validated against its schema, keyed by its business keys and runId. */
export interface DatasetEventPayload<D = Record<string, unknown>> {
  name: string;
  data: D;
  id: string;
}

export function datasetPayload<K extends DatasetEventKind>(d: Pick<DatasetDeclaration, "name">, kind: K, data: z.infer<(typeof DATASET_EVENT_SCHEMAS)[K]>): DatasetEventPayload<z.infer<(typeof DATASET_EVENT_SCHEMAS)[K]>> {
  const result = DATASET_EVENT_SCHEMAS[kind].safeParse(data);
  if (!result.success) throw new InvalidInputError(result.error.issues.map((i) => ({ field: i.path.join(".") || "data", value: (data as Record<PropertyKey, unknown>)[i.path[0] ?? ""], rule: i.message })));
  const name = datasetEventName(d, kind);
  return { name, data, id: labelledEventId(name, data as Record<string, unknown>, DATASET_EVENT_KEYS[kind]) };
}

const KINDS: readonly DatasetEventKind[] = ["sync", "piece", "detail", "document"];

/**
 * The dataset and kind an event name belongs to (`organos/sync.requested` → organos, sync). By name:
 * `findDataset(dataset)` gives its declaration, for a caller that needs more than the name.
 */
export function datasetEventOf(name: string): { dataset: string; kind: DatasetEventKind } | undefined {
  for (const dataset of DATASET_NAMES) for (const kind of KINDS) if (datasetEventName({ name: dataset }, kind) === name) return { dataset, kind };
  return undefined;
}

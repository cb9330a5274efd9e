/**
 * The event contracts: names and data shapes, declared once. Names and fields come from the seed
 * (`convocatorias/sync.requested`, `convocatorias/detail.requested`, `documents/storage.requested`);
 * never rename them, only add optional fields.
 *
 * This file is plain zod on purpose: `events.ts` wraps these schemas in the SDK's `eventType()`, and
 * paths that never send (`--help`, `--dry-run`) can validate without loading the Inngest SDK.
 */
import * as z from "zod/mini";
import { labelledEventId } from "./event-id.js";
import { bdnsCode, documentId, requestedDatasets, runId, syncDate, timestamp } from "./rules.js";

export const APP_ID = "ayida-portal";

export const EVENT = {
  syncRequested: "convocatorias/sync.requested",
  syncPieceRequested: "convocatorias/sync.piece.requested",
  detailRequested: "convocatorias/detail.requested",
  storageRequested: "documents/storage.requested",
} as const;
export type EventName = (typeof EVENT)[keyof typeof EVENT];

const fromNotAfterTo = (d: { from?: string | undefined; to?: string | undefined }) => !d.from || !d.to || d.from <= d.to;
const fromToRule = () => z.refine<{ from?: string | undefined; to?: string | undefined }>(fromNotAfterTo, { message: "must not be after to", path: ["from"] });
const flag = z.optional(z.boolean("must be true or false"));
/**
 * The run whose failures this request re-requests (`ayida-jobs retry`): the functions record it as the
 * new run's `sync_runs.retry_of`. Not a business key: it never changes an event's id.
 */
const retryOf = z.optional(runId);

/** A sync of convocatorias. `from`/`to` (inclusive) default to the 7 days ending yesterday. */
export const syncRequestedData = z
  .object({
    runId,
    timestamp,
    from: z.optional(syncDate),
    to: z.optional(syncDate),
    /** Fan out every listed convocatoria, not only the new ones or those without a stored detail. */
    full: flag,
    /**
     * Mark removed what BDNS no longer lists (convocatorias of the window, documents of a detail) even
     * when its answer is empty, incomplete or shrank past the removal rule (`sync --allow-removal`).
     */
    allowRemoval: flag,
    retryOf,
    /** `sync all`: every dataset the request asked for (not a business key: never in the id). */
    datasets: z.optional(requestedDatasets),
  })
  .check(fromToRule());

/**
 * Internal: one piece (≤ 7 days) of a sync window. A backfill from 2013 is ~700 pieces; giving each
 * its own run keeps every run far inside Inngest's 1,000-step and 4 MB limits.
 */
export const syncPieceRequestedData = z.object({ runId, timestamp, from: syncDate, to: syncDate, full: flag, allowRemoval: flag, retryOf }).check(fromToRule());

/** `allowRemoval`: carried from a sync that has it, for the documents the detail no longer lists. */
export const detailRequestedData = z.object({ bdns: bdnsCode, runId, timestamp, allowRemoval: flag, retryOf });

export const storageRequestedData = z.object({ bdns: bdnsCode, documentId, runId, timestamp, retryOf });

export type SyncRequestedData = z.infer<typeof syncRequestedData>;
export type SyncPieceRequestedData = z.infer<typeof syncPieceRequestedData>;
export type DetailRequestedData = z.infer<typeof detailRequestedData>;
export type StorageRequestedData = z.infer<typeof storageRequestedData>;

export interface DataByEvent {
  [EVENT.syncRequested]: SyncRequestedData;
  [EVENT.syncPieceRequested]: SyncPieceRequestedData;
  [EVENT.detailRequested]: DetailRequestedData;
  [EVENT.storageRequested]: StorageRequestedData;
}

export const SCHEMA_BY_EVENT = {
  [EVENT.syncRequested]: syncRequestedData,
  [EVENT.syncPieceRequested]: syncPieceRequestedData,
  [EVENT.detailRequested]: detailRequestedData,
  [EVENT.storageRequested]: storageRequestedData,
} as const;

/**
 * Any event this package sends (convocatorias' or a dataset's): its name, its data (always with the
 * runId and timestamp of the request) and its idempotency id.
 */
export interface SendableEvent {
  name: string;
  data: { runId: string; timestamp: string } & Record<string, unknown>;
  id: string;
}

/** An event ready to send: what goes over the wire, minus the SDK's `ts`. */
export interface EventPayload<N extends EventName = EventName> {
  name: N;
  data: DataByEvent[N];
  /** Inngest's idempotency key (see `eventId`). */
  id: string;
}

/**
 * Each event's business keys, declared once: the fields that say which work an event asks for. With
 * the runId they make the event id; the timestamp is left out, so a retried request is deduplicated.
 */
export const EVENT_KEYS = {
  [EVENT.syncRequested]: ["from", "to", "full", "allowRemoval"],
  [EVENT.syncPieceRequested]: ["from", "to", "full", "allowRemoval"],
  [EVENT.detailRequested]: ["bdns", "allowRemoval"],
  [EVENT.storageRequested]: ["bdns", "documentId"],
} as const satisfies { [N in EventName]: ReadonlyArray<keyof DataByEvent[N]> };

export { MAX_EVENT_ID_LENGTH } from "./event-id.js";

/** The idempotency key of one of convocatorias' events (the format: event-id.ts). */
export function eventId<N extends EventName>(name: N, data: DataByEvent[N]): string {
  return labelledEventId(name, data as Record<string, unknown>, EVENT_KEYS[name]);
}

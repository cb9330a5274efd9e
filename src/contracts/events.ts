/**
 * The SDK view of the contracts: each event as an `eventType()` over the schema in `schemas.ts`.
 * Functions use these as triggers (the SDK validates incoming data before a handler runs); senders
 * use `.create()` (the SDK validates before it sends). Loading this module loads the Inngest SDK.
 */
import { eventType } from "inngest";
import { datasetEventOf } from "./dataset-events.js";
import { toSdkDatasetEvent } from "./dataset-event-types.js";
import { EVENT, detailRequestedData, storageRequestedData, syncPieceRequestedData, syncRequestedData, type SendableEvent } from "./schemas.js";

export const syncRequested = eventType(EVENT.syncRequested, { schema: syncRequestedData });
export const syncPieceRequested = eventType(EVENT.syncPieceRequested, { schema: syncPieceRequestedData });
export const detailRequested = eventType(EVENT.detailRequested, { schema: detailRequestedData });
export const storageRequested = eventType(EVENT.storageRequested, { schema: storageRequestedData });

const EVENT_TYPES = {
  [EVENT.syncRequested]: syncRequested,
  [EVENT.syncPieceRequested]: syncPieceRequested,
  [EVENT.detailRequested]: detailRequested,
  [EVENT.storageRequested]: storageRequested,
} as const;

/** Turn a built payload — convocatorias' or a dataset's — into the SDK's validatable event (`X.create(data, { id })`). */
export function toSdkEvent(p: SendableEvent) {
  const type = (EVENT_TYPES as unknown as Record<string, { create(data: unknown, opts: { id: string }): ReturnType<typeof detailRequested.create> } | undefined>)[p.name];
  if (type) return type.create(p.data, { id: p.id });
  const owner = datasetEventOf(p.name);
  if (!owner) throw new Error(`no contract for event ${p.name}`);
  return toSdkDatasetEvent({ name: owner.dataset }, owner.kind, p) as unknown as ReturnType<typeof detailRequested.create>;
}

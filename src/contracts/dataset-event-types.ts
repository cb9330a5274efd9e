/**
 * The SDK view of the datasets' events: `eventType()` over the schemas of dataset-events.ts, for
 * triggers and for `.create()` before sending. Loading this module loads the Inngest SDK.
 */
import { eventType } from "inngest";
import type { DatasetDeclaration } from "../datasets/types.js";
import { DATASET_EVENT_SCHEMAS, datasetEventName, type DatasetEventKind, type DatasetEventPayload } from "./dataset-events.js";

const cache = new Map<string, ReturnType<typeof build>>();

function build(d: Pick<DatasetDeclaration, "name">) {
  const { sync, piece, detail, document } = DATASET_EVENT_SCHEMAS;
  return {
    sync: eventType(datasetEventName(d, "sync"), { schema: sync }),
    piece: eventType(datasetEventName(d, "piece"), { schema: piece }),
    detail: eventType(datasetEventName(d, "detail"), { schema: detail }),
    document: eventType(datasetEventName(d, "document"), { schema: document }),
  };
}

export function datasetEventTypes(d: Pick<DatasetDeclaration, "name">) {
  let t = cache.get(d.name);
  if (!t) cache.set(d.name, (t = build(d)));
  return t;
}

/** A built payload as the SDK's validatable event (`X.create(data, { id })`). */
export function toSdkDatasetEvent(d: Pick<DatasetDeclaration, "name">, kind: DatasetEventKind, p: DatasetEventPayload) {
  const type = datasetEventTypes(d)[kind] as unknown as { create(data: unknown, opts: { id: string }): ReturnType<ReturnType<typeof build>["sync"]["create"]> };
  return type.create(p.data, { id: p.id });
}

/**
 * Which work item an event asks for, as its function files it — the handler, its failure handler and
 * serve's reconcile agree because they use the same mapping (each function's own `itemOf`). And the
 * other way: which events can ask for an item of a dataset and kind (what the reconcile looks for in
 * the engine's record).
 */
import type { ItemKind } from "../adapters/store/schema.js";
import type { WorkItem } from "../adapters/store/store.js";
import { datasetEventName, datasetEventOf } from "../contracts/dataset-events.js";
import { EVENT } from "../contracts/schemas.js";
import { findDataset } from "../datasets/index.js";
import { detailItem, documentItem } from "./datasets/details.js";
import { failedItem } from "./datasets/engine.js";
import { detailItemOf } from "./detail.js";
import { documentItemOf } from "./document.js";
import { pieceItem, requestItem } from "./sync.js";

/** The item, and the kind of run row its function keeps (a sync row is failed with it). */
export interface EventWork {
  item: WorkItem;
  runKind: "sync" | "detail" | "document";
}

type Data = Record<string, unknown> & { runId: string };

/** undefined for an event that is none of ours, or whose data its function could not read either. */
export function workOfEvent(name: string, data: Data): EventWork | undefined {
  try {
    return workOf(name, data as never);
  } catch {
    return undefined;
  }
}

function workOf(name: string, d: never): EventWork | undefined {
  switch (name) {
    case EVENT.syncRequested:
      return { item: requestItem(d), runKind: "sync" };
    case EVENT.syncPieceRequested:
      return { item: pieceItem(d), runKind: "sync" };
    case EVENT.detailRequested:
      return { item: detailItemOf(d), runKind: "detail" };
    case EVENT.storageRequested:
      return { item: documentItemOf(d), runKind: "document" };
  }
  const owner = datasetEventOf(name);
  const dataset = owner && findDataset(owner.dataset);
  if (!owner || !dataset) return undefined;
  if (owner.kind === "sync" || owner.kind === "piece") return { item: failedItem(dataset)(d), runKind: "sync" };
  if (owner.kind === "detail") return { item: detailItem(dataset)(d), runKind: "detail" };
  return { item: documentItem(dataset)(d), runKind: "document" };
}

/** The events whose function files an item of `kind` in `dataset` (a piece: its own event, or a one-unit sync request). */
export function eventNamesFor(dataset: string, kind: ItemKind): string[] {
  if (dataset === "convocatorias") {
    return { sync: [EVENT.syncRequested], piece: [EVENT.syncPieceRequested, EVENT.syncRequested], detail: [EVENT.detailRequested], document: [EVENT.storageRequested], record: [] }[kind];
  }
  const d = findDataset(dataset);
  if (!d) return [];
  return { sync: [datasetEventName(d, "sync")], piece: [datasetEventName(d, "piece"), datasetEventName(d, "sync")], detail: [datasetEventName(d, "detail")], document: [datasetEventName(d, "document")], record: [] }[kind];
}

/** A dataset's sync request: the event a sync row's own work comes from (the naming holds for a dataset this version does not know). */
export function syncEventName(dataset: string): string {
  if (dataset === "convocatorias") return EVENT.syncRequested;
  return datasetEventName({ name: dataset }, "sync");
}

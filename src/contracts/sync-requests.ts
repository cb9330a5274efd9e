/**
 * Sync requests, for convocatorias, any declared dataset, or `all` of them under one runId: the
 * builders that need the datasets' declarations (which are windowed, and from when their data
 * begins), kept apart so that building a detail or a document request does not load them.
 */
import { InvalidInputError, type InputIssue } from "./errors.js";
import { isoDate, SYNCABLE_DATASETS, todayUtc, CONVOCATORIAS_FLOOR, FLOOR_RULE } from "./rules.js";
import { EVENT, type EventPayload, type SendableEvent } from "./schemas.js";
import { datasetPayload } from "./dataset-events.js";
import { SYNC_ALL } from "./datasets.js";
import { check, payload, throwIfAny, type RunContext } from "./build.js";
import { findDataset } from "../datasets/index.js";

export interface SyncInput {
  dataset?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  full?: boolean | undefined;
  /** Mark removed even what an empty or sharply shrunken answer no longer holds (convocatorias: the window's, and with `full` their documents). */
  allowRemoval?: boolean | undefined;
}

/** convocatorias/sync.requested (`dataset`, if given, must be convocatorias: see buildSyncRequests). */
export function buildSyncRequest(input: SyncInput, ctx: RunContext, now: Date = new Date()): EventPayload<typeof EVENT.syncRequested> {
  if (input.dataset !== undefined && input.dataset !== "convocatorias" && !SYNCABLE_DATASETS.includes(input.dataset)) buildSyncRequests(input, ctx, now); // throws, naming the valid ones
  if (input.dataset !== undefined && input.dataset !== "convocatorias") {
    throw new InvalidInputError([{ field: "dataset", value: input.dataset, rule: "is not convocatorias: sync other datasets with buildSyncRequests / triggerDatasetSync" }]);
  }
  const [event] = buildSyncRequests({ ...input, dataset: "convocatorias" }, ctx, now);
  return event as EventPayload<typeof EVENT.syncRequested>;
}

/**
 * The sync events of a request: one for a dataset, one per dataset for `all` (convocatorias first),
 * all under the request's runId. A window (`from`/`to`, inclusive) applies to the windowed datasets
 * and is refused for one that is not; each windowed dataset has its floor (the year its data begins).
 */
export function buildSyncRequests(input: SyncInput, ctx: RunContext, now: Date = new Date()): SendableEvent[] {
  const issues: InputIssue[] = [];
  const name = input.dataset ?? "convocatorias";
  const all = name === SYNC_ALL;
  if (!all && !SYNCABLE_DATASETS.includes(name)) {
    issues.push({ field: "dataset", value: name, rule: `is not a dataset that can be synced; valid: ${SYNCABLE_DATASETS.join(", ")}, or ${SYNC_ALL}` });
    throwIfAny(issues);
  }
  const targets = all ? SYNCABLE_DATASETS : [name];
  const windowed = targets.filter((t) => t === "convocatorias" || findDataset(t)?.strategy === "windowed");
  if (!all && windowed.length === 0 && (input.from || input.to)) {
    issues.push({ field: input.from ? "from" : "to", value: input.from ?? input.to, rule: `does not apply: ${name} is not windowed (every sync fetches all of it)` });
  }
  // With `all`, the earliest floor bounds the window, and each dataset starts at its own floor.
  const floor = windowed.map(floorOf).sort()[0] ?? CONVOCATORIAS_FLOOR;
  const today = todayUtc(now);
  for (const field of ["from", "to"] as const) {
    const value = input[field];
    if (value === undefined) continue;
    if (!check(issues, field, value, isoDate)) continue;
    if (value > today) issues.push({ field, value, rule: `must not be in the future (today is ${today} UTC)` });
    else if (value < floor) issues.push({ field, value, rule: floor === CONVOCATORIAS_FLOOR ? FLOOR_RULE : `must not be before ${floor}, when ${windowed.find((t) => floorOf(t) === floor)}'s data begins in BDNS` });
  }
  if (input.from && input.to && issues.length === 0 && input.from > input.to) {
    issues.push({ field: "from", value: input.from, rule: `must not be after to (${input.to})` });
  }
  throwIfAny(issues);
  return targets.map((t) => {
    const window = windowed.includes(t) ? { ...(input.from && { from: input.from }), ...(input.to && { to: input.to }) } : {};
    // `all`: each event names every dataset of the request, so the first one picked up files them all.
    const data = { ...ctx, ...window, ...(input.full && { full: true }), ...(input.allowRemoval && { allowRemoval: true }), ...(all && { datasets: [...targets] }) };
    return t === "convocatorias" ? payload(EVENT.syncRequested, data) : datasetPayload(findDataset(t)!, "sync", data);
  });
}

function floorOf(name: string): string {
  return name === "convocatorias" ? CONVOCATORIAS_FLOOR : (findDataset(name)?.floor ?? CONVOCATORIAS_FLOOR);
}

/**
 * Builders: raw input in, validated event payloads out. Every sender (CLI, library, HTTP routes,
 * functions' fan-out) goes through these, so an event is shaped, keyed and checked in one place.
 */
import { InvalidInputError, type InputIssue } from "./errors.js";
import { runId as runIdRule, BDNS_CODE_RULE, canonicalBdnsCode, documentId as documentIdRule, isoDate, SYNCABLE_DATASETS, todayUtc, CONVOCATORIAS_FLOOR, FLOOR_RULE } from "./rules.js";
import { EVENT, SCHEMA_BY_EVENT, eventId, type EventName, type EventPayload, type DataByEvent, type SendableEvent } from "./schemas.js";
import { datasetPayload } from "./dataset-events.js";
import { SYNC_ALL } from "./datasets.js";
import { findDataset } from "../datasets/index.js";
import type * as z from "zod/mini";

/** What one request caused: every event it emits (and their fan-out) carries the same runId. */
export interface RunContext {
  runId: string;
  /** When the request was made, ISO 8601 UTC. */
  timestamp: string;
  /** `ayida-jobs retry`: the run whose failures this one re-requests (carried in every event, not in ids). */
  retryOf?: string;
}

export function newRunContext(opts: { runId?: string | undefined; now?: Date; retryOf?: string | undefined } = {}): RunContext {
  const issues: InputIssue[] = [];
  const runId = opts.runId ?? crypto.randomUUID();
  check(issues, "runId", runId, runIdRule);
  if (opts.retryOf !== undefined) {
    check(issues, "retryOf", opts.retryOf, runIdRule);
    if (opts.retryOf === runId) issues.push({ field: "runId", value: runId, rule: "must not be the run it retries: a retry is a new run" });
  }
  throwIfAny(issues);
  return { runId, timestamp: (opts.now ?? new Date()).toISOString(), ...(opts.retryOf !== undefined && { retryOf: opts.retryOf }) };
}

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

/** A code and where it came from, so an error can say "line 3 of codes.txt". */
export interface SourcedCode {
  code: string;
  source: string;
}

/**
 * One detail event per distinct code. All codes are checked before anything is returned: a batch
 * with one bad code yields no events at all.
 */
/** `o.allowRemoval`: a sync's fan-out carries it on, for the documents a detail no longer lists. */
export function buildDetailRequests(codes: ReadonlyArray<string | SourcedCode>, ctx: RunContext, o: { allowRemoval?: boolean | undefined } = {}): EventPayload<typeof EVENT.detailRequested>[] {
  const issues: InputIssue[] = [];
  const seen = new Set<string>();
  const events: EventPayload<typeof EVENT.detailRequested>[] = [];
  if (codes.length === 0) issues.push({ field: "bdns", value: "", rule: "is missing: give at least one BDNS code" });
  for (const item of codes) {
    const { code: raw, source } = typeof item === "string" ? { code: item, source: "bdns" } : item;
    const code = bdnsOf(issues, source, raw);
    if (code === undefined || seen.has(code)) continue;
    seen.add(code);
    events.push(payload(EVENT.detailRequested, { bdns: code, ...ctx, ...(o.allowRemoval && { allowRemoval: true }) }));
  }
  throwIfAny(issues);
  return events;
}

export function buildDocumentRequest(bdns: string, documentId: string, ctx: RunContext): EventPayload<typeof EVENT.storageRequested> {
  const issues: InputIssue[] = [];
  const code = bdnsOf(issues, "bdns", bdns);
  check(issues, "documentId", documentId, documentIdRule);
  throwIfAny(issues);
  return payload(EVENT.storageRequested, { bdns: code!, documentId, ...ctx });
}

/**
 * Final gate: the payload must satisfy its event schema, exactly as the SDK will check at send time
 * and the function at run time. The id comes from the data itself (see `EVENT_KEYS`), so no caller
 * can key an event by the wrong fields.
 */
export function payload<N extends EventName>(name: N, data: DataByEvent[N]): EventPayload<N> {
  const result = SCHEMA_BY_EVENT[name].safeParse(data);
  if (!result.success) {
    throw new InvalidInputError(result.error.issues.map((i) => ({ field: i.path.join(".") || "data", value: pick(data, i.path), rule: i.message })));
  }
  return { name, data, id: eventId(name, data) };
}

/** The canonical code, or an issue naming where the bad one came from. */
function bdnsOf(issues: InputIssue[], field: string, raw: string): string | undefined {
  const code = typeof raw === "string" ? canonicalBdnsCode(raw) : undefined;
  if (code === undefined) issues.push({ field, value: raw, rule: BDNS_CODE_RULE });
  return code;
}

function check(issues: InputIssue[], field: string, value: string, rule: z.ZodMiniType<string>): boolean {
  const result = rule.safeParse(value);
  if (result.success) return true;
  issues.push({ field, value, rule: result.error.issues[0]?.message ?? "is invalid" });
  return false;
}

function throwIfAny(issues: InputIssue[]): void {
  if (issues.length > 0) throw new InvalidInputError(issues);
}

function pick(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = data;
  for (const key of path) cur = cur && typeof cur === "object" ? (cur as Record<PropertyKey, unknown>)[key] : undefined;
  return cur;
}

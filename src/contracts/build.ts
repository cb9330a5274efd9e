/**
 * Builders: raw input in, validated event payloads out. Every sender (CLI, library, HTTP routes,
 * functions' fan-out) goes through these, so an event is shaped, keyed and checked in one place.
 * Here: the run context, convocatorias' detail and document requests, and the checks every builder
 * shares; sync requests, which need the datasets' declarations, are in sync-requests.ts.
 */
import { InvalidInputError, type InputIssue } from "./errors.js";
import { runId as runIdRule, BDNS_CODE_RULE, canonicalBdnsCode, documentId as documentIdRule } from "./rules.js";
import { EVENT, SCHEMA_BY_EVENT, eventId, type EventName, type EventPayload, type DataByEvent } from "./schemas.js";
import type * as z from "zod/mini";
import { randomRunId } from "./run-id.js";

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
  const runId = opts.runId ?? randomRunId();
  check(issues, "runId", runId, runIdRule);
  if (opts.retryOf !== undefined) {
    check(issues, "retryOf", opts.retryOf, runIdRule);
    if (opts.retryOf === runId) issues.push({ field: "runId", value: runId, rule: "must not be the run it retries: a retry is a new run" });
  }
  throwIfAny(issues);
  return { runId, timestamp: (opts.now ?? new Date()).toISOString(), ...(opts.retryOf !== undefined && { retryOf: opts.retryOf }) };
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

/** Check one value against its rule; a failure becomes an issue naming the field. */
export function check(issues: InputIssue[], field: string, value: string, rule: z.ZodMiniType<string>): boolean {
  const result = rule.safeParse(value);
  if (result.success) return true;
  issues.push({ field, value, rule: result.error.issues[0]?.message ?? "is invalid" });
  return false;
}

export function throwIfAny(issues: InputIssue[]): void {
  if (issues.length > 0) throw new InvalidInputError(issues);
}

function pick(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = data;
  for (const key of path) cur = cur && typeof cur === "object" ? (cur as Record<PropertyKey, unknown>)[key] : undefined;
  return cur;
}

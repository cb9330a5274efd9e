/**
 * Input rules shared by every entry point (CLI, library, HTTP routes, functions).
 * Each rule is a zod schema whose message completes the sentence "<field>: <value> …".
 */
import * as z from "zod/mini";

export const BDNS_CODE_RULE = "must be a BDNS code: 1–10 digits";
export const DOCUMENT_ID_RULE = "must be a document id: 1–64 characters of letters, digits, '.', '_' or '-'";
export const RUN_ID_RULE = "must be a run id: 1–128 characters of letters, digits, '.', '_', ':' or '-'";
export const DATE_RULE = "must be a real calendar date written YYYY-MM-DD";
export const TIMESTAMP_RULE = "must be an ISO 8601 UTC timestamp (e.g. 2026-11-28T10:00:00.000Z)";

// zod/mini: the same engine as zod, ~25× smaller to load; the CLI validates before it ever loads the SDK.
const text = (rule: string) => z.string(rule);
export const bdnsCode = text(BDNS_CODE_RULE).check(z.regex(/^\d{1,10}$/, BDNS_CODE_RULE));
export const documentId = text(DOCUMENT_ID_RULE).check(z.regex(/^[A-Za-z0-9._-]{1,64}$/, DOCUMENT_ID_RULE));
export const runId = text(RUN_ID_RULE).check(z.regex(/^[A-Za-z0-9._:-]{1,128}$/, RUN_ID_RULE));
export const isoDate = text(DATE_RULE).check(z.refine(isCalendarDate, DATE_RULE));
export const timestamp = text(TIMESTAMP_RULE).check(
  z.refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(s) && !Number.isNaN(Date.parse(s)), TIMESTAMP_RULE),
);

/** `2026-02-30` matches the pattern but is not a day; round-tripping through Date catches it. */
export function isCalendarDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** Today's date as YYYY-MM-DD in UTC: the reference for "not in the future". */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

export { SYNCABLE_DATASETS, type SyncableDataset } from "./datasets.js";

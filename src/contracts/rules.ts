/**
 * Input rules shared by every entry point (CLI, library, HTTP routes, functions).
 * Each rule is a zod schema whose message completes the sentence "<field>: <value> …".
 */
import * as z from "zod/mini";
import { canonicalCode } from "../datasets/noise.js";

/**
 * BDNS codes are positive numbers written without leading zeros (`123456`). That written form is the
 * canonical one the contracts carry: `000123` and `123` are one convocatoria, so one event, one id and
 * one stored row. Builders accept leading zeros and drop them (`canonicalBdnsCode`); the event schemas
 * accept only the canonical form, so an event that skipped the builders cannot carry another.
 */
export const BDNS_CODE_RULE = "must be a BDNS code: 1–10 digits, not 0 (leading zeros are dropped)";
export const CANONICAL_BDNS_CODE_RULE = "must be a BDNS code: 1–10 digits written without leading zeros, not 0";
export const DOCUMENT_ID_RULE = "must be a document id: 1–64 characters of letters, digits, '.', '_' or '-'";
export const RUN_ID_RULE = "must be a run id: 1–128 characters of letters, digits, '.', '_', ':' or '-', not starting with '-'";
export const DATE_RULE = "must be a real calendar date written YYYY-MM-DD";
export const TIMESTAMP_RULE = "must be an ISO 8601 UTC timestamp (e.g. 2026-11-28T10:00:00.000Z)";

// zod/mini: the same engine as zod, ~25× smaller to load; the CLI validates before it ever loads the SDK.
const text = (rule: string) => z.string(rule);
export const bdnsCode = text(CANONICAL_BDNS_CODE_RULE).check(z.regex(/^[1-9]\d{0,9}$/, CANONICAL_BDNS_CODE_RULE));
export const documentId = text(DOCUMENT_ID_RULE).check(z.regex(/^[A-Za-z0-9._-]{1,64}$/, DOCUMENT_ID_RULE));
// Not starting with '-': `--run-id --dry-run` must never read as a run id called "--dry-run".
export const runId = text(RUN_ID_RULE).check(z.regex(/^[A-Za-z0-9._:][A-Za-z0-9._:-]{0,127}$/, RUN_ID_RULE));
export const isoDate = text(DATE_RULE).check(z.refine(isCalendarDate, DATE_RULE));
export const timestamp = text(TIMESTAMP_RULE).check(
  z.refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(s) && !Number.isNaN(Date.parse(s)), TIMESTAMP_RULE),
);

export const DATASET_LIST_RULE = "must be the names of the datasets one request asked for together: 1–64 names of lowercase letters, digits and '-'";
/**
 * `sync all`: the datasets the one request asked for, carried by each of its sync events so that
 * whichever function picks one up first can file the run as all of them. The sender's list, not the
 * receiver's: a name this version does not know is still a dataset that was asked for.
 */
export const requestedDatasets = z
  .array(text(DATASET_LIST_RULE).check(z.regex(/^[a-z][a-z0-9-]{0,63}$/, DATASET_LIST_RULE)), DATASET_LIST_RULE)
  .check(z.minLength(1, DATASET_LIST_RULE), z.maxLength(64, DATASET_LIST_RULE));

/** A code as given (digits, maybe zero-padded) → its canonical form, or undefined if it is not a code. */
export function canonicalBdnsCode(raw: string): string | undefined {
  return typeof raw === "string" ? canonicalCode(raw) : undefined;
}

/**
 * The earliest date a convocatorias sync may ask for. BDNS's public history of convocatorias starts in
 * 2013 (~636k convocatorias since 2013, which is all of them; bdns-sync backfills from the same floor),
 * so an earlier date is a typo (`0000-01-01`, `2103` for `2013`), and would only fan out hundreds of
 * empty 7-day pieces.
 */
export const CONVOCATORIAS_FLOOR = "2013-01-01";
export const FLOOR_RULE = `must not be before ${CONVOCATORIAS_FLOOR}, when BDNS's convocatorias begin`;
export const syncDate = text(DATE_RULE).check(z.refine(isCalendarDate, DATE_RULE), z.refine((s) => s >= CONVOCATORIAS_FLOOR, FLOOR_RULE));

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

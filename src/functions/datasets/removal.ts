/**
 * When a completed fetch may mark rows removed: the copy never shrinks on one answer.
 *
 * The rule, in one sentence: **an empty or incomplete answer removes nothing, and one answer removes
 * at most 10 % of a scope's rows (one row always may go); beyond that, removal waits for a sync with
 * `--allow-removal`.**
 *
 * A scope is what one unit replaces (a catalog, an ámbito, a year, a window piece by registration
 * date, a whole table). A removal is a claim about BDNS ("this row is gone"), and BDNS does answer
 * empty or short by mistake (maintenance, a bad night): the claim is made only when the answer itself
 * is evidence for it. Held back, nothing is marked; the run counts the rows (`removals_held`), records
 * the scope and the reason (`removal_holds`), and `status`/`runs` say so, with the command to force it.
 */
import type { Logger } from "pino";
import { recordRemovalsHeld, recordRows } from "../../metrics/index.js";

/** One answer may remove at most this share of the rows its scope holds... */
export const MAX_REMOVAL_SHARE = 0.1;
/** ...and always this many (a catalog of 5 may lose one entry without anyone vouching for it). */
export const ALWAYS_REMOVABLE = 1;

export type HoldReason = "empty" | "incomplete" | "shrink";

export interface RemovalEvidence {
  /** Rows of the scope not removed before this fetch (those it saw included). */
  live: number;
  /** Of those, the ones this fetch did not return: what removal would mark. */
  missing: number;
  /** Rows the fetch received, repeats included. */
  fetched: number;
  /** Paged answers: how many rows BDNS's first page said the whole answer holds (`totalElements`). */
  announced?: number | undefined;
  /** An operator vouched for the shrink (`sync <dataset> --allow-removal`). */
  allowRemoval: boolean;
}

export type RemovalVerdict = { remove: true } | { remove: false; reason: HoldReason; message: string };

/** How many rows one answer may remove from a scope of `live` rows. */
export function removalAllowance(live: number): number {
  return Math.max(ALWAYS_REMOVABLE, Math.floor(live * MAX_REMOVAL_SHARE));
}

export function removalVerdict(e: RemovalEvidence): RemovalVerdict {
  if (e.missing === 0 || e.allowRemoval) return { remove: true };
  const rows = (n: number) => `${n} row${n === 1 ? "" : "s"}`;
  if (e.fetched === 0) return { remove: false, reason: "empty", message: `BDNS answered empty where ${rows(e.live)} were listed` };
  if (e.announced !== undefined && e.fetched < e.announced) {
    return { remove: false, reason: "incomplete", message: `BDNS announced ${rows(e.announced)} but sent ${e.fetched}: the answer is incomplete` };
  }
  if (e.missing > removalAllowance(e.live)) {
    return { remove: false, reason: "shrink", message: `${rows(e.missing)} of ${e.live} are gone from BDNS's answer: more than one answer may remove (${Math.round(MAX_REMOVAL_SHARE * 100)} %, at least ${ALWAYS_REMOVABLE})` };
  }
  return { remove: true };
}

/** What marking did, for the metrics and the log: removed rows counted; a hold counted, and said with the way to force it. */
export function reportRemoval(log: Pick<Logger, "warn">, dataset: string, unit: string, marked: { removed: number; held: number; hold?: { reason: string; message: string } | undefined }): void {
  recordRows(dataset, "removed", marked.removed);
  if (!marked.hold) return;
  recordRemovalsHeld(dataset, marked.hold.reason, marked.held);
  log.warn({ unit, held: marked.held, reason: marked.hold.reason }, `removal held back: ${marked.hold.message}; nothing marked removed (sync ${dataset} --allow-removal marks them if BDNS really dropped them)`);
}

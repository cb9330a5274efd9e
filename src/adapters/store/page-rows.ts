/**
 * The two shapes a page write passes around: a row ready to store, and what the table held for it.
 * Apart from table-writer.ts so that the totals (which read both) and the writers (which call the
 * totals) do not import each other.
 */
import type { ColumnValue } from "../../datasets/types.js";

/** A row ready to store: its column values (in the declaration's column order), raw JSON and hash. */
export interface PreparedRow {
  values: ColumnValue[];
  raw: string;
  hash: string;
}

/** What the table held for a row (the page writers' lookup). */
export interface Previous {
  hash: string;
  seen: string;
  removed: string | null;
  /** Tables with totals: what the row contributed (the totals' columns as stored: t0, t1, …). */
  [totalsColumn: `t${number}`]: ColumnValue;
  /** The indexed declared columns as stored (i0, i1, …): a touch leaves them as they are. */
  [indexedColumn: `i${number}`]: ColumnValue;
}

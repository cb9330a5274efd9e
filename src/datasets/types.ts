/**
 * What a BDNS dataset is, as data. One declaration per dataset (src/datasets/<name>.ts); everything
 * else — the event contract, the CLI's `sync <name>`, `datasets`, the batch route, the Inngest
 * function, the counters, docs/datasets.md's table — is generated from these declarations by one engine.
 *
 * Declarations are pure: no I/O, no SDK, no database. Their schemas are zod/mini, like the contracts,
 * so the CLI can list and validate datasets without loading anything heavy.
 */
import type * as z from "zod/mini";

/**
 * SQL column types the tables use. `date` (`YYYY-MM-DD`) is PostgreSQL's date and ISO text on SQLite;
 * `numeric` (amounts) PostgreSQL's exact numeric and SQLite's real; the store reads both back as the
 * same strings and numbers (adapters/store/db.ts).
 */
export type ColumnType = "text" | "integer" | "bigint" | "numeric" | "date";

export type ColumnValue = string | number | null;

/** What a row's columns may depend on besides the row itself: where it came from. */
export interface RowContext {
  /** The feed's id (e.g. `reglamentos`). */
  feed: string;
  /** The sweep value this request was made for (e.g. ámbito `C`, year `2024`), if any. */
  sweep?: string;
  /** Trees: the parent node's id (null for a root) and the depth (0 for a root). */
  parentId?: number | null;
  level?: number;
}

export interface Column<Row> {
  type: ColumnType;
  value: (row: Row, ctx: RowContext) => ColumnValue;
  /** Indexed for the portal's queries (the key columns always are). */
  index?: boolean;
}

/** One table: what a row becomes. Every table also gets raw_json, content_hash and the seen/changed/removed times. */
export interface TableDeclaration<Row = Record<string, unknown>> {
  name: string;
  /** Lenient: unknown fields are kept, "" means null, numbers may come as strings. */
  row: z.ZodMiniType<Row>;
  /** The natural key, as column names (its primary key). */
  key: readonly string[];
  columns: Record<string, Column<Row>>;
  /**
   * Rows that come from one request (one sweep value) and are replaced as a whole by it: the column
   * values that select them. A full-replace feed marks as removed, in its scope, what its completed
   * fetch no longer returned.
   */
  scope?: (ctx: RowContext) => Record<string, ColumnValue>;
  /** Windowed feeds: the column holding the row's own registration date (removal is by it). */
  registrationDate?: string;
  /**
   * Noise to take out before hashing (the raw JSON keeps what BDNS sent): names BDNS re-spells for
   * the same person, lists it returns shuffled. Keys and arrays are sorted and `advertencia` dropped
   * for every table; this is what is particular to the table.
   */
  normalise?: (row: Row) => unknown;
  /** Totals tables the page writes keep in step with the rows (concesiones: per beneficiary, per convocatoria). */
  totals?: readonly TotalsDeclaration[];
}

/**
 * Per `by` and year of `date` (its `ejercicio`), the rows not removed: how many (`count`), the sums of
 * `sums`, and `carry` as the latest row written has them. Written in the transaction of every page and
 * every removal (adapters/store/totals.ts).
 */
export interface TotalsDeclaration {
  table: string;
  by: string;
  date: string;
  count: string;
  sums: readonly string[];
  carry: readonly string[];
}

export type Sweep =
  /** One request per value. */
  | { param: string; values: readonly string[] }
  /** One request per value that another request lists first (e.g. the years of /grandesbeneficiarios/anios). */
  | { param: string; discover: { path: string; value: (item: unknown) => string } };

/** One endpoint (and its sweep), feeding one table. */
export interface Feed<Row = Record<string, unknown>> {
  id: string;
  path: string;
  sweep?: Sweep;
  /** `list`: a JSON array (204 = empty); `tree`: an array of nodes with `children`; `page`: a Spring page. */
  answer: "list" | "tree" | "page";
  /** Paged feeds: an explicit order from the endpoint's own enum, so paging is stable. */
  order?: { order: string; direccion: "asc" | "desc" };
  /** Windowed feeds: registration dates, `fechaRegInicio` inclusive and `fechaRegFin` exclusive. */
  window?: { fromParam: string; toParam: string; toExclusive: boolean };
  table: TableDeclaration<Row>;
}

/**
 * A follow-up request per row (planes estratégicos: each plan's detail, then its documents), fanned
 * out as events like convocatorias' details.
 */
export interface DetailsDeclaration {
  /** The feed whose rows get a detail. */
  feed: string;
  /** The row's id, as the detail request wants it. */
  id: (row: Record<string, unknown>) => string;
  /** The detail request: path and the parameter carrying the id. */
  path: string;
  param: string;
  /** Typed columns the detail fills on its row (besides detail_json, detail_hash, detail_fetched_at). */
  columns?: Record<string, (detail: Record<string, unknown>) => ColumnValue>;
  /** The detail's documents: their list in the detail, and the download endpoint. */
  documents?: { list: (detail: Record<string, unknown>) => Array<{ id: string; name: string | null }>; path: string; param: string };
}

export interface DatasetDeclaration {
  /** CLI name and event prefix: `<name>/sync.requested`. Lower case, words joined by `-`. */
  name: string;
  /** As the seed's list of pending jobs names it. */
  title: string;
  /** One line for `datasets` and docs/datasets.md. */
  summary: string;
  /** `full`: every sync fetches everything and replaces it; `windowed`: by registration date. */
  strategy: "full" | "windowed";
  /** Windowed: the first day with data (a sync never asks for earlier). */
  floor?: string;
  /** Windowed: days per piece (≤ 7: BDNS fails intermittently on longer ranges). */
  pieceDays?: number;
  /** Rough size, for operators and docs/datasets.md. */
  volume: string;
  feeds: readonly Feed<any>[];
  details?: DetailsDeclaration;
}

/**
 * A run's state, from what the store knows: the one module that says what a run is doing, whether it is
 * done and how it ended. `runs`, `status`, `retry`, `--wait` and serve's /api/runs all read it from here,
 * so the JSON is the same whichever way the CLI reads it (the store directly, or a server).
 *
 * A run is one runId: one sync_runs row per dataset it touched (`sync all` is one run over every
 * dataset), and the run_items its functions filed (pieces, details, documents, refused records).
 *
 * - A dataset is **done** when its row has finished its own work and every item it filed reached an
 *   outcome (stored / unchanged / failed for good): nothing queued, nothing failing (between attempts).
 *   A row's own work: a sync row (kind `sync`) is running until its pieces are all fetched and fanned
 *   out, or it failed; a row a direct request started (kind `detail`/`document`, or `retry`) has no work
 *   of its own, but is not done before it filed at least one item (it was picked up, nothing recorded
 *   yet). The functions file every item before the item that fanned it out is marked done, so "every
 *   item has an outcome" never holds while work is still to be requested.
 * - `sync all` is every dataset it asked for from the first pick-up: each of its sync events names them
 *   all, and the first function to run files the others as `requested` (not done: not even started).
 * - A run is **pending** when the store knows nothing of its runId (no function picked it up yet, or
 *   the id is wrong), **running** until every dataset is done, then **succeeded**, or **failed** when any
 *   item, or any dataset's row, failed for good.
 *
 * What no function has picked up yet is invisible to the store: a `detail 1 2 3` whose first code is
 * done reads as done until 2 and 3 appear. `--wait` knows what it sent, and adds it (expectations.ts).
 */
import type { ItemState } from "../adapters/store/schema.js";
import type { ItemGroup, ItemRow, RunQueries, RunRow } from "../adapters/store/run-queries.js";

export type RunStateName = "pending" | "running" | "succeeded" | "failed";

export interface ItemCounts {
  queued: number;
  failing: number;
  stored: number;
  unchanged: number;
  failed: number;
  total: number;
}

/** sync_runs' counters (rows listed or fetched, what storing them did, detail events queued, documents). */
export interface Counters {
  listed: number;
  fetched: number;
  queued: number;
  new: number;
  changed: number;
  unchanged: number;
  removed: number;
  failed: number;
  documentsStored: number;
  /** Rows a completed fetch no longer returned but did not mark removed (the removal rule held them back). */
  removalsHeld: number;
}

export interface DatasetState {
  dataset: string;
  /** What started this dataset's row: sync, detail, document, retry (null: items but no row). */
  kind: string | null;
  /**
   * The row's status: requested (`sync all`: asked for, not picked up yet), running, succeeded, failed. A sync
   * row's is its own work's (succeeded: its pieces are done, its items may still be going); a row a direct
   * request started (detail, document, retry) has no work of its own, so its status is its items' (= state).
   */
  status: string | null;
  state: RunStateName;
  done: boolean;
  window: { from: string; to: string } | null;
  startedAt: string | null;
  finishedAt: string | null;
  pieces: { total: number; done: number };
  counters: Counters;
  /** Its items by state, and by kind (piece, detail, document, record, sync) and state. */
  items: ItemCounts;
  itemsByKind: Record<string, ItemCounts>;
  /** Items between attempts: how many, the highest attempt so far (of how many), the next one due. */
  failing: { count: number; maxAttempt: number | null; maxAttempts: number | null; nextAttemptAt: string | null };
}

export interface RunSummary {
  runId: string;
  state: RunStateName;
  done: boolean;
  /** The run this one re-requested the failures of (`ayida-jobs retry`), and the runs that retried it. */
  retryOf: string | null;
  retries: string[];
  startedAt: string | null;
  /** When done: the last thing that happened in it. */
  finishedAt: string | null;
  /** Started to finished, or to `asOf` while it runs. */
  durationMs: number | null;
  /** When this was read. */
  asOf: string;
  datasets: DatasetState[];
  totals: { pieces: { total: number; done: number }; counters: Counters; items: ItemCounts };
  /** What an operator should know though nothing failed: removals held back, and how to force them. */
  warnings: string[];
}

/** A scope whose removal the run held back: which unit, how many rows, of how many, and why. */
export interface HeldRemoval {
  dataset: string;
  unit: string;
  rows: number;
  of: number;
  reason: string;
  message: string;
  at: string;
}

export interface FailingItem {
  dataset: string;
  kind: string;
  item: string;
  attempt: number;
  maxAttempts: number | null;
  failure: string | null;
  reason: string | null;
  /** null: that was the last attempt; the failure is being recorded. */
  nextAttemptAt: string | null;
  updatedAt: string;
}

export interface FailedItem {
  dataset: string;
  kind: string;
  item: string;
  bdns: string | null;
  documentId: string | null;
  failure: string | null;
  reason: string | null;
  at: string;
}

/** The kinds of work a sent event asks the store to show (expectations.ts). */
export type ExpectedKind = "sync" | "piece" | "detail" | "document";

/** What `--wait` sent and the store has not seen yet. */
export interface Awaiting {
  dataset: string;
  kind: ExpectedKind;
  expected: number;
  seen: number;
}

export interface RunState extends RunSummary {
  /** Items failing now (between attempts), the next due first; at most the limit asked for. */
  failing: FailingItem[];
  failingOmitted: number;
  /** Items failed for good; at most the limit asked for. */
  failures: FailedItem[];
  failuresOmitted: number;
  /** Scopes whose removal was held back (the removal rule), each with its reason. */
  heldRemovals: HeldRemoval[];
  /** Only from `--wait`: what it sent that no function has picked up yet. */
  awaiting?: Awaiting[];
}

export const DEFAULT_LIST_LIMIT = 100;
/** The most a request may ask to be listed (retry reads up to this many failures). */
export const MAX_LIST_LIMIT = 100_000;

/** One run, whole: every dataset, counts, failures and what is failing now. */
export function readRunState(q: RunQueries, runId: string, o: { failures?: number; failing?: number; now?: Date } = {}): Promise<RunState> {
  return q.snapshot((s) => readRunStateNow(s, runId, o));
}

async function readRunStateNow(q: RunQueries, runId: string, o: { failures?: number; failing?: number; now?: Date }): Promise<RunState> {
  const [rows, groups, retries] = await Promise.all([q.rows([runId]), q.itemGroups([runId]), q.retriesOf([runId])]);
  const summary = summarize(runId, rows, groups, retries.map((r) => r.run_id), o.now ?? new Date());
  const failuresLimit = o.failures ?? DEFAULT_LIST_LIMIT;
  const failingLimit = o.failing ?? DEFAULT_LIST_LIMIT;
  const [failed, failing, held] = await Promise.all([
    summary.totals.items.failed > 0 ? q.items(runId, "failed", failuresLimit) : Promise.resolve([]),
    summary.totals.items.failing > 0 ? q.items(runId, "failing", failingLimit) : Promise.resolve([]),
    // Asked only when the counter says so: a store from before the table (migration 0006) has none.
    summary.totals.counters.removalsHeld > 0 ? q.removalHolds(runId) : Promise.resolve([]),
  ]);
  return {
    ...summary,
    failing: failing.map(failingItem),
    failingOmitted: Math.max(0, summary.totals.items.failing - failing.length),
    failures: failed.map(failedItem),
    failuresOmitted: Math.max(0, summary.totals.items.failed - failed.length),
    heldRemovals: held.map((h) => ({ dataset: h.dataset, unit: h.unit, rows: Number(h.held), of: Number(h.live), reason: h.reason, message: h.message, at: h.at })),
  };
}

/** The newest runs first (optionally those that touched `dataset`), each summarized. */
export function listRuns(q: RunQueries, o: { limit: number; dataset?: string | undefined; now?: Date }): Promise<RunSummary[]> {
  return q.snapshot((s) => listRunsNow(s, o));
}

async function listRunsNow(q: RunQueries, o: { limit: number; dataset?: string | undefined; now?: Date }): Promise<RunSummary[]> {
  const ids = await q.recentRunIds(o);
  if (ids.length === 0) return [];
  const [rows, groups, retries] = await Promise.all([q.rows(ids), q.itemGroups(ids), q.retriesOf(ids)]);
  const now = o.now ?? new Date();
  return ids.map((id) =>
    summarize(
      id,
      rows.filter((r) => r.run_id === id),
      groups.filter((g) => g.run_id === id),
      retries.filter((r) => r.retry_of === id).map((r) => r.run_id),
      now,
    ),
  );
}

/** A run's state from its rows and its items' counts. Pure: the tests feed it rows directly too. */
export function summarize(runId: string, rows: readonly RunRow[], groups: readonly ItemGroup[], retries: readonly string[], now: Date): RunSummary {
  const names = [...new Set([...rows.map((r) => r.dataset), ...groups.map((g) => g.dataset)])];
  // convocatorias first (it leads `sync all`), then by name.
  names.sort((a, b) => (a === "convocatorias" ? -1 : b === "convocatorias" ? 1 : a < b ? -1 : a > b ? 1 : 0));
  const datasets = names.map((name) => datasetState(rows.find((r) => r.dataset === name), groups.filter((g) => g.dataset === name), name));
  const asOf = now.toISOString();
  const items = sumItems(datasets.map((d) => d.items));
  const counters = sumCounters(datasets.map((d) => d.counters));
  const pieces = { total: sum(datasets.map((d) => d.pieces.total)), done: sum(datasets.map((d) => d.pieces.done)) };
  const startedAt = earliest([...rows.map((r) => r.started_at)]);
  if (datasets.length === 0) {
    return { runId, state: "pending", done: false, retryOf: null, retries: [...retries], startedAt: null, finishedAt: null, durationMs: null, asOf, datasets, totals: { pieces, counters, items }, warnings: [] };
  }
  const done = datasets.every((d) => d.done);
  const failed = datasets.some((d) => d.state === "failed");
  const finishedAt = done ? latest([...rows.flatMap((r) => [r.finished_at, r.started_at]), ...groups.map((g) => g.last_update)]) : null;
  const start = startedAt ?? earliest(groups.map((g) => g.last_update));
  const end = finishedAt ?? asOf;
  return {
    runId,
    state: done ? (failed ? "failed" : "succeeded") : "running",
    done,
    retryOf: rows.map((r) => r.retry_of).find((r): r is string => Boolean(r)) ?? null,
    retries: [...retries],
    startedAt: start,
    finishedAt,
    durationMs: start ? Math.max(0, Date.parse(end) - Date.parse(start)) : null,
    asOf,
    datasets,
    totals: { pieces, counters, items },
    warnings: warningsOf(datasets),
  };
}

/** One line per dataset whose removals were held back: how many rows, why in general, how to force it. */
function warningsOf(datasets: readonly DatasetState[]): string[] {
  return datasets
    .filter((d) => d.counters.removalsHeld > 0)
    .map((d) => {
      const rows = d.counters.removalsHeld;
      return `${d.dataset}: ${rows.toLocaleString("en-US")} row${rows === 1 ? "" : "s"} not marked removed: BDNS's answer was empty, incomplete or shrank by more than one answer may remove; if BDNS really dropped them, \`ayida-jobs sync ${d.dataset} --allow-removal\` marks them`;
    });
}

function datasetState(row: RunRow | undefined, groups: readonly ItemGroup[], dataset: string): DatasetState {
  const items = countItems(groups);
  const itemsByKind: Record<string, ItemCounts> = {};
  for (const kind of [...new Set(groups.map((g) => g.kind))].sort()) itemsByKind[kind] = countItems(groups.filter((g) => g.kind === kind));
  const failingGroups = groups.filter((g) => g.state === "failing");
  const kind = row?.kind ?? null;
  const status = row?.status ?? null;
  const itemsSettled = items.queued === 0 && items.failing === 0;
  // A sync row works until its pieces are done (or it failed) — one filed as `requested` by another
  // dataset of the same `sync all` has not even started; any other row is done with its items, once it
  // has filed at least one.
  const done = kind === "sync" ? (status === "succeeded" || status === "failed") && itemsSettled : items.total > 0 && itemsSettled;
  const failed = items.failed > 0 || status === "failed";
  const state: RunStateName = done ? (failed ? "failed" : "succeeded") : "running";
  // A row without work of its own is never finished by a function (it is filed "running" and stays
  // so): it ends with its items, so its status and end are theirs.
  const ownWork = kind === "sync" || row === undefined;
  return {
    dataset,
    kind,
    status: ownWork || status === "failed" || status === "requested" ? status : state,
    state,
    done,
    window: row?.window_from && row.window_to ? { from: row.window_from, to: row.window_to } : null,
    startedAt: row?.started_at ?? null,
    finishedAt: row?.finished_at ?? (done && !ownWork ? latest(groups.map((g) => g.last_update)) : null),
    pieces: { total: Number(row?.pieces ?? 0), done: Number(row?.pieces_done ?? 0) },
    counters: {
      listed: Number(row?.listed ?? 0),
      fetched: Number(row?.fetched ?? 0),
      queued: Number(row?.queued ?? 0),
      new: Number(row?.new ?? 0),
      changed: Number(row?.changed ?? 0),
      unchanged: Number(row?.unchanged ?? 0),
      removed: Number(row?.removed ?? 0),
      failed: Number(row?.failed ?? 0),
      documentsStored: Number(row?.documents_stored ?? 0),
      removalsHeld: Number(row?.removals_held ?? 0),
    },
    items,
    itemsByKind,
    failing: {
      count: items.failing,
      maxAttempt: maxOf(failingGroups.map((g) => g.max_attempt)),
      maxAttempts: maxOf(failingGroups.map((g) => g.max_attempts)),
      nextAttemptAt: earliest(failingGroups.map((g) => g.next_attempt_at)),
    },
  };
}

// --- helpers ---------------------------------------------------------------------------------------

function countItems(groups: readonly ItemGroup[]): ItemCounts {
  const c: ItemCounts = { queued: 0, failing: 0, stored: 0, unchanged: 0, failed: 0, total: 0 };
  for (const g of groups) {
    if (g.state in c) c[g.state as ItemState] += g.n;
    c.total += g.n;
  }
  return c;
}

function sumItems(list: readonly ItemCounts[]): ItemCounts {
  const c: ItemCounts = { queued: 0, failing: 0, stored: 0, unchanged: 0, failed: 0, total: 0 };
  for (const x of list) for (const k of Object.keys(c) as Array<keyof ItemCounts>) c[k] += x[k];
  return c;
}

function sumCounters(list: readonly Counters[]): Counters {
  const c: Counters = { listed: 0, fetched: 0, queued: 0, new: 0, changed: 0, unchanged: 0, removed: 0, failed: 0, documentsStored: 0, removalsHeld: 0 };
  for (const x of list) for (const k of Object.keys(c) as Array<keyof Counters>) c[k] += x[k];
  return c;
}

function failingItem(r: ItemRow): FailingItem {
  return { dataset: r.dataset, kind: r.kind, item: r.item, attempt: r.attempt, maxAttempts: r.max_attempts, failure: r.failure, reason: r.reason, nextAttemptAt: r.next_attempt_at, updatedAt: r.updated_at };
}

function failedItem(r: ItemRow): FailedItem {
  return { dataset: r.dataset, kind: r.kind, item: r.item, bdns: r.bdns, documentId: r.document_id, failure: r.failure, reason: r.reason, at: r.updated_at };
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const present = (xs: ReadonlyArray<string | null | undefined>) => xs.filter((x): x is string => Boolean(x)).sort();
const earliest = (xs: ReadonlyArray<string | null | undefined>) => present(xs)[0] ?? null;
const latest = (xs: ReadonlyArray<string | null | undefined>) => present(xs).at(-1) ?? null;
function maxOf(xs: ReadonlyArray<number | null>): number | null {
  const n = xs.filter((x): x is number => x !== null);
  return n.length ? Math.max(...n) : null;
}

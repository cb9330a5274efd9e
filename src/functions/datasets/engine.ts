/**
 * The dataset engine: one Inngest function per declared dataset (`sync-<name>`), triggered by its
 * request and by its own fan-out.
 *
 * On `<name>/sync.requested` it works out the units (feeds × sweep values × window pieces; sweeps that
 * BDNS lists first are discovered in a step of their own) and records the run. A single unit is done
 * in the same run; more fan out one `<name>/sync.piece.requested` each, so a unit is retried, failed
 * and counted on its own, and one failing sweep value never stops the others.
 *
 * A unit: one step per page (or per request) that fetches, checks, stores the page in one transaction
 * and returns only counts (never payloads: Inngest's step and run size limits). When every page has
 * arrived, a last step marks removed what the unit no longer returned — only then, only when no
 * record of it was refused (a partial fetch removes nothing), and only as far as the removal rule
 * allows (./removal.ts: an empty, incomplete or sharply shrunken answer is held back, and said so).
 */
import type { GetStepTools } from "inngest";
import type { Store, WorkItem } from "../../adapters/store/store.js";
import { datasetPayload, datasetEventName, type DatasetEventPayload, type DatasetSyncData, type DatasetPieceData } from "../../contracts/dataset-events.js";
import { datasetEventTypes, toSdkDatasetEvent } from "../../contracts/dataset-event-types.js";
import type { DatasetDeclaration } from "../../datasets/types.js";
import type { AyidaInngest } from "../../config/client.js";
import { ANALYZE_AFTER_ROWS, type JobDeps } from "../deps.js";
import { mapJobErrors, recordRunFailure } from "../errors.js";
import { DATASET_FLOW, FAN_OUT_CHUNK } from "../flow.js";
import { resolveWindow, splitWindow, type Window } from "../../contracts/window.js";
import { readAnswer } from "./rows.js";
import { feedOf, unitKey, unitParams, unitsOf, type Unit } from "./units.js";
import { recordRowCounts } from "../../metrics/index.js";
import { fileRequestedDatasets } from "../sync-all.js";
import { removalVerdict, reportRemoval } from "./removal.js";

type Step = GetStepTools<AyidaInngest>;
type Tries = { attempt: number; maxAttempts: number };

export const datasetFunctionId = (d: Pick<DatasetDeclaration, "name">) => `sync-${d.name}`;

/** The work item a unit is filed under in run_items. */
export const unitItem = (d: Pick<DatasetDeclaration, "name">, u: Unit): WorkItem => ({ dataset: d.name, kind: "piece", key: unitKey(u) });

/** The request's window and pieces (windowed datasets), from the event alone. */
function windowOf(d: DatasetDeclaration, data: Pick<DatasetSyncData, "from" | "to" | "timestamp">): { window?: Window; pieces: Window[] } {
  if (d.strategy !== "windowed") return { pieces: [] };
  // From the request's own timestamp, not the clock: the handler re-runs for every step.
  const w = resolveWindow(data, new Date(data.timestamp));
  // `sync all` checks its window against the earliest floor; each dataset starts at its own. A window
  // wholly before this dataset's floor holds none of its data: nothing to fetch (not its floor's day).
  if (d.floor && w.to < d.floor) return { window: w, pieces: [] };
  const window = d.floor && w.from < d.floor ? { from: d.floor, to: w.to } : w;
  return { window, pieces: splitWindow(window, d.pieceDays) };
}

/** The one unit a request is, when it is one without asking BDNS (no discovered sweep). */
function inlineUnit(d: DatasetDeclaration, data: DatasetSyncData): Unit | undefined {
  if (d.feeds.some((f) => f.sweep && "discover" in f.sweep)) return undefined;
  const units = unitsOf(d, {}, windowOf(d, data).pieces);
  return units.length === 1 ? units[0] : undefined;
}

/** The item a failed run was working on, from its original event, as the handler sees it. */
export function failedItem(d: DatasetDeclaration) {
  return (data: DatasetSyncData | DatasetPieceData): WorkItem => {
    if ("feed" in data && data.feed) return unitItem(d, pieceUnit(data));
    const unit = inlineUnit(d, data as DatasetSyncData);
    return unit ? unitItem(d, unit) : { dataset: d.name, kind: "sync", key: "" };
  };
}

function pieceUnit(data: DatasetPieceData): Unit {
  return { feed: data.feed, ...(data.sweep !== undefined && { sweep: data.sweep }), ...(data.from && { from: data.from, to: data.to }) };
}

export function createDatasetFunction(inngest: AyidaInngest, deps: JobDeps, d: DatasetDeclaration) {
  const types = datasetEventTypes(d);
  const id = datasetFunctionId(d);
  const maxAttempts = DATASET_FLOW.retries + 1;
  return inngest.createFunction(
    { id, name: `sync ${d.title}`, triggers: [types.sync, types.piece], ...DATASET_FLOW, onFailure: recordRunFailure(deps, id, "sync", failedItem(d)) },
    async ({ event, step, runId: inngestRunId, attempt }) => {
      const log = deps.logger.child({ jobName: id, runId: event.data.runId, inngestRunId, dataset: d.name });
      const tries = { attempt, maxAttempts };
      if (event.name === datasetEventName(d, "piece")) {
        const data = event.data as DatasetPieceData;
        // A unit re-requested by `ayida-jobs retry` comes under a new runId that no sync request started.
        if (data.retryOf) await step.run("record-retry", async () => (await deps.store()).ensureRun(data.runId, "retry", { retryOf: data.retryOf }, d.name));
        return runUnit(step, deps, d, pieceUnit(data), data, tries, log);
      }

      const data = event.data as DatasetSyncData;
      const { runId, timestamp, full, allowRemoval } = data;
      const { window, pieces } = windowOf(d, data);
      await fileRequestedDatasets(step, deps, data);
      const discovered: Record<string, string[]> = {};
      for (const feed of d.feeds) {
        if (!feed.sweep || !("discover" in feed.sweep)) continue;
        const { path, value } = feed.sweep.discover;
        discovered[feed.id] = await step.run(`discover ${feed.id}`, async () => {
          return mapJobErrors(deps, { runId, item: { dataset: d.name, kind: "sync", key: "" }, ...tries }, async () => {
            const list = await deps.bdns.for({ kind: "page", run: runId }).fetchJson(path);
            return (Array.isArray(list) ? list : []).map(value);
          });
        });
      }
      const units = unitsOf(d, discovered, pieces);

      await step.run("record-run", async () => {
        const store = await deps.store();
        await store.ensureRun(runId, "sync", { ...window, retryOf: data.retryOf }, d.name);
        await store.setPieces(runId, units.length, d.name);
        // Nothing to fetch (a sweep BDNS listed empty): the run's own work is done now.
        if (units.length === 0) await store.finishRun(runId, "succeeded", d.name);
        log.info({ window, units: units.length, full: Boolean(full), allowRemoval: Boolean(allowRemoval) }, "sync requested");
      });

      if (units.length === 1 && inlineUnit(d, data)) return runUnit(step, deps, d, units[0]!, data, tries, log);

      const events = units.map((u) => datasetPayload(d, "piece", { runId, timestamp, ...(full && { full }), ...(allowRemoval && { allowRemoval }), feed: u.feed, ...(u.sweep !== undefined && { sweep: u.sweep }), ...(u.from && { from: u.from, to: u.to! }) }));
      await sendInChunks(step, d, "piece", "fan-out-pieces", events);
      await step.run("queue-pieces", async () => (await deps.store()).queueItems(runId, units.map((u) => unitItem(d, u))));
      return { dataset: d.name, window, units: units.length };
    },
  );
}

interface PageResult {
  since: string;
  totalPages: number;
  fetched: number;
  new: number;
  changed: number;
  unchanged: number;
  repeated: number;
  refused: number;
  /** Pages: the rows the whole answer holds, as this page says. */
  announced?: number | undefined;
  /** Rows that need their detail fetched (datasets with details). */
  details: string[];
}

async function runUnit(step: Step, deps: JobDeps, d: DatasetDeclaration, unit: Unit, req: { runId: string; timestamp: string; full?: boolean | undefined; allowRemoval?: boolean | undefined }, tries: Tries, log: JobDeps["logger"]) {
  const { runId, timestamp } = req;
  const feed = feedOf(d, unit);
  const key = unitKey(unit);
  const item = unitItem(d, unit);
  const withDetails = d.details?.feed === feed.id;
  const totals = { fetched: 0, new: 0, changed: 0, unchanged: 0, repeated: 0, refused: 0, details: 0 };
  let since: string | undefined;
  /** What the first page said the whole answer holds (paged feeds). */
  let announced: number | undefined;

  for (let page = 0, totalPages = 1; page < totalPages; page++) {
    const r: PageResult = await step.run(`${key} page ${page}`, async () => {
      const store = await deps.store();
      return mapJobErrors(deps, { runId, item, ...tries }, async () => {
        // Everything this unit stores is seen at or after `since`: what was not, it no longer returns.
        const startedAt = since ?? new Date().toISOString();
        const body = await deps.bdns.for({ kind: "page", run: runId }).fetchJson(feed.path, unitParams(feed, unit, page, deps.pageSize), { page: feed.answer === "page" });
        const answer = readAnswer(feed, body, { feed: feed.id, ...(unit.sweep !== undefined && { sweep: unit.sweep }) }, feed.path);
        for (const refused of answer.refused) {
          await store.recordFailure(runId, { dataset: d.name, kind: "record", key: `${key} page ${page} ${refused.at}` }, { failure: "BROKEN_RECORD", reason: refused.reason });
        }
        const counts = await store.tables.of(feed.table).writePage(answer.rows, { runId, dataset: d.name, now: new Date().toISOString(), since: startedAt });
        recordRowCounts(d.name, { ...counts, refused: answer.refused.length }); // metrics
        const details = withDetails ? await detailsToFetch(store, d, answer.rows.map((row) => row.values), feed.table.key[0]!, Boolean(req.full), Object.keys(feed.table.columns)) : [];
        log.info({ unit: key, page, totalPages: answer.totalPages, ...counts, refused: answer.refused.length }, "page stored");
        return { since: startedAt, totalPages: answer.totalPages, ...counts, refused: answer.refused.length, ...(answer.totalElements !== undefined && { announced: answer.totalElements }), details };
      });
    });
    since = r.since;
    totalPages = r.totalPages;
    if (page === 0) announced = r.announced;
    for (const k of ["fetched", "new", "changed", "unchanged", "repeated", "refused"] as const) totals[k] += r[k];
    if (r.details.length > 0) {
      const events = r.details.map((id) => datasetPayload(d, "detail", { id, runId, timestamp }));
      await sendInChunks(step, d, "detail", `fan-out-details ${key} page ${page}`, events);
      await step.run(`queue-details ${key} page ${page}`, async () => (await deps.store()).queueItems(runId, r.details.map((id) => ({ dataset: d.name, kind: "detail", key: id }))));
      totals.details += r.details.length;
    }
  }

  const done = await step.run(`${key} complete`, async () => {
    const store = await deps.store();
    // A refused record might be a row that still exists: removing by absence would be wrong.
    const complete = totals.refused === 0;
    const evidence = { fetched: totals.fetched, announced, allowRemoval: Boolean(req.allowRemoval) };
    const marked = complete && since ? await store.tables.of(feed.table).markRemoved(removalScope(feed, unit), { runId, dataset: d.name, unit: key, now: new Date().toISOString(), since }, (c) => removalVerdict({ ...c, ...evidence })) : { removed: 0, held: 0 };
    reportRemoval(log, d.name, key, marked); // metrics, and a hold's warning
    // Once: a retry after this committed must not count the unit's details or its piece again (a
    // second pieces_done would call the sync done before its last unit). The removal above is
    // idempotent by itself (a second pass finds nothing unmarked, a hold is recorded once).
    const progress = await store.once(runId, d.name, `${key} complete`, async (tx) => {
      if (totals.details > 0) await tx.count(runId, "queued", totals.details, d.name);
      await tx.itemDone(runId, item, "stored");
      return tx.completePiece(runId, d.name);
    });
    log.info({ unit: key, ...totals, removed: marked.removed, removalsHeld: marked.held, removalSkipped: !complete, piecesDone: progress.done, pieces: progress.of }, "unit done");
    return { removed: marked.removed, removalsHeld: marked.held, ...progress };
  });
  if (done.done === done.of) await refreshStatsAfterRun(step, deps, runId, d.name, tablesOf(d), log);
  return { dataset: d.name, unit: key, ...totals, removed: done.removed, removalsHeld: done.removalsHeld, piecesDone: done.done, pieces: done.of };
}

/** A dataset's tables, its totals tables included: what its syncs write. */
function tablesOf(d: DatasetDeclaration): string[] {
  return [...new Set(d.feeds.flatMap((f) => [f.table.name, ...(f.table.totals ?? []).map((t) => t.table)]))];
}

/**
 * The run's last unit is done: if the run stored many rows, the planner's statistics of its tables are
 * refreshed (a step of its own: a failure here retries this, not the unit's counters).
 */
export async function refreshStatsAfterRun(step: Step, deps: JobDeps, runId: string, dataset: string, tables: readonly string[], log: JobDeps["logger"]): Promise<void> {
  await step.run("refresh planner statistics", async () => {
    const store = await deps.store();
    const t0 = Date.now();
    if (await store.refreshPlannerStatsAfterRun(runId, dataset, tables, deps.analyzeAfterRows ?? ANALYZE_AFTER_ROWS)) log.info({ dataset, tables, ms: Date.now() - t0 }, "planner statistics refreshed");
  });
}

/** What a completed unit's absence means: its sweep value's rows, or its window's by their own date. */
function removalScope(feed: DatasetDeclaration["feeds"][number], unit: Unit) {
  const equals = feed.table.scope?.({ feed: feed.id, ...(unit.sweep !== undefined && { sweep: unit.sweep }) }) ?? {};
  if (feed.window && feed.table.registrationDate && unit.from && unit.to) return { equals, dateRange: { column: feed.table.registrationDate, from: unit.from, to: unit.to } };
  return { equals };
}

/** New rows and rows whose detail never arrived; every row with `full`. */
async function detailsToFetch(store: Store, d: DatasetDeclaration, values: Array<Array<string | number | null>>, keyColumn: string, full: boolean, columns: string[]): Promise<string[]> {
  const at = columns.indexOf(keyColumn);
  const keys = values.map((v) => v[at] ?? null).filter((k): k is string | number => k !== null);
  const table = d.feeds.find((f) => f.id === d.details!.feed)!.table;
  const wanted = full ? keys : await store.tables.of(table).keysWithNull("detail_hash", keys);
  return [...new Set(wanted.map(String))];
}

async function sendInChunks(step: Step, d: DatasetDeclaration, kind: "piece" | "detail" | "document", id: string, events: DatasetEventPayload[]): Promise<void> {
  for (let i = 0; i < events.length; i += FAN_OUT_CHUNK) {
    await step.sendEvent(`${id} #${i / FAN_OUT_CHUNK}`, events.slice(i, i + FAN_OUT_CHUNK).map((e) => toSdkDatasetEvent(d, kind, e)));
  }
}

/**
 * `ayida-jobs retry <runId>`: from the items a run failed for good, the events that re-request them,
 * built by the contracts' own builders (so each is shaped, validated and keyed like any other), under
 * a new run that carries `retryOf` (the functions record it as sync_runs.retry_of).
 *
 * Item → event:
 *   sync      (a request that failed before fanning out)  → <dataset>/sync.requested over the run's window
 *   piece     convocatorias `from..to`                   → convocatorias/sync.piece.requested
 *             a dataset's unit `feed[:sweep][ from..to]` → <dataset>/sync.piece.requested
 *   record    a record BDNS sent that the schema refused → its unit again (one event per unit)
 *   detail    convocatorias `bdns` / a dataset's `id`    → convocatorias/detail.requested / <dataset>/detail.requested
 *   document  `bdns/documentId` / `id/documentId`        → documents/storage.requested / <dataset>/document.requested
 * A dataset whose sync request is re-sent has its pieces and records left out (the sync re-does them).
 * The event ids are the usual ones under the new runId: re-running `retry` with the same `--run-id`
 * sends the same ids, and Inngest drops the repeats.
 */
import { buildDetailRequests, buildDocumentRequest, payload, type RunContext } from "../contracts/build.js";
import { buildSyncRequests } from "../contracts/sync-requests.js";
import { datasetPayload } from "../contracts/dataset-events.js";
import { InvalidInputError } from "../contracts/errors.js";
import { EVENT, type SendableEvent } from "../contracts/schemas.js";
import { findDataset } from "../datasets/index.js";
import type { FailedItem, RunState } from "./state.js";

export interface RetriedItem {
  dataset: string;
  kind: string;
  item: string;
  /** The event that re-requests it (several items can share one: the records of one unit). */
  event: string;
  id: string;
}

export interface SkippedItem {
  dataset: string;
  kind: string;
  item: string;
  reason: string;
}

export interface RetryPlan {
  events: SendableEvent[];
  items: RetriedItem[];
  skipped: SkippedItem[];
}

/** A dataset unit's key (`reglamentos:C`, `busqueda 2026-09-01..2026-09-07`) → its parts (units.ts's unitKey, read back). */
export function parseUnitKey(key: string): { feed: string; sweep?: string; from?: string; to?: string } | undefined {
  const m = /^([A-Za-z0-9._-]+)(?::([A-Za-z0-9._-]+))?(?: (\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2}))?$/.exec(key);
  if (!m) return undefined;
  return { feed: m[1]!, ...(m[2] !== undefined && { sweep: m[2] }), ...(m[3] && { from: m[3], to: m[4]! }) };
}

/** A refused record's key (`<unit> page <n> #<where>`) → its unit's key. */
export function unitOfRecord(key: string): string | undefined {
  return /^(.+) page \d+ #[\d.]+$/.exec(key)?.[1];
}

/**
 * The events that re-request every item of `run.failures` (which must hold them all), under `ctx` (its
 * runId the new run's, its retryOf the failed run's). `full`: re-send syncs and pieces with `full`
 * (the store does not record whether the original sync was a --full one).
 */
export function planRetry(run: Pick<RunState, "failures" | "datasets">, ctx: RunContext, o: { full?: boolean } = {}): RetryPlan {
  const events = new Map<string, SendableEvent>();
  const items: RetriedItem[] = [];
  const skipped: SkippedItem[] = [];
  const full = o.full ? { full: true as const } : {};
  const add = (f: FailedItem, build: () => SendableEvent[]) => {
    let built: SendableEvent[];
    try {
      built = build();
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      skipped.push({ dataset: f.dataset, kind: f.kind, item: f.item, reason: `cannot be re-requested: ${err.message}` });
      return;
    }
    for (const e of built) {
      if (!events.has(e.id)) events.set(e.id, e);
      items.push({ dataset: f.dataset, kind: f.kind, item: f.item, event: e.name, id: e.id });
    }
  };
  const skip = (f: FailedItem, reason: string) => skipped.push({ dataset: f.dataset, kind: f.kind, item: f.item, reason });

  const order = ["sync", "piece", "record", "detail", "document"];
  const failures = [...run.failures].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  const resynced = new Set(failures.filter((f) => f.kind === "sync").map((f) => f.dataset));

  for (const f of failures) {
    const convocatorias = f.dataset === "convocatorias";
    const d = convocatorias ? undefined : findDataset(f.dataset);
    if (!convocatorias && !d) {
      skip(f, `${f.dataset} is not a dataset this version knows`);
      continue;
    }
    switch (f.kind) {
      case "sync": {
        const windowed = convocatorias || d!.strategy === "windowed";
        const window = run.datasets.find((x) => x.dataset === f.dataset)?.window ?? null;
        if (windowed && !window) {
          skip(f, `the request failed before its window was recorded: run \`ayida-jobs sync ${f.dataset} --from YYYY-MM-DD --to YYYY-MM-DD\``);
          break;
        }
        add(f, () => buildSyncRequests({ dataset: f.dataset, ...(windowed && window && { from: window.from, to: window.to }), ...full }, ctx));
        break;
      }
      case "piece":
      case "record": {
        if (resynced.has(f.dataset)) {
          skip(f, `re-done by the ${f.dataset} sync this retry re-sends`);
          break;
        }
        if (convocatorias) {
          // A listing record refused (`from..to page n #i`) is re-read by its piece, as a dataset's is by its unit.
          const m = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec((f.kind === "record" ? unitOfRecord(f.item) : f.item) ?? "");
          if (!m) {
            skip(f, "not a piece of a convocatorias window (from..to)");
            break;
          }
          add(f, () => [payload(EVENT.syncPieceRequested, { ...ctx, from: m[1]!, to: m[2]!, ...full })]);
          break;
        }
        const key = f.kind === "record" ? unitOfRecord(f.item) : f.item;
        const unit = key === undefined ? undefined : parseUnitKey(key);
        if (!unit) {
          skip(f, `not a unit of ${f.dataset} (feed[:sweep][ from..to])`);
          break;
        }
        if (!d!.feeds.some((x) => x.id === unit.feed)) {
          skip(f, `${f.dataset} has no feed ${unit.feed} in this version`);
          break;
        }
        add(f, () => [datasetPayload(d!, "piece", { ...ctx, ...full, feed: unit.feed, ...(unit.sweep !== undefined && { sweep: unit.sweep }), ...(unit.from && { from: unit.from, to: unit.to! }) })]);
        break;
      }
      case "detail":
        if (convocatorias) add(f, () => buildDetailRequests([f.bdns ?? f.item], ctx));
        else if (!d!.details) skip(f, `${f.dataset} has no details`);
        else add(f, () => [datasetPayload(d!, "detail", { ...ctx, id: f.item })]);
        break;
      case "document": {
        const slash = f.item.indexOf("/");
        const parent = f.bdns ?? f.item.slice(0, slash);
        const documentId = f.documentId ?? f.item.slice(slash + 1);
        if (slash < 0 && !(f.bdns && f.documentId)) {
          skip(f, "not a document key (parent/documentId)");
          break;
        }
        if (convocatorias) add(f, () => [buildDocumentRequest(parent, documentId, ctx)]);
        else if (!d!.details?.documents) skip(f, `${f.dataset} has no documents`);
        else add(f, () => [datasetPayload(d!, "document", { ...ctx, id: parent, documentId })]);
        break;
      }
      default:
        skip(f, `items of kind ${f.kind} cannot be re-requested`);
    }
  }
  return { events: [...events.values()], items, skipped };
}

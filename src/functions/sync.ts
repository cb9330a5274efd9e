/**
 * createConvocatoriaJobs (on convocatorias/sync.requested) and its per-piece worker.
 *
 * The window (default: the 7 days ending yesterday) is cut into pieces of ≤ 7 days. A one-piece window
 * is listed in the same run; a longer one (a backfill from 2013 is ~700 pieces) fans out one
 * convocatorias/sync.piece.requested per piece, so no run comes near Inngest's 1,000 steps or 4 MB.
 *
 * Per piece: list every page, upsert the listing rows, then fan out convocatorias/detail.requested
 * (same runId, deterministic id) for each convocatoria that has no stored detail yet — new ones, and
 * ones whose detail fetch never succeeded — or, with `full`, for every listed one.
 * Steps return counts and codes, never payloads.
 */
import type { GetStepTools } from "inngest";
import { workItem, type WorkItem } from "../adapters/store/store.js";
import { buildDetailRequests, payload } from "../contracts/build.js";
import { syncPieceRequested, syncRequested, toSdkEvent } from "../contracts/events.js";
import { EVENT, type EventPayload } from "../contracts/schemas.js";
import type { AyidaInngest } from "../config/client.js";
import type { JobDeps } from "./deps.js";
import { mapJobErrors, recordRunFailure } from "./errors.js";
import { FAN_OUT_CHUNK, SYNC_FLOW, SYNC_PIECE_FLOW } from "./flow.js";
import { resolveWindow, splitWindow, type Window } from "../contracts/window.js";
import { refreshStatsAfterRun } from "./datasets/engine.js";
import { removalVerdict, reportRemoval } from "./datasets/removal.js";
import { fileRequestedDatasets } from "./sync-all.js";

export const SYNC_FUNCTION_ID = "create-convocatoria-jobs";
export const SYNC_PIECE_FUNCTION_ID = "process-sync-piece";

interface PieceRequest extends Window {
  runId: string;
  timestamp: string;
  full?: boolean | undefined;
  allowRemoval?: boolean | undefined;
}

/** The request's window and pieces, from the event alone: the handler and its failure handler agree. */
function plan(data: { from?: string | undefined; to?: string | undefined; timestamp: string }) {
  // From the request's own timestamp, not the clock: the handler re-runs for every step, and a
  // default window computed from "now" could shift between two runs of it across midnight.
  const window = resolveWindow(data, new Date(data.timestamp));
  return { window, pieces: splitWindow(window) };
}

/** A one-piece window is listed by the request's own run, so its item is that piece. */
export const requestItem = (data: { from?: string; to?: string; timestamp: string }): WorkItem => {
  const { pieces } = plan(data);
  return pieces.length === 1 ? workItem.piece(pieces[0]!) : workItem.sync();
};
export const pieceItem = (data: Window) => workItem.piece(data);

export function createConvocatoriaJobs(inngest: AyidaInngest, deps: JobDeps) {
  return inngest.createFunction(
    { id: SYNC_FUNCTION_ID, name: "createConvocatoriaJobs", triggers: [syncRequested], ...SYNC_FLOW, onFailure: recordRunFailure(deps, SYNC_FUNCTION_ID, "sync", requestItem) },
    async ({ event, step, runId: inngestRunId, attempt }) => {
      const { runId, timestamp, full, allowRemoval, retryOf } = event.data;
      const log = deps.logger.child({ jobName: SYNC_FUNCTION_ID, runId, inngestRunId });
      const { window, pieces } = plan(event.data);
      await fileRequestedDatasets(step, deps, event.data);

      await step.run("record-run", async () => {
        const store = await deps.store();
        await store.ensureRun(runId, "sync", { ...window, retryOf });
        await store.setPieces(runId, pieces.length);
        log.info({ window, pieces: pieces.length, full: Boolean(full) }, "sync requested");
      });

      if (pieces.length === 1) return syncPiece(step, deps, { ...pieces[0]!, runId, timestamp, full, allowRemoval }, { attempt, maxAttempts: SYNC_FLOW.retries + 1 }, log);

      const events = pieces.map((p) => payload(EVENT.syncPieceRequested, { runId, timestamp, from: p.from, to: p.to, ...(full && { full }), ...(allowRemoval && { allowRemoval }) }));
      await sendInChunks(step, "fan-out-pieces", events);
      await step.run("queue-pieces", async () => (await deps.store()).queueItems(runId, pieces.map(pieceItem)));
      return { window, pieces: pieces.length };
    },
  );
}

export function processSyncPiece(inngest: AyidaInngest, deps: JobDeps) {
  return inngest.createFunction(
    { id: SYNC_PIECE_FUNCTION_ID, name: "processSyncPiece", triggers: [syncPieceRequested], ...SYNC_PIECE_FLOW, onFailure: recordRunFailure(deps, SYNC_PIECE_FUNCTION_ID, "sync", pieceItem) },
    async ({ event, step, runId: inngestRunId, attempt }) => {
      const log = deps.logger.child({ jobName: SYNC_PIECE_FUNCTION_ID, runId: event.data.runId, inngestRunId });
      // A piece re-requested by `ayida-jobs retry` comes under a new runId that no sync request started.
      const { retryOf } = event.data;
      if (retryOf) await step.run("record-retry", async () => (await deps.store()).ensureRun(event.data.runId, "retry", { retryOf }));
      return syncPiece(step, deps, event.data, { attempt, maxAttempts: SYNC_PIECE_FLOW.retries + 1 }, log);
    },
  );
}

type Step = GetStepTools<AyidaInngest>;
/** A listing page's step result: `since` is when the piece's listing began, `announced` what BDNS said it holds. */
type ListedPage = { since: string; totalPages: number; announced: number; rows: number; refused: number; queue: string[] };
const CONVOCATORIAS = "convocatorias";

async function syncPiece(step: Step, deps: JobDeps, piece: PieceRequest, tries: { attempt: number; maxAttempts: number }, log: JobDeps["logger"]) {
  const { runId, from, to } = piece;
  const item = pieceItem(piece);
  const queue: string[] = [];
  let listed = 0;
  let refused = 0;
  /** When the listing began: what the window held and was not listed since, BDNS no longer lists. */
  let since: string | undefined;
  /** What the first page said the whole listing holds. */
  let announced: number | undefined;
  for (let page = 0, totalPages = 1; page < totalPages; page++) {
    const id = `list ${from}..${to} page ${page}`;
    const r = await step.run(id, async () => {
      const store = await deps.store();
      return mapJobErrors(deps, { runId, item, ...tries }, async () => {
        // Listed and counted by an attempt whose answer was lost: not fetched, not counted again.
        const done = await store.committed<ListedPage>(runId, CONVOCATORIAS, id);
        if (done) return done;
        const startedAt = since ?? new Date().toISOString();
        const res = await deps.bdns.for({ kind: "page", run: runId }).searchConvocatorias({ from, to, page, pageSize: deps.pageSize });
        return store.once(runId, CONVOCATORIAS, id, async (tx): Promise<ListedPage> => {
          // A row that can never be valid is a broken record of its own, recorded now: the rest is stored.
          for (const refused of res.refused) await tx.recordFailure(runId, { kind: "record", key: `${from}..${to} page ${page} ${refused.at}` }, { failure: "BROKEN_RECORD", reason: refused.reason });
          const { withoutDetail } = await tx.upsertListing(res.content, runId);
          await tx.count(runId, "listed", res.content.length);
          log.info({ from, to, page, totalPages: res.totalPages, rows: res.content.length, refused: res.refused.length, withoutDetail: withoutDetail.length }, "listing page stored");
          return { since: startedAt, totalPages: res.totalPages, announced: res.totalElements, rows: res.content.length, refused: res.refused.length, queue: piece.full ? res.content.map((c) => c.numeroConvocatoria) : withoutDetail };
        });
      });
    });
    since = r.since;
    totalPages = r.totalPages;
    if (page === 0) announced = r.announced;
    listed += r.rows;
    refused += r.refused;
    queue.push(...r.queue);
  }

  const codes = [...new Set(queue)];
  if (codes.length > 0) await sendInChunks(step, `fan-out-details ${from}..${to}`, buildDetailRequests(codes, { runId, timestamp: piece.timestamp }, { allowRemoval: piece.allowRemoval }));

  const completeId = `complete ${from}..${to}`;
  const progress = await step.run(completeId, async () => {
    const store = await deps.store();
    // The window's convocatorias the listing no longer held are removed — only after a complete
    // listing (a refused row might be one of them), and as far as the removal rule allows. Idempotent
    // by itself (a second pass finds nothing unmarked, a hold is recorded once), as a dataset unit's is.
    if (refused === 0 && since) {
      const unit = `listing ${from}..${to}`;
      const evidence = { fetched: listed, announced, allowRemoval: Boolean(piece.allowRemoval) };
      const marked = await store.markConvocatoriasRemoved({ from, to }, { runId, dataset: CONVOCATORIAS, unit, now: new Date().toISOString(), since }, (c) => removalVerdict({ ...c, ...evidence }));
      reportRemoval(log, "convocatorias", unit, marked);
    }
    // Filed once the events are out: a run then never waits for work that was not requested. One
    // transaction, once: the queued counter, the piece's outcome and the run's progress move together.
    const p = await store.once(runId, CONVOCATORIAS, completeId, async (tx) => {
      await tx.queueItems(runId, codes.map(workItem.detail));
      await tx.count(runId, "queued", codes.length);
      await tx.itemDone(runId, item, "stored");
      return tx.completePiece(runId);
    });
    log.info({ from, to, listed, queued: codes.length, piecesDone: p.done, pieces: p.of }, "piece done");
    return p;
  });
  if (progress.done === progress.of) await refreshStatsAfterRun(step, deps, runId, "convocatorias", ["convocatorias", "convocatoria_facetas", "documentos"], log);
  return { from, to, listed, queued: codes.length, piecesDone: progress.done, pieces: progress.of };
}

async function sendInChunks(step: Step, id: string, events: EventPayload[]): Promise<void> {
  for (let i = 0; i < events.length; i += FAN_OUT_CHUNK) {
    await step.sendEvent(`${id} #${i / FAN_OUT_CHUNK}`, events.slice(i, i + FAN_OUT_CHUNK).map(toSdkEvent));
  }
}

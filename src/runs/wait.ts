/**
 * Following a run until it ends: `--wait` on the sending commands and `status --watch`. Reads the run
 * from its source every poll, hands each state to the caller (progress), and ends on one of:
 * - `succeeded` / `failed`: the run is done (state.ts says when);
 * - `timeout`: the caller's bound passed first (the work goes on);
 * - `not-picked-up`: the store still knows nothing of the run after the pick-up grace period, and
 *   nothing else happened in the store meanwhile either — no function is running at all (the app is
 *   not synced with Inngest, `serve` is down, or it writes to another store). When other runs did move,
 *   the functions are alive and this run is queued behind them: it keeps waiting, and checks again
 *   after another grace period. "Moved" compares the store's own latest times with a reading taken
 *   before the events were sent, so no clock of this machine is trusted against the server's.
 *   Before it says so, `--wait` asks the engine what became of the events it sent (runs/engine-check.ts):
 *   runs that ended failed with nothing recorded end the wait as `engine-failed` (what they failed on
 *   is the engine's error); runs still going keep it waiting (the functions are failing before they
 *   can write, or are queued); only "no run at all" is `not-picked-up`;
 * - and while the store knows the run: events it sent that the store still has not shown after a
 *   grace period with nothing changing are asked about too; those whose runs the engine ended count
 *   as failed for good (the store will never hear of them), so the run can end.
 */
import { RunSourceError } from "./errors.js";
import type { EngineWord, SentEvent } from "./engine-check.js";
import type { RunSource } from "./source.js";
import { withExpectations, type Expectation } from "./expectations.js";
import type { ExpectedKind, FailedItem, RunState } from "./state.js";

export type WaitOutcome = "succeeded" | "failed" | "timeout" | "not-picked-up" | "engine-failed";

/** A sent event, with the dataset and kind of work it asks for (as expectationsOf counts it). */
export interface Sent extends SentEvent {
  dataset: string;
  kind: ExpectedKind;
}

export interface WaitOptions {
  source: RunSource;
  runId: string;
  /** What was sent (--wait): awaited until the store shows it. */
  expected?: readonly Expectation[];
  /** The store's latest activity before the events were sent (`source.lastActivity()`), for the pick-up check. */
  baseline: string | null;
  /** Give up after this long (undefined: never). */
  timeoutMs?: number | undefined;
  /** How long a run may stay unknown to the store, with nothing else moving, before it is "never picked up". */
  pickupMs: number;
  /** Between reads (stretched when a read is slow: a huge run is not re-counted every second). */
  pollMs: number;
  /** --wait: the events sent, and how to ask the engine about them (absent: it cannot be asked). */
  sent?: readonly Sent[];
  askEngine?: ((events: readonly Sent[]) => Promise<EngineWord>) | undefined;
  onState?: (state: RunState) => void;
  /** When the functions are busy with other work and have not picked this run up yet (once per grace period). */
  onQueued?: (state: RunState) => void;
  /** What the engine said, when it changes what the wait does (runs going with nothing recorded; events lost). */
  onEngine?: (word: EngineWord, what: "going" | "lost") => void;
  /** A read failed and will be retried (the source is down for a moment); or the engine could not be asked. */
  onReadError?: (err: Error) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface WaitResult {
  outcome: WaitOutcome;
  state: RunState;
  /** What the engine said last, when it was asked. */
  engine?: EngineWord;
}

/** How long reads may keep failing before waiting gives up (a server restart, a database failover). */
export const READ_ERROR_GRACE_MS = 60_000;

export async function waitForRun(o: WaitOptions): Promise<WaitResult> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = now();
  const deadline = o.timeoutMs === undefined ? Infinity : started + o.timeoutMs;
  let pickupAt = started + o.pickupMs;
  let baseline = o.baseline;
  let failingSince: number | undefined;
  let last: RunState | undefined;
  /** Sent events whose runs the engine ended with nothing in the store: failed for good. */
  const lost: Lost[] = [];
  let still = { key: "", since: started };

  const ask = async (events: readonly Sent[]): Promise<EngineWord | undefined> => {
    if (!o.askEngine || events.length === 0) return undefined;
    try {
      return await o.askEngine(events);
    } catch (err) {
      o.onReadError?.(new Error(`could not ask Inngest what became of the events: ${err instanceof Error ? err.message : String(err)}`));
      return undefined;
    }
  };
  const read = async () => {
    let state = await o.source.run(o.runId);
    if (o.expected) state = withExpectations(state, lessLost(o.expected, lost));
    return withLost(state, lost);
  };

  for (;;) {
    const t0 = now();
    try {
      const state = await read();
      failingSince = undefined;
      last = state;
      o.onState?.(state);
      if (state.done) return { outcome: state.state === "failed" ? "failed" : "succeeded", state };
      if (state.state === "pending" && now() >= pickupAt) {
        const activity = await o.source.lastActivity();
        if (activity !== baseline) {
          baseline = activity;
          pickupAt = now() + o.pickupMs;
          o.onQueued?.(state);
        } else {
          const word = await ask(o.sent ?? []);
          if (word && word.ended.length > 0 && word.going === 0) return { outcome: "engine-failed", state, engine: word };
          if (!word || word.going === 0) return { outcome: "not-picked-up", state, ...(word && { engine: word }) };
          pickupAt = now() + o.pickupMs;
          o.onEngine?.(word, "going");
        }
      } else if (state.state !== "pending" && state.awaiting?.length) {
        // Awaited work the store has not shown, and nothing changed for a grace period: ask.
        const key = JSON.stringify([state.totals, state.awaiting, state.datasets.map((d) => d.state)]);
        if (key !== still.key) still = { key, since: now() };
        else if (now() - still.since >= o.pickupMs) {
          still.since = now();
          const awaited = (o.sent ?? []).filter((e) => state.awaiting!.some((a) => a.dataset === e.dataset && a.kind === e.kind) && !lost.some((l) => l.event.internalId === e.internalId));
          const word = await ask(awaited);
          const found = word ? newlyLost(word, state) : [];
          if (found.length > 0) {
            lost.push(...found);
            o.onEngine?.(word!, "lost");
            continue; // read again at once: the run may be over
          }
        }
      }
    } catch (err) {
      if (!(err instanceof RunSourceError) || err.reason === "refused") throw err;
      failingSince ??= t0;
      if (now() - failingSince >= READ_ERROR_GRACE_MS) throw err;
      o.onReadError?.(err);
    }
    const readMs = now() - t0;
    const left = deadline - now();
    if (left <= 0) return { outcome: "timeout", state: last ?? (await read()) };
    await sleep(Math.min(Math.max(o.pollMs, readMs * 4), left));
  }
}

// --- events the store will never hear of --------------------------------------------------------

interface Lost {
  event: Sent;
  failure: string;
  reason: string;
}

/** The ended events of the awaited groups, as many as each group still awaits. */
function newlyLost(word: EngineWord, state: RunState): Lost[] {
  const out: Lost[] = [];
  for (const a of state.awaiting ?? []) {
    const room = a.expected - a.seen;
    const ended = word.ended.filter((x) => (x.event as Sent).dataset === a.dataset && (x.event as Sent).kind === a.kind).slice(0, room);
    for (const x of ended) out.push({ event: x.event as Sent, failure: x.status === "failed" ? "ENGINE_FAILED" : "ENGINE_CANCELLED", reason: engineReason(x) });
  }
  return out;
}

export function engineReason(x: EngineWord["ended"][number]): string {
  return x.status === "failed" ? `Inngest ended its function run ${x.runId} as failed${x.error ? ` (${x.error})` : ""}, with nothing recorded in the store` : `Inngest cancelled its function run ${x.runId}`;
}

/** The expectations, less what the engine ended (those will never show). */
function lessLost(expected: readonly Expectation[], lost: readonly Lost[]): Expectation[] {
  return expected.map((e) => ({ ...e, count: Math.max(0, e.count - lost.filter((l) => l.event.dataset === e.dataset && l.event.kind === e.kind).length) }));
}

/** The run with the lost events as failures: a dataset whose sync request was lost is done, failed. */
function withLost(state: RunState, lost: readonly Lost[]): RunState {
  if (lost.length === 0) return state;
  const failures: FailedItem[] = lost.map((l) => ({ dataset: l.event.dataset, kind: l.event.kind, item: itemKey(l.event), bdns: str(l.event.data.bdns), documentId: str(l.event.data.documentId), failure: l.failure, reason: l.reason, at: state.asOf }));
  const syncLost = new Set(lost.filter((l) => l.event.kind === "sync").map((l) => l.event.dataset));
  const datasets = state.datasets.map((d) => (syncLost.has(d.dataset) && !d.done ? { ...d, done: true, state: "failed" as const } : d));
  const done = state.state !== "pending" && datasets.every((d) => d.done) && !(state.awaiting?.length);
  const items = { ...state.totals.items, failed: state.totals.items.failed + lost.length, total: state.totals.items.total + lost.length };
  return { ...state, datasets, done, state: done ? "failed" : state.state === "pending" ? "pending" : "running", failures: [...state.failures, ...failures], totals: { ...state.totals, items } };
}

/** How the store would key the item an event asks for (for people: the failures list). */
function itemKey(e: Sent): string {
  const d = e.data;
  if (e.kind === "sync") return "";
  if (e.kind === "piece") return [d.feed && `${String(d.feed)}${d.sweep !== undefined ? `:${String(d.sweep)}` : ""}`, d.from && `${String(d.from)}..${String(d.to)}`].filter(Boolean).join(" ");
  const owner = str(d.bdns) ?? str(d.id) ?? "";
  return e.kind === "document" ? `${owner}/${String(d.documentId)}` : owner;
}

const str = (v: unknown) => (typeof v === "string" ? v : null);

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
 */
import { RunSourceError } from "./errors.js";
import type { RunSource } from "./source.js";
import { withExpectations, type Expectation, type RunState } from "./state.js";

export type WaitOutcome = "succeeded" | "failed" | "timeout" | "not-picked-up";

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
  onState?: (state: RunState) => void;
  /** When the functions are busy with other work and have not picked this run up yet (once per grace period). */
  onQueued?: (state: RunState) => void;
  /** A read failed and will be retried (the source is down for a moment). */
  onReadError?: (err: Error) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface WaitResult {
  outcome: WaitOutcome;
  state: RunState;
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

  for (;;) {
    const t0 = now();
    try {
      let state = await o.source.run(o.runId);
      if (o.expected) state = withExpectations(state, o.expected);
      failingSince = undefined;
      last = state;
      o.onState?.(state);
      if (state.done) return { outcome: state.state === "failed" ? "failed" : "succeeded", state };
      if (state.state === "pending" && now() >= pickupAt) {
        const activity = await o.source.lastActivity();
        if (activity === baseline) return { outcome: "not-picked-up", state };
        baseline = activity;
        pickupAt = now() + o.pickupMs;
        o.onQueued?.(state);
      }
    } catch (err) {
      if (!(err instanceof RunSourceError) || err.reason === "refused") throw err;
      failingSince ??= t0;
      if (now() - failingSince >= READ_ERROR_GRACE_MS) throw err;
      o.onReadError?.(err);
    }
    const readMs = now() - t0;
    const left = deadline - now();
    if (left <= 0) return { outcome: "timeout", state: last ?? (await o.source.run(o.runId).then((s) => (o.expected ? withExpectations(s, o.expected) : s))) };
    await sleep(Math.min(Math.max(o.pollMs, readMs * 4), left));
  }
}

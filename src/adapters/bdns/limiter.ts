/**
 * Spaces request starts: no two starts closer than 1/rate seconds. BDNS answers 429 to bursts of
 * simultaneous starts even when the average is under its 10 requests/s, so a token bucket (which
 * allows bursts) is the wrong tool; an even spacing at 9.5/s was measured to give zero 429s.
 *
 * One StartSpacer per process. Alone it is the whole budget of that process (the fast path, and the
 * library's default). Given a slot source (budget.ts: the deployment's shared budget in the store), each
 * start also waits for a slot reserved for it there, so every process of a deployment shares one rate.
 * Who goes next among this process's waiting requests is decided at the moment of the start, by the
 * fair queue (fair-queue.ts): runs in turn, then kinds of work in turn.
 */
import { setImmediate as yieldToLoop, setTimeout as sleep } from "node:timers/promises";
import { FairQueue } from "./fair-queue.js";

export const DEFAULT_RATE_PER_SECOND = 9.5;

/** What a request is for, so the queue can be fair: its kind of work and the run that caused it. */
export type WorkKind = "page" | "detail" | "document" | "plan";
export interface Work {
  kind: WorkKind;
  /** The runId that caused it; requests outside any run share one line. */
  run?: string | undefined;
}

/** Where the budget's events go: logs, and metrics when the deployment has them (issue #10). */
export interface BudgetObserver {
  /** A request waited this long, queue and spacing included, before it started. */
  waited?(seconds: number, work: Work): void;
  /** The shared budget could not be used (true: this process now spaces its own starts) or is back. */
  fallback?(active: boolean, detail: { reason?: string; ratePerSecond: number }): void;
  /** A slot was reserved in the shared budget: how far ahead of now it was, and the round trip. */
  reserved?(detail: { aheadMs: number; roundTripMs: number }): void;
  /** A reserved slot came too late to be used safely (a blocked event loop) and was given up. */
  missed?(lateMs: number): void;
}

/** A start slot reserved in the shared budget, in this process's clock (performance.now()). */
export interface Slot {
  /** Not before. */
  at: number;
  /** Not after: a later start could come closer than allowed to the next slot's holder. */
  latest: number;
}

/** The deployment-wide budget (budget.ts). `undefined`: not usable now, space at `fallbackIntervalMs`. */
export interface SlotSource {
  next(): Promise<Slot | undefined>;
  /** The slot just returned by `next` came too late: a new one if nobody reserved after it, else undefined. */
  retake(): Promise<Slot | undefined>;
  readonly fallbackIntervalMs: number;
  close(): Promise<void>;
}

interface Waiter {
  start: () => unknown;
  work: Work;
  queuedAt: number;
  resolve(started: unknown): void;
  reject(err: unknown): void;
}

export class StartSpacer {
  readonly intervalMs: number;
  private lastStart = -Infinity;
  private readonly queue = new FairQueue<Waiter>();
  private pumping = false;
  private readonly slots: SlotSource | undefined;
  private readonly observer: BudgetObserver | undefined;

  constructor(ratePerSecond: number, o: { slots?: SlotSource; observer?: BudgetObserver } = {}) {
    if (!(ratePerSecond > 0)) throw new RangeError(`rate must be above 0, got ${ratePerSecond}`);
    this.intervalMs = 1000 / ratePerSecond;
    this.slots = o.slots;
    this.observer = o.observer;
  }

  /**
   * Runs `start` when this caller's turn comes. `start` must put its request on the wire synchronously:
   * its start is the moment it is written. Locally each slot is measured from when the previous request
   * actually started, not from when it was due: a late wake-up (a busy event loop, a GC pause) then
   * delays the next start instead of squeezing the two closer together.
   */
  run<T>(start: () => Promise<T>, work: Work = { kind: "detail" }): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ start, work, queuedAt: performance.now(), resolve: resolve as (v: unknown) => void, reject }, work.run ?? "", work.kind);
      if (!this.pumping) void this.pump();
    });
  }

  /** Waits for a turn without a request of its own (tests, callers that dispatch themselves). */
  wait(work?: Work): Promise<void> {
    return this.run(async () => undefined, work);
  }

  /** Releases the shared budget's connection, if any. */
  close(): Promise<void> {
    return this.slots?.close() ?? Promise.resolve();
  }

  /** One loop per process while anything waits: one slot at a time, then the fair queue's next. */
  private async pump(): Promise<void> {
    this.pumping = true;
    /** Taken from the queue for a slot that passed before it could start: it goes first. */
    let held: Waiter | undefined;
    try {
      while (held || this.queue.size > 0) {
        let slot = this.slots ? await this.slots.next() : undefined;
        const spacing = this.slots && !slot ? this.slots.fallbackIntervalMs : this.intervalMs;
        // With a shared slot, the slots themselves are spaced; the local floor only matters when the
        // process comes back from spacing itself, and never delays a slot in steady state.
        await sleepUntil(slot ? Math.max(slot.at, this.lastStart + spacing - SHARED_FLOOR_SLACK_MS) : this.lastStart + spacing);
        if (slot && performance.now() > slot.latest) {
          this.observer?.missed?.(performance.now() - slot.latest);
          slot = await this.slots!.retake(); // moved if nobody reserved after it
          if (!slot) continue; // given up: reserve another
          await sleepUntil(slot.at);
          if (performance.now() > slot.latest) continue;
        }
        const w = held ?? this.queue.take()!;
        held = undefined;
        // The last look at the clock, right before the start: a pause since the look above (a GC, the
        // process not scheduled on a busy machine) must not make the start late. The slot is given up.
        const now = performance.now();
        if (slot && now > slot.latest) {
          this.observer?.missed?.(now - slot.latest);
          held = w;
          continue;
        }
        try {
          w.resolve(w.start());
        } catch (err) {
          w.reject(err);
        }
        this.observer?.waited?.((now - w.queuedAt) / 1000, w.work);
        // Node hands a request its socket on the next tick: let that write happen before anything
        // else, above all before the next reservation (synchronous on SQLite, and it may wait for
        // another process's lock): measured, skipping this let a request leave up to 55 ms late.
        await yieldToLoop();
        this.lastStart = performance.now();
      }
    } finally {
      this.pumping = false;
    }
  }
}

/**
 * Slots are spaced by 1/rate and a start lands up to 5 ms after its slot (budget.ts): a floor 2 ms
 * under 1/rate from our own last start never holds a shared slot back by more than 3 of those.
 */
const SHARED_FLOOR_SLACK_MS = 2;

/**
 * Sleeps until `at` (performance.now() time) to within a fraction of a millisecond: timers alone fire
 * 1–4 ms late on a busy machine, which a shared slot's 5 ms window cannot afford. The last 2 ms are
 * spent yielding to the event loop (I/O still runs), ~2 % of a core at 9.5 starts/s.
 */
async function sleepUntil(at: number): Promise<void> {
  const coarse = at - performance.now() - 2;
  if (coarse >= 1) await sleep(Math.floor(coarse));
  while (performance.now() < at) await yieldToLoop();
}

let shared: StartSpacer | undefined;

/**
 * The process-wide spacer: every BDNS client in this process shares it, because BDNS's limit is per IP.
 * The first caller's rate wins.
 */
export function sharedSpacer(ratePerSecond = DEFAULT_RATE_PER_SECOND): StartSpacer {
  return (shared ??= new StartSpacer(ratePerSecond));
}

/**
 * Spaces request starts: no two starts closer than 1/rate seconds. BDNS answers 429 to bursts of
 * simultaneous starts even when the average is under its 10 requests/s, so a token bucket (which
 * allows bursts) is the wrong tool; an even spacing at 9.5/s was measured to give zero 429s.
 */
import { setTimeout as sleep } from "node:timers/promises";

export const DEFAULT_RATE_PER_SECOND = 9.5;

export class StartSpacer {
  readonly intervalMs: number;
  private lastStart = -Infinity;
  private queue: Promise<void> = Promise.resolve();

  constructor(ratePerSecond: number) {
    if (!(ratePerSecond > 0)) throw new RangeError(`rate must be above 0, got ${ratePerSecond}`);
    this.intervalMs = 1000 / ratePerSecond;
  }

  /**
   * Runs `start` when this caller's turn comes; callers are served in arrival order. `start` must put
   * its request on the wire synchronously. Each slot is measured from when the previous request
   * actually started, not from when it was due: a late wake-up (a busy event loop, a GC pause) then
   * delays the next start instead of squeezing the two closer together.
   */
  run<T>(start: () => Promise<T>): Promise<T> {
    const turn = this.queue.then(async () => {
      const delay = this.lastStart + this.intervalMs - performance.now();
      // ceil: timers have millisecond granularity and may otherwise fire a fraction early.
      if (delay > 0) await sleep(Math.ceil(delay));
      const started = start();
      this.lastStart = performance.now();
      return { started };
    });
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn.then(({ started }) => started);
  }

  /** Waits for a turn without a request of its own (tests, callers that dispatch themselves). */
  wait(): Promise<void> {
    return this.run(async () => undefined);
  }
}

let shared: StartSpacer | undefined;

/**
 * The process-wide spacer: every BDNS client in this process shares it, because BDNS's limit is per IP.
 * The first caller's rate wins.
 */
export function sharedSpacer(ratePerSecond = DEFAULT_RATE_PER_SECOND): StartSpacer {
  return (shared ??= new StartSpacer(ratePerSecond));
}

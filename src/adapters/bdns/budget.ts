/**
 * The deployment's one BDNS budget, as one process uses it: before each start, reserve the next slot in
 * the store every process shares (store/budget.ts), turn it into this process's clock, and say how late
 * the start may be. A process holds one reservation at a time, so busy processes take slots in turn.
 *
 * The guarantee: any two starts of the deployment, whichever processes made them, are at least
 * 1/rate − toleranceMs apart — never under BDNS's 100 ms (100.26 ms at 9.5/s), so no sliding second
 * ever holds more than 10 — and any eleven span at least 10/rate − toleranceMs (1,047 ms at 9.5/s).
 * - Never early: the slot is mapped with the lowest offset between the budget's clock and ours that
 *   the recent round trips allow (a reply's "now" was read somewhere inside its round trip).
 * - Never too late: a start may follow its slot by at most toleranceMs minus that offset's
 *   uncertainty; a process whose event loop was blocked past that gives the slot up and reserves
 *   another. A store far away (uncertainty > 1 ms) gets longer slots, so the window stays open.
 *
 * Failure: a reservation that fails or takes longer than `timeoutMs` puts this process on its own
 * spacing at a conservative rate (1/rate × (processes seen + 1 newcomer + itself)), said once in the
 * logs and to the observer; it tries the store again every `retryEveryMs` and comes back by itself.
 */
import type { SlotStore } from "../store/budget.js";
import type { BudgetObserver, Slot, SlotSource } from "./limiter.js";

/** BDNS accepts starts spaced ≥ 100 ms, sustained at 9.8/s (reference/bdns-api.md, "Rate limits"). */
const BDNS_MIN_GAP_MS = 100;

/**
 * How late after its slot a start may be: what 1/rate leaves above BDNS's 100 ms (less 0.25 ms for
 * comparing clocks), at most 5 ms; 5 ms at 9.5/s. A busy machine wakes a process 2–5 ms late now and
 * then: with 2 ms, three processes on 2 cores gave up ~2 % of their slots (each one lost to the whole
 * deployment, since the others had reserved behind it); with 5 ms, a few in a thousand.
 */
export function toleranceMs(intervalMs: number): number {
  return Math.min(5, Math.max(0, intervalMs - BDNS_MIN_GAP_MS - 0.25));
}
/** The least window a start gets after its slot: a wake-up is rarely closer than this. */
const MIN_WINDOW_MS = 1;
/** Round trips older than this say nothing reliable about the clocks' offset (they drift apart). */
const SAMPLE_WINDOW_MS = 2_000;
/** How long "processes seen" is remembered, for the fallback's rate. */
const PEERS_MEMORY_MS = 60_000;
/** Opening a connection (a pool's TLS handshake included) is allowed longer than a reservation. */
const CONNECT_TIMEOUT_MS = 3_000;

export interface BudgetLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface SharedBudgetOptions {
  ratePerSecond: number;
  log?: BudgetLog | undefined;
  observer?: BudgetObserver | undefined;
  /** A reservation slower than this counts as a failure (default 250 ms; connecting may take 3 s). */
  timeoutMs?: number;
  /** While falling back, how often to try the store again (default 1 s). */
  retryEveryMs?: number;
}

export class SharedBudget implements SlotSource {
  readonly intervalMs: number;
  private readonly toleranceMs: number;
  private readonly timeoutMs: number;
  private readonly retryEveryMs: number;
  private store: SlotStore | undefined;
  /** Offset samples (budget clock − ours), as [lo, hi] bounds, newest last. */
  private samples: Array<{ at: number; lo: number; hi: number }> = [];
  private roundTripMs = 1;
  private peers: Array<{ at: number; others: number }> = [];
  /** Where this process's last slot ended, budget clock: its own slot is not someone else's. */
  private lastSlotEnd = -Infinity;
  /** The slot `next` returned last, for `retake`. */
  private last: { end: number; length: number; lead: number } | undefined;
  private fallingBackSince: number | undefined;
  private lastTry = -Infinity;
  /**
   * A reservation that outlived `timeoutMs` and has not settled yet (its statement waits on a lock
   * until the store's own lock timeout ends it): no other is sent meanwhile — on the same connection
   * it would only queue behind it, and a new connection would be one more left waiting.
   */
  private outstanding: Promise<unknown> | undefined;

  constructor(
    private readonly open: () => Promise<SlotStore>,
    private readonly o: SharedBudgetOptions,
  ) {
    this.intervalMs = 1000 / o.ratePerSecond;
    this.toleranceMs = toleranceMs(this.intervalMs);
    this.timeoutMs = o.timeoutMs ?? 250;
    this.retryEveryMs = o.retryEveryMs ?? 1000;
  }

  /** On our own: this process's share if every process seen lately, and one newcomer, did the same. */
  get fallbackIntervalMs(): number {
    return this.intervalMs * (this.processesSeen() + 1);
  }

  get fallingBack(): boolean {
    return this.fallingBackSince !== undefined;
  }

  async next(): Promise<Slot | undefined> {
    if (this.fallingBack && performance.now() - this.lastTry < this.retryEveryMs) return undefined;
    this.lastTry = performance.now();
    const { lo, hi } = this.offset();
    const uncertainty = Number.isFinite(hi - lo) ? hi - lo : this.roundTripMs;
    // Longer slots only when the clocks are known too loosely for the tolerance to leave a window.
    const length = this.intervalMs + Math.max(0, uncertainty + MIN_WINDOW_MS - this.toleranceMs);
    // Reserved this far ahead, the answer is back before the slot begins.
    const lead = Math.min(50, Math.max(2, 3 * this.roundTripMs + 1));
    if (this.outstanding) {
      this.fallBack(new Error(`the last reservation has not answered in ${this.timeoutMs} ms`));
      return undefined;
    }
    let r: Awaited<ReturnType<SlotStore["reserve"]>>;
    let t0 = 0;
    let reservation: Promise<Awaited<ReturnType<SlotStore["reserve"]>>> | undefined;
    try {
      this.store ??= await this.open();
      await withTimeout(this.store.connect(), CONNECT_TIMEOUT_MS);
      t0 = performance.now();
      reservation = this.store.reserve(length, lead);
      r = await withTimeout(reservation, this.timeoutMs);
    } catch (err) {
      if (reservation && err instanceof BudgetTimeout) {
        // Still out: the connection is kept (the store's lock timeout ends the statement); it is the
        // one this process uses when the store answers again.
        const settled = reservation.then(() => undefined, () => undefined).finally(() => {
          if (this.outstanding === settled) this.outstanding = undefined;
        });
        this.outstanding = settled;
      } else if (!isStatementError(err)) {
        this.store?.reset(); // the connection itself failed (or never opened): a new one next time
      }
      this.fallBack(err);
      return undefined;
    }
    const t1 = performance.now();
    this.roundTripMs = 0.8 * this.roundTripMs + 0.2 * (t1 - t0);
    this.sample(t1, r.nowMs - t1, r.nowMs - t0);
    const ahead = r.slotMs - r.nowMs;
    // Slots between the earliest this one could have been and where it is were other processes'.
    this.peers.push({ at: t1, others: Math.max(0, Math.round((r.slotMs - Math.max(r.nowMs + lead, this.lastSlotEnd)) / length)) });
    this.lastSlotEnd = r.slotMs + length;
    if (this.fallingBack) this.recover();
    this.o.observer?.reserved?.({ aheadMs: ahead, roundTripMs: t1 - t0 });
    this.last = { end: r.slotMs + length, length, lead };
    return this.toLocal(r.slotMs, length);
  }

  /** A slot in our clock: the earliest moment it can be (never early), and how late it may start. */
  private toLocal(slotMs: number, length: number): Slot {
    const bounds = this.offset();
    const at = slotMs - bounds.lo;
    return { at, latest: at + (length - this.intervalMs) + this.toleranceMs - (bounds.hi - bounds.lo) };
  }

  async retake(): Promise<Slot | undefined> {
    const last = this.last;
    if (!last || !this.store) return undefined;
    try {
      const r = await withTimeout(this.store.retake(last.end, last.length, last.lead), this.timeoutMs);
      if (!r) return undefined;
      this.lastSlotEnd = last.end = r.slotMs + last.length;
      return this.toLocal(r.slotMs, last.length);
    } catch {
      return undefined; // the next reservation finds out whether the store is there
    }
  }

  async close(): Promise<void> {
    await this.store?.close();
    this.store = undefined;
  }

  /** The offset bounds every recent sample agrees on; a contradiction (a clock step) starts afresh. */
  private offset(): { lo: number; hi: number } {
    let lo = -Infinity;
    let hi = Infinity;
    for (const s of this.samples) (lo = Math.max(lo, s.lo)), (hi = Math.min(hi, s.hi));
    return { lo, hi };
  }

  private sample(at: number, lo: number, hi: number): void {
    this.samples = this.samples.filter((s) => at - s.at <= SAMPLE_WINDOW_MS);
    this.samples.push({ at, lo, hi });
    const b = this.offset();
    if (b.lo > b.hi) this.samples = [{ at, lo, hi }];
  }

  /** This process and the most others seen queued ahead of it lately (each holds one reservation). */
  private processesSeen(): number {
    const now = performance.now();
    this.peers = this.peers.filter((p) => now - p.at <= PEERS_MEMORY_MS);
    return Math.max(0, ...this.peers.map((p) => p.others)) + 1;
  }

  private fallBack(err: unknown): void {
    if (this.fallingBack) return;
    this.fallingBackSince = performance.now();
    const ratePerSecond = round(1000 / this.fallbackIntervalMs);
    const reason = err instanceof Error ? err.message : String(err);
    this.o.log?.warn({ reason, ratePerSecond, store: this.store?.location }, "BDNS budget: the shared store is unavailable; this process spaces its own requests at a conservative rate until it answers again");
    this.o.observer?.fallback?.(true, { reason, ratePerSecond });
  }

  private recover(): void {
    const seconds = round((performance.now() - this.fallingBackSince!) / 1000);
    this.fallingBackSince = undefined;
    this.o.log?.info({ afterSeconds: seconds, store: this.store?.location }, "BDNS budget: the shared store answers again; sharing the budget");
    this.o.observer?.fallback?.(false, { ratePerSecond: this.o.ratePerSecond });
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

class BudgetTimeout extends Error {}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  p.catch(() => undefined); // an answer that comes after the timeout is dropped, failures included
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BudgetTimeout(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * The statement failed but its connection is fine: PostgreSQL's lock or statement timeout
 * (55P03, 57014), SQLite's busy file (SQLITE_BUSY). Anything else resets the connection.
 */
function isStatementError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === "55P03" || code === "57014" || code === "SQLITE_BUSY";
}

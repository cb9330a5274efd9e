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
 * Failure: a reservation that fails or takes longer than `timeoutMs` puts this process on its own,
 * said once in the logs and to the observer; it tries the store again every `retryEveryMs` and comes
 * back by itself. On its own it must still keep the deployment under BDNS's limit when every process
 * is on its own at once (the store down, or its row locked), with no store to agree through. So it
 * takes turns on the budget's clock (the one it already maps to its own), by its rank among the
 * sharers the store listed lately (every process says it shares every HEARTBEAT_MS): with N sharers,
 * a cycle of (N + 1) / rate cut into N turns, one start per turn, at its beginning or up to what
 * the turn has beyond BDNS's 100 ms and 25 ms for the clocks after (15 ms for three processes). Any two starts of different processes are then a turn apart less what the
 * clocks' offset is unsure of (and has drifted since, allowed at 100 ppm): 140 ms at 9.5/s for three
 * processes; each process starts at rate / (N + 1), the deployment at rate × N / (N + 1). A turn is
 * never shorter than MIN_TURN_MS (the cycle stretches instead), which leaves 25 ms for the clocks:
 * enough for a store within a ~20 ms round trip and an outage of a few minutes. Every process must
 * run at the same BDNS_RATE_LIMIT (the grid is made from it). A process that never reached the
 * store (no rank, no clock) spaces itself at rate / (processes seen + 1).
 */
import { randomUUID } from "node:crypto";
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
/** How often a process says it shares the budget, and how long one not heard of still counts. */
export const HEARTBEAT_MS = 2_000;
export const SHARER_TTL_MS = 10_000;
/** Clocks drift apart: allowed per ms since the offset was last measured (100 ppm). */
const DRIFT_PER_MS = 1e-4;
/** What a turn leaves for the processes' clocks: offset bounds, and drift since the store last answered. */
const CLOCK_ALLOWANCE_MS = 25;
/** How late after its turn begins a start may be, at least: all a turn has beyond BDNS's gap and the clocks. */
const TURN_WINDOW_MS = 5;
/**
 * The shortest turn: BDNS's 100 ms (+ 0.25 for comparing clocks), the clocks' allowance and the
 * window. Turns are longer below ~5 processes at 9.5/s ((N + 1) / N / rate: 140 ms for three), and
 * what they have beyond this widens the window a start may use (15 ms for three, 85 ms alone).
 */
const MIN_TURN_MS = BDNS_MIN_GAP_MS + 0.25 + CLOCK_ALLOWANCE_MS + TURN_WINDOW_MS;

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
  private opening: Promise<SlotStore> | undefined;
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
  /** While falling back: the reservation sent to find out whether the store answers again. */
  private probing: Promise<unknown> | undefined;
  /** This process among the sharers (store/budget.ts, heartbeat). */
  readonly sharerId = randomUUID();
  /** How many share the budget and this process's rank among them, as the store listed them last. */
  private sharers: { count: number; rank: number } | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  /** When the clocks' offset was last measured (drift is allowed for from then). */
  private lastSampleAt = -Infinity;
  /** Budget clock: no turn before this (the slots reserved before falling back have passed). */
  private turnsFrom = -Infinity;

  constructor(
    private readonly open: () => Promise<SlotStore>,
    private readonly o: SharedBudgetOptions,
  ) {
    this.intervalMs = 1000 / o.ratePerSecond;
    this.toleranceMs = toleranceMs(this.intervalMs);
    this.timeoutMs = o.timeoutMs ?? 250;
    this.retryEveryMs = o.retryEveryMs ?? 1000;
  }

  /** On our own without turns: this process's share if every process seen lately, and one newcomer, did the same. */
  get fallbackIntervalMs(): number {
    return this.intervalMs * (this.processesSeen() + 1);
  }

  /**
   * Starts saying that this process shares the budget (now and every HEARTBEAT_MS), so that the
   * others count it — also before its first request, and while it has nothing to do. Idempotent;
   * `next` calls it too.
   */
  join(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS).unref();
    void this.beat();
  }

  private async beat(): Promise<void> {
    if (this.outstanding) return; // the connection is busy waiting on a lock
    try {
      const store = await this.slotStore();
      const { sharers } = await withTimeout(store.heartbeat(this.sharerId, SHARER_TTL_MS), CONNECT_TIMEOUT_MS);
      const rank = sharers.indexOf(this.sharerId);
      if (rank >= 0) this.sharers = { count: sharers.length, rank };
    } catch {
      // The store is not answering: the last list stands (a reservation says so in the logs).
    }
  }

  get fallingBack(): boolean {
    return this.fallingBackSince !== undefined;
  }

  async next(): Promise<Slot | undefined> {
    this.join();
    if (this.fallingBack) {
      // Whether the store answers again is found out beside the turns, never in their way (trying
      // may take timeoutMs, longer than the wait for a turn): the reservation made to find out is a
      // slot left unused — a gap in the budget, not a burst.
      if (performance.now() - this.lastTry >= this.retryEveryMs && !this.probing) {
        this.lastTry = performance.now();
        this.probing = this.reserve().finally(() => (this.probing = undefined));
      }
      return this.turn();
    }
    this.lastTry = performance.now();
    const r = await this.reserve();
    return r ? this.toLocal(r.slotMs, r.length) : this.turn();
  }

  /**
   * One reservation in the shared budget; undefined when it failed or did not answer in time (this
   * process then falls back). An answer in time also measures the clocks' offset and the peers.
   */
  private async reserve(): Promise<{ slotMs: number; length: number } | undefined> {
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
      const store = await this.slotStore();
      await withTimeout(store.connect(), CONNECT_TIMEOUT_MS);
      t0 = performance.now();
      reservation = store.reserve(length, lead);
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
    return { slotMs: r.slotMs, length };
  }

  /**
   * On its own: this process's next turn (see the top of this file), in our clock: never before the
   * turn begins on the budget's clock, whatever the offset is within its bounds (and drift), and at
   * most what the turn has beyond BDNS's gap and the clocks' allowance after. undefined: no rank or
   * no clock yet (spacing itself instead).
   */
  private turn(): Slot | undefined {
    const view = this.sharers;
    const { lo, hi } = this.offset();
    if (!view || !Number.isFinite(lo) || !Number.isFinite(hi)) return undefined;
    const now = performance.now();
    const drift = DRIFT_PER_MS * Math.max(0, now - this.lastSampleAt);
    // The same grid in every process (anchored at the budget clock's zero): its length may depend
    // only on what they all share — the rate and how many they are — never on one process's clock.
    const length = Math.max((this.intervalMs * (view.count + 1)) / view.count, MIN_TURN_MS);
    const cycle = length * view.count;
    const first = view.rank * length;
    const after = Math.max(now + hi + drift + MIN_WINDOW_MS, this.turnsFrom); // the latest the budget's clock can read now
    const start = first + Math.ceil((after - first) / cycle) * cycle;
    const at = start - lo + drift;
    return { at, latest: at + length - (MIN_TURN_MS - TURN_WINDOW_MS) };
  }

  /** A slot in our clock: the earliest moment it can be (never early), and how late it may start. */
  private toLocal(slotMs: number, length: number): Slot {
    const bounds = this.offset();
    const at = slotMs - bounds.lo;
    return { at, latest: at + (length - this.intervalMs) + this.toleranceMs - (bounds.hi - bounds.lo) };
  }

  async retake(): Promise<Slot | undefined> {
    const last = this.last;
    if (!last || !this.store || this.fallingBack) return undefined; // a missed turn: the next one
    try {
      const r = await withTimeout(this.store.retake(last.end, last.length, last.lead), this.timeoutMs);
      if (!r) return undefined;
      this.lastSlotEnd = last.end = r.slotMs + last.length;
      return this.toLocal(r.slotMs, last.length);
    } catch {
      return undefined; // the next reservation finds out whether the store is there
    }
  }

  /** The store, opened once (the heartbeat and the first reservation may ask at the same moment). */
  private slotStore(): Promise<SlotStore> {
    if (this.store) return Promise.resolve(this.store);
    this.opening ??= this.open().then(
      (store) => (this.store = store),
      (err: unknown) => {
        this.opening = undefined;
        throw err;
      },
    );
    return this.opening;
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (this.store && !this.outstanding) await withTimeout(this.store.leave(this.sharerId), this.timeoutMs).catch(() => undefined);
    await this.store?.close();
    this.store = undefined;
    this.opening = undefined;
  }

  /** The offset bounds every recent sample agrees on; a contradiction (a clock step) starts afresh. */
  private offset(): { lo: number; hi: number } {
    let lo = -Infinity;
    let hi = Infinity;
    for (const s of this.samples) (lo = Math.max(lo, s.lo)), (hi = Math.min(hi, s.hi));
    return { lo, hi };
  }

  private sample(at: number, lo: number, hi: number): void {
    this.lastSampleAt = at;
    this.samples = this.samples.filter((s) => at - s.at <= SAMPLE_WINDOW_MS);
    this.samples.push({ at, lo, hi });
    const b = this.offset();
    if (b.lo > b.hi) this.samples = [{ at, lo, hi }];
  }

  /**
   * The sharers the store listed last, or (before it ever did) this process and the most others seen
   * queued ahead of it lately (each holds one reservation).
   */
  private processesSeen(): number {
    const now = performance.now();
    this.peers = this.peers.filter((p) => now - p.at <= PEERS_MEMORY_MS);
    return Math.max(this.sharers?.count ?? 0, Math.max(0, ...this.peers.map((p) => p.others)) + 1);
  }

  private fallBack(err: unknown): void {
    if (this.fallingBack) return;
    this.fallingBackSince = performance.now();
    this.last = undefined; // nothing to retake: the store is not answering
    // The slots reserved before now (one per process, the furthest N + 1 slots ahead) pass before
    // the first turn: a turn never lands on another process's last shared slot.
    const { hi } = this.offset();
    this.turnsFrom = Number.isFinite(hi) ? performance.now() + hi + this.intervalMs * (this.processesSeen() + 1) : -Infinity;
    const ratePerSecond = round(this.o.ratePerSecond / (this.processesSeen() + 1));
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

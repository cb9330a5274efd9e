/**
 * One BDNS budget shared by several processes through the store: real child processes contending on one
 * SQLite file and on the throwaway PostgreSQL, real HTTP to a loopback BDNS.
 *
 * What is measured, and where, so that a busy machine cannot make it fail:
 * - where a start is decided (each child notes it on the clock the machine's processes share): the
 *   budget's own promise, any two starts ≥ 1/rate − toleranceMs apart (budget.ts), + 0.5 ms for
 *   comparing clocks across processes. Three processes spacing only themselves put starts ~0 ms
 *   apart, which this tells at once;
 * - that a decided start is a request on the wire: each child notes when each request was handed
 *   whole to the kernel (its 'finish'; on loopback the server's socket has it then). It left before
 *   the process decided its next start, and typically (the median) within 2 ms of its decision: a
 *   start that waited for anything before writing (a timer, an await, a dispatch queue as built-in
 *   fetch has) would show in most requests, not in a few.
 * Not measured here: gaps as the loopback server reads them. An earlier version asserted them
 * (≥ 1/rate − 60 ms) and failed now and then under load (33.5 ms). The cause, measured with per-request
 * times on both sides: the server runs in the test's own process, and when that process is not
 * scheduled for ~100 ms it reads a request late and the next one on time (with three CPU hogs: an
 * arrival gap of 0.4 ms between requests handed to the kernel 104 ms apart, the first read 103.8 ms
 * after it was sent); and at a load of ~11 on 2 cores a sender is itself sometimes preempted between
 * deciding and writing (hand-off lag p50 0.8 ms, p99 75 ms). Neither is the budget's doing, and no
 * tolerance bounds either on a shared machine; what BDNS sees on the wire is `npm run bench budget`'s
 * to report (its BDNS stand-in runs alone in its process).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { SharedBudget, toleranceMs } from "../../src/adapters/bdns/budget.js";
import { StartSpacer } from "../../src/adapters/bdns/limiter.js";
import { openBudgetStore, type SlotStore } from "../../src/adapters/store/budget.js";
import { Store } from "../../src/adapters/store/store.js";
import { makeDataset, startFakeBdns } from "../support/bdns-server.js";
import { startChild } from "../support/children.js";
import { usePostgres } from "../support/postgres.js";

const pgServer = usePostgres();

const PROCESSES = 3;
const REQUESTS = 210;
const RATE = 9.5; // the default: 105 ms apart, a few hundred requests in ~22 s (at 10/s the window would be 0 ms)
const DECIDED_TOLERANCE_MS = toleranceMs(1000 / RATE) + 0.5;
/** A request handed to the kernel this soon after its decision, typically (the median). */
const HAND_OFF_MEDIAN_MS = 2;

const gapsOf = (at: number[]) => at.slice(1).map((t, i) => t - at[i]!);

describe.each(["sqlite", "postgres"] as const)(`the shared budget on %s, ${PROCESSES} child processes`, (dialect) => {
  it(`keeps starts ≥ 1/rate − ${DECIDED_TOLERANCE_MS} ms apart over ${REQUESTS} requests, each made once and on the wire at its decision`, async () => {
    const databaseUrl = dialect === "sqlite" ? join(mkdtempSync(join(tmpdir(), "ayida-budget-")), "ayida.db") : await pgServer().createDatabase();
    // Migrated once here, so that the children time the budget, not their migrations.
    await (await Store.open(databaseUrl)).close();
    const bdns = await startFakeBdns({ dataset: makeDataset(REQUESTS, { light: true, docs: 0 }) });
    try {
      const codes = bdns.dataset.map((c) => c.bdns);
      const share = REQUESTS / PROCESSES;
      const children = await Promise.all(
        Array.from({ length: PROCESSES }, (_, i) =>
          startChild("test/support/budget-worker.ts", [JSON.stringify({ databaseUrl, bdnsUrl: bdns.url, rate: RATE, codes: codes.slice(i * share, (i + 1) * share), callers: 4 })]),
        ),
      );
      for (const c of children) expect(await c.line()).toBe("ready");
      bdns.requests.length = 0; // the warm-up reservations made no request; start counting now
      for (const c of children) c.send("go");
      const results = await Promise.all(children.map(async (c) => JSON.parse(await c.line()) as { done: number; failures: string[]; fallbacks: boolean[]; starts: number[]; left: number[] }));

      expect(results.map((r) => [r.done, r.failures, r.fallbacks])).toEqual(Array.from({ length: PROCESSES }, () => [share, [], []]));
      expect(bdns.requests).toHaveLength(REQUESTS);
      const decided = results.flatMap((r) => r.starts).sort((a, b) => a - b);
      expect(decided).toHaveLength(REQUESTS);
      expect(Math.min(...gapsOf(decided))).toBeGreaterThanOrEqual(1000 / RATE - DECIDED_TOLERANCE_MS);
      expect(new Set(bdns.requests.map((r) => r.params.get("numConv"))).size).toBe(REQUESTS);
      for (const r of results) {
        expect(r.left.filter((t) => t !== null && t !== undefined), "every request was handed to the kernel").toHaveLength(share);
        const lags = r.starts.map((d, i) => r.left[i]! - d);
        expect(lags.filter((lag, i) => lag < 0 || (i + 1 < r.starts.length && r.left[i]! >= r.starts[i + 1]!)), "a request left before its decision, or after the next one").toEqual([]);
        expect([...lags].sort((a, b) => a - b)[Math.floor(lags.length / 2)]!).toBeLessThan(HAND_OFF_MEDIAN_MS);
      }
    } finally {
      await bdns.close();
    }
  }, 90_000);
});

describe(`every process falling back at once (PostgreSQL, ${PROCESSES} child processes): the budget row locked for 5 s`, () => {
  it("each process starts only in its own turn of the budget's clock: starts stay ≥ 100 ms apart, the fleet at 9.5 × 3/4 per second", async () => {
    const databaseUrl = await pgServer().createDatabase();
    await (await Store.open(databaseUrl)).close();
    const bdns = await startFakeBdns({ dataset: makeDataset(150, { light: true, docs: 0 }) });
    const locker = new pg.Client({ connectionString: databaseUrl });
    await locker.connect();
    try {
      const codes = bdns.dataset.map((c) => c.bdns);
      const children = await Promise.all(
        Array.from({ length: PROCESSES }, (_, i) => startChild("test/support/budget-worker.ts", [JSON.stringify({ databaseUrl, bdnsUrl: bdns.url, rate: RATE, codes: codes.slice(i * 50, (i + 1) * 50), callers: 4 })])),
      );
      for (const c of children) expect(await c.line()).toBe("ready");
      await new Promise((r) => setTimeout(r, 3_000)); // every process has seen the others in the budget table
      for (const c of children) c.send("go");
      await new Promise((r) => setTimeout(r, 2_000));
      await locker.query("BEGIN");
      await locker.query("SELECT * FROM bdns_budget FOR UPDATE");
      await new Promise((r) => setTimeout(r, 5_000));
      await locker.query("COMMIT");
      type Result = { done: number; failures: string[]; fallbackAt: Array<{ active: boolean; at: number }>; starts: number[] };
      const results = await Promise.all(children.map(async (c) => JSON.parse(await c.line()) as Result));
      expect(results.map((r) => r.failures)).toEqual(Array.from({ length: PROCESSES }, () => []));

      // While every process was on its own: from the last one falling back to the first one coming back.
      const from = Math.max(...results.map((r) => r.fallbackAt.find((f) => f.active)!.at));
      const to = Math.min(...results.map((r) => r.fallbackAt.find((f) => !f.active)?.at ?? Infinity));
      expect(to - from, "every process fell back, together, for most of the lock").toBeGreaterThan(3_000);
      const alone = results.flatMap((r) => r.starts).filter((t) => t >= from && t <= to).sort((a, b) => a - b);
      const seconds = (to - from) / 1000;
      console.info(`all falling back for ${seconds.toFixed(1)} s: ${alone.length} starts, ${(alone.length / seconds).toFixed(2)}/s, smallest gap ${Math.min(...gapsOf(alone)).toFixed(1)} ms`);
      expect(alone.length).toBeGreaterThan(15);
      expect(Math.min(...gapsOf(alone))).toBeGreaterThanOrEqual(100);
      expect(alone.length / seconds).toBeLessThanOrEqual(RATE * (PROCESSES / (PROCESSES + 1)) * 1.05 + 1 / seconds);
    } finally {
      await locker.end();
      await bdns.close();
    }
  }, 90_000);
});

/**
 * The store made slow (its row locked by another session) or cut off (the connection killed, new ones
 * refused), for real: the process spaces itself at half the rate (alone, with room for one newcomer), says so once,
 * and comes back to the shared budget by itself when the store answers again.
 */
describe("how late after its slot a start may be", () => {
  it("5 ms at the default 9.5/s; never so much that two starts could be under BDNS's 100 ms, at any rate below 10/s", () => {
    expect(toleranceMs(1000 / 9.5)).toBe(5);
    expect(toleranceMs(1000 / 9.9)).toBeCloseTo(0.76, 2);
    expect(toleranceMs(100)).toBe(0);
    for (let rate = 0.5; rate < 10; rate += 0.01) {
      const interval = 1000 / rate;
      expect(interval - toleranceMs(interval)).toBeGreaterThanOrEqual(Math.min(interval, 100.25) - 1e-9);
      expect(toleranceMs(interval)).toBeLessThanOrEqual(5);
    }
  });
});

describe("a slot of the shared budget, on a store close by (SQLite)", () => {
  it("is 1/rate long, and its start may come up to toleranceMs after it, less what the clocks' offset is unsure of", async () => {
    const rate = 9.5;
    const interval = 1000 / rate;
    const roundTrips: number[] = [];
    const observer = { reserved: ({ roundTripMs }: { roundTripMs: number }) => void roundTrips.push(roundTripMs) };
    const budget = new SharedBudget(async () => openBudgetStore(join(mkdtempSync(join(tmpdir(), "ayida-slot-")), "ayida.db")), { ratePerSecond: rate, observer });
    try {
      const slots: Array<Awaited<ReturnType<SharedBudget["next"]>>> = [];
      for (let i = 0; i < 6; i++) slots.push(await budget.next());
      expect(budget.fallingBack).toBe(false);
      expect(roundTrips).toHaveLength(6);
      const windows = slots.map((s) => s!.latest - s!.at);
      // The window is the tolerance less what the clocks' offset is unsure of, and that is at most the
      // round trip of the reservation that measured it (well under a millisecond to a local file on an
      // idle machine; a few on a busy one): never more than the tolerance, never less by more than that.
      for (const w of windows) expect(w).toBeLessThanOrEqual(toleranceMs(interval));
      for (const [i, w] of windows.entries()) expect(w).toBeGreaterThan(toleranceMs(interval) - roundTrips[i]! - 0.05);
      // Reserved one after another, the slots follow each other 1/rate apart: no longer than needed.
      const gaps = slots.slice(1).map((s, i) => s!.at - slots[i]!.at);
      for (const g of gaps) expect(g).toBeGreaterThanOrEqual(interval - 1.5); // the clock offset only narrows: a gap is never longer than a slot
      for (const g of gaps) expect(g).toBeLessThan(interval + 0.5);
    } finally {
      await budget.close();
    }
  });
});

describe("a slot's latest start is checked last, just before the request is written", () => {
  it("a pause between the check and the start (here the limiter's own metrics observer taking 8 ms) cannot make a start late: the slot is given up instead", async () => {
    const slots: Array<{ at: number; latest: number }> = [];
    const source = {
      fallbackIntervalMs: 200,
      async next() {
        const at = performance.now() + 20;
        const slot = { at, latest: at + 5 };
        slots.push(slot);
        return slot;
      },
      retake: async () => undefined,
      close: async () => undefined,
    };
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    const spacer = new StartSpacer(9.5, { slots: source, observer: { waited: () => busy(8) } });
    const starts: number[] = [];
    await Promise.all(Array.from({ length: 4 }, () => spacer.run(async () => void starts.push(performance.now()))));
    expect(starts).toHaveLength(4);
    // Each start within the window of a slot it was given (the ones whose window passed were given up).
    for (const t of starts) expect(slots.some((s) => t >= s.at && t <= s.latest), `a start at ${t.toFixed(1)} outside every slot: ${JSON.stringify(slots)}`).toBe(true);
  });
});

describe("a slot of the shared budget, on a store that answers after a few ms (a PostgreSQL across a network)", () => {
  it("is never early and never lets a start come later than the budget allows, whatever the clocks' offset within the round trip", async () => {
    const rate = 9.5;
    const interval = 1000 / rate;
    const real = openBudgetStore(join(mkdtempSync(join(tmpdir(), "ayida-slow-slot-")), "ayida.db"));
    const answered: Array<{ slotMs: number; lengthMs: number }> = [];
    // The real store, read at once (its "now" is the budget clock when the reservation is made), with
    // the answer arriving 4 ms later: the budget cannot know the offset between the clocks better than that.
    const slow: SlotStore = {
      dialect: real.dialect,
      location: real.location,
      connect: () => real.connect(),
      async reserve(lengthMs, leadMs) {
        const r = await real.reserve(lengthMs, leadMs);
        answered.push({ slotMs: r.slotMs, lengthMs });
        await new Promise((done) => setTimeout(done, 4));
        return r;
      },
      retake: (end, length, lead) => real.retake(end, length, lead),
      heartbeat: (id, ttl) => real.heartbeat(id, ttl),
      leave: (id) => real.leave(id),
      reset: () => real.reset(),
      close: () => real.close(),
    };
    const budget = new SharedBudget(async () => slow, { ratePerSecond: rate });
    try {
      for (let i = 0; i < 8; i++) {
        const slot = await budget.next();
        expect(slot, `slot ${i}`).toBeDefined();
        // The budget's clock is CLOCK_MONOTONIC; performance.now() is it minus this process's start. Read
        // in that order a pair can only underestimate the offset (by a pause between the reads): the best
        // of a few is exact to microseconds, and errs on the side the tight check below can afford.
        const offset = Math.max(...Array.from({ length: 5 }, () => Number(process.hrtime.bigint()) / 1e6 - performance.now()));
        const { slotMs, lengthMs } = answered.at(-1)!;
        expect(slot!.at + offset, `slot ${i} starts early`).toBeGreaterThanOrEqual(slotMs - 0.1);
        // The next holder may start at slotMs + lengthMs: a start at `latest` must leave it 1/rate − tolerance.
        expect(slot!.latest + offset, `slot ${i} may start too late`).toBeLessThanOrEqual(slotMs + (lengthMs - interval) + toleranceMs(interval) + 0.1);
        // Once the round trip is known, the slot is lengthened so that the window stays open (≥ 1 ms).
        if (i > 0) expect(slot!.latest - slot!.at, `slot ${i}'s window`).toBeGreaterThanOrEqual(1 - 1e-6);
      }
    } finally {
      await budget.close();
    }
  });
});

describe("when the shared store is slow or down", () => {
  const RATE = 20; // fallback alone: 10/s, 100 ms apart

  async function setUp(databaseUrl: string) {
    const logs: Array<[string, string]> = [];
    const events: Array<[boolean, number]> = [];
    const budget = new SharedBudget(async () => openBudgetStore(databaseUrl), {
      ratePerSecond: RATE,
      timeoutMs: 100,
      retryEveryMs: 300,
      log: { info: (_o, m) => void logs.push(["info", m]), warn: (_o, m) => void logs.push(["warn", m]) },
      observer: { fallback: (active, d) => void events.push([active, d.ratePerSecond]) },
    });
    const spacer = new StartSpacer(RATE, { slots: budget });
    await spacer.wait(); // connected, sharing
    const starts: number[] = [];
    const burst = (n: number) => Promise.all(Array.from({ length: n }, () => spacer.run(async () => void starts.push(performance.now()))));
    /** Starts, one at a time, until the budget is shared again (bounded). */
    const untilRecovered = async () => {
      for (let i = 0; i < 40 && budget.fallingBack; i++) await spacer.wait();
    };
    return { logs, events, budget, spacer, starts, burst, untilRecovered };
  }

  const gapsAtLeast = (starts: number[]) => Math.min(...gapsOf(starts));

  it("PostgreSQL: a locked row (slow store) → half the rate on its own, logged once; unlocked → shared again", async () => {
    const databaseUrl = await pgServer().createDatabase();
    await (await Store.open(databaseUrl)).close(); // migrated
    const t = await setUp(databaseUrl);
    const locker = new pg.Client({ connectionString: databaseUrl });
    await locker.connect();
    try {
      await locker.query("BEGIN");
      await locker.query("SELECT * FROM bdns_budget FOR UPDATE");
      await t.burst(8);
      expect(t.budget.fallingBack).toBe(true);
      expect(t.events).toEqual([[true, RATE / 2]]);
      expect(gapsAtLeast(t.starts)).toBeGreaterThanOrEqual(1000 / (RATE / 2) - 2);
      await locker.query("COMMIT");
      await t.untilRecovered();
      expect(t.budget.fallingBack).toBe(false);
      expect(t.events).toEqual([[true, RATE / 2], [false, RATE]]);
      expect(t.logs.map(([level, m]) => `${level}: ${m.split(";")[0]}`)).toEqual(["warn: BDNS budget: the shared store is unavailable", "info: BDNS budget: the shared store answers again"]);
    } finally {
      await locker.end();
      await t.spacer.close();
    }
  }, 30_000);

  it("PostgreSQL: a lock held on the budget row leaves no connections behind — one per process, none waiting past its lock timeout", async () => {
    const databaseUrl = await pgServer().createDatabase();
    await (await Store.open(databaseUrl)).close();
    const t = await setUp(databaseUrl);
    const locker = new pg.Client({ connectionString: databaseUrl });
    const watcher = new pg.Client({ connectionString: databaseUrl });
    await Promise.all([locker.connect(), watcher.connect()]);
    const budgetConnections = async () =>
      (
        await watcher.query<{ n: string; waiting: string }>(
          "SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE wait_event_type = 'Lock' AND now() - query_start > interval '1 second') AS waiting FROM pg_stat_activity WHERE application_name = 'ayida-jobs bdns budget'",
        )
      ).rows[0]!;
    try {
      await locker.query("BEGIN");
      await locker.query("SELECT * FROM bdns_budget FOR UPDATE");
      // Starts keep coming for 3 s (on its own spacing), each fallback retry trying the store again.
      const seen: Array<{ n: number; waiting: number }> = [];
      const started = performance.now();
      const load = (async () => {
        while (performance.now() - started < 3_000) await t.spacer.wait();
      })();
      while (performance.now() - started < 3_000) {
        const c = await budgetConnections();
        seen.push({ n: Number(c.n), waiting: Number(c.waiting) });
        await new Promise((r) => setTimeout(r, 100));
      }
      await load;
      expect(t.budget.fallingBack).toBe(true);
      expect(Math.max(...seen.map((c) => c.n)), JSON.stringify(seen)).toBeLessThanOrEqual(1);
      expect(Math.max(...seen.map((c) => c.waiting)), "a budget statement waited on the lock for more than 1 s").toBe(0);
      await locker.query("COMMIT");
      await t.untilRecovered();
      expect(t.budget.fallingBack).toBe(false);
    } finally {
      await locker.end();
      await watcher.end();
      await t.spacer.close();
    }
  }, 30_000);

  it("PostgreSQL: the connection killed and the database refusing new ones → on its own until it accepts them", async () => {
    const databaseUrl = await pgServer().createDatabase();
    await (await Store.open(databaseUrl)).close();
    const t = await setUp(databaseUrl);
    const name = new URL(databaseUrl).pathname.slice(1);
    const admin = new pg.Client({ connectionString: databaseUrl.replace(/\/[^/]+$/, "/postgres") });
    await admin.connect();
    const kill = () => admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ayida-jobs bdns budget'");
    try {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      expect((await kill()).rowCount).toBe(1);
      await t.burst(6);
      expect(t.events).toEqual([[true, RATE / 2]]);
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      await t.untilRecovered();
      expect(t.events).toEqual([[true, RATE / 2], [false, RATE]]);
    } finally {
      await admin.end();
      await t.spacer.close();
    }
  }, 30_000);

  it("SQLite: another connection holding the budget file's write lock → on its own; released → shared again", async () => {
    const databaseUrl = join(mkdtempSync(join(tmpdir(), "ayida-budget-")), "ayida.db");
    const t = await setUp(databaseUrl);
    const locker = new SQLite(`${databaseUrl}.budget`);
    try {
      locker.exec("BEGIN IMMEDIATE");
      await t.burst(8);
      expect(t.events).toEqual([[true, RATE / 2]]);
      expect(gapsAtLeast(t.starts)).toBeGreaterThanOrEqual(1000 / (RATE / 2) - 2);
      locker.exec("COMMIT");
      await t.untilRecovered();
      expect(t.events).toEqual([[true, RATE / 2], [false, RATE]]);
    } finally {
      locker.close();
      await t.spacer.close();
    }
  }, 30_000);
});

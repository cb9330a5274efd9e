/**
 * Following a run (src/runs/wait.ts) against a scripted source and a virtual clock: each way it ends,
 * the pick-up check that compares the store's own activity (never the local clock), reads that fail for
 * a while, and a source that refuses.
 */
import { describe, expect, it } from "vitest";
import { RunSourceError } from "../../src/runs/errors.js";
import type { RunSource } from "../../src/runs/source.js";
import { summarize, type RunState } from "../../src/runs/state.js";
import { READ_ERROR_GRACE_MS, waitForRun } from "../../src/runs/wait.js";

const NOW = new Date("2026-11-28T03:00:00.000Z");
const row = (over: Record<string, unknown> = {}) =>
  ({ run_id: "r", dataset: "convocatorias", kind: "detail", window_from: null, window_to: null, started_at: NOW.toISOString(), finished_at: null, status: "running", retry_of: null, pieces: 0, pieces_done: 0, listed: 0, queued: 0, fetched: 0, new: 0, changed: 0, unchanged: 0, removed: 0, failed: 0, documents_stored: 0, ...over }) as never;
const group = (state: string, n = 1) => ({ run_id: "r", dataset: "convocatorias", kind: "detail", state, n, max_attempt: null, max_attempts: null, next_attempt_at: null, last_update: NOW.toISOString() }) as never;
const full = (s: ReturnType<typeof summarize>): RunState => ({ ...s, failing: [], failingOmitted: 0, failures: [], failuresOmitted: 0, heldRemovals: [] });
const PENDING = full(summarize("r", [], [], [], NOW));
const RUNNING = full(summarize("r", [row()], [group("queued")], [], NOW));
const DONE = full(summarize("r", [row()], [group("stored")], [], NOW));
const FAILED = full(summarize("r", [row()], [group("failed")], [], NOW));

/** A source that answers from a script (one state per read, the last repeating) and a clock it advances. */
function scripted(states: Array<RunState | Error>, activity: Array<string | null> = [null]) {
  let t = 0;
  let reads = 0;
  let activityReads = 0;
  const source: RunSource = {
    kind: "store",
    where: "store test",
    async run() {
      const s = states[Math.min(reads++, states.length - 1)]!;
      if (s instanceof Error) throw s;
      return s;
    },
    async list() {
      return { runs: [], lastActivityAt: null };
    },
    async lastActivity() {
      return activity[Math.min(activityReads++, activity.length - 1)] ?? null;
    },
    async close() {},
  };
  return { source, now: () => t, sleep: async (ms: number) => void (t += ms), reads: () => reads, elapsed: () => t };
}

const base = { runId: "r", baseline: null, pickupMs: 60_000, pollMs: 1000 };

describe("waitForRun", () => {
  it("ends when the run is done: succeeded or failed", async () => {
    const a = scripted([RUNNING, RUNNING, DONE]);
    expect(await waitForRun({ ...base, ...a })).toMatchObject({ outcome: "succeeded" });
    expect(a.reads()).toBe(3);
    const b = scripted([RUNNING, FAILED]);
    expect(await waitForRun({ ...base, ...b })).toMatchObject({ outcome: "failed", state: { state: "failed" } });
  });

  it("gives up at the timeout with the last state read", async () => {
    const a = scripted([RUNNING]);
    const r = await waitForRun({ ...base, ...a, timeoutMs: 5500 });
    expect(r).toMatchObject({ outcome: "timeout", state: { state: "running" } });
    expect(a.elapsed()).toBe(5500);
  });

  it("never picked up: pending past the grace period while the store's activity has not moved since before the send", async () => {
    const a = scripted([PENDING], ["2026-11-28T02:00:00.000Z"]);
    const r = await waitForRun({ ...base, ...a, baseline: "2026-11-28T02:00:00.000Z", pickupMs: 3000 });
    expect(r).toMatchObject({ outcome: "not-picked-up", state: { state: "pending" } });
    expect(a.elapsed()).toBe(3000);
  });

  it("queued behind moving work: it keeps waiting, checks again each grace period, and stops once the store goes quiet", async () => {
    const queued: string[] = [];
    const a = scripted([PENDING], ["t1", "t2", "t2"]);
    const r = await waitForRun({ ...base, ...a, baseline: "t0", pickupMs: 3000, onQueued: (s) => queued.push(s.runId) });
    expect(r.outcome).toBe("not-picked-up");
    expect(queued).toEqual(["r", "r"]);
    expect(a.elapsed()).toBe(9000);
  });

  it("a run picked up late is not 'never picked up'", async () => {
    const a = scripted([PENDING, PENDING, RUNNING, RUNNING, RUNNING, DONE]);
    expect((await waitForRun({ ...base, ...a, pickupMs: 2000 })).outcome).toBe("succeeded");
  });

  it("--wait's expectations: done only when what was sent is seen", async () => {
    const a = scripted([DONE]);
    const r = await waitForRun({ ...base, ...a, expected: [{ dataset: "convocatorias", kind: "detail", count: 2 }], timeoutMs: 3000 });
    expect(r).toMatchObject({ outcome: "timeout", state: { state: "running", awaiting: [{ kind: "detail", expected: 2, seen: 1 }] } });
  });

  it("reads that fail are retried for a while (a restart, a failover), then the error ends the wait", async () => {
    const errors: string[] = [];
    const down = new RunSourceError("cannot reach the server", "unavailable");
    const a = scripted([down, down, RUNNING, DONE]);
    expect((await waitForRun({ ...base, ...a, onReadError: (e) => errors.push(e.message) })).outcome).toBe("succeeded");
    expect(errors).toEqual(["cannot reach the server", "cannot reach the server"]);
    const b = scripted([down]);
    await expect(waitForRun({ ...base, ...b })).rejects.toBe(down);
    expect(b.elapsed()).toBe(READ_ERROR_GRACE_MS);
  });

  it("a source that refuses (401) ends the wait at once; so does anything that is not a source error", async () => {
    const refused = new RunSourceError("refused CRON_SECRET (401)", "refused");
    await expect(waitForRun({ ...base, ...scripted([refused]) })).rejects.toBe(refused);
    const bug = new TypeError("bug");
    await expect(waitForRun({ ...base, ...scripted([bug]) })).rejects.toBe(bug);
  });

  it("a slow read stretches the interval: a huge run is not re-counted back to back", async () => {
    let t = 0;
    const slept: number[] = [];
    const source = scripted([RUNNING, RUNNING, DONE]).source;
    const run = source.run.bind(source);
    source.run = async (id) => {
      t += 800; // each read takes 800 ms
      return run(id);
    };
    await waitForRun({ ...base, source, pollMs: 1000, now: () => t, sleep: async (ms) => void (slept.push(ms), (t += ms)) });
    expect(slept).toEqual([3200, 3200]);
  });
});

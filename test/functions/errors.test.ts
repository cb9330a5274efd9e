/**
 * A failure inside a step → Inngest's retry decision, and what the store knows of it at once. Each
 * test works on its own run, so each stands alone.
 */
import { NonRetriableError, RetryAfterError } from "inngest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BdnsError } from "../../src/adapters/bdns/errors.js";
import { Store, workItem } from "../../src/adapters/store/store.js";
import { toJobError } from "../../src/functions/errors.js";
import { retryDelayMs } from "../../src/functions/flow.js";
import { parseEnv, retryBackoffMs } from "../../src/config/env.js";

let store: Store;
let n = 0;
beforeAll(async () => {
  store = await Store.open(join(mkdtempSync(join(tmpdir(), "ayida-err-")), "db.sqlite"));
});
afterAll(() => store.close());

/** A fresh run with its row, so counters can be read. */
async function freshRun(): Promise<string> {
  const runId = `r${++n}`;
  await store.ensureRun(runId, "detail");
  return runId;
}

const NOW = new Date("2026-11-28T10:00:00.000Z");
const at = (runId: string, attempt = 0) => ({ runId, item: workItem.detail("900000"), attempt, maxAttempts: 6 });

describe("failure → Inngest's retry decision", () => {
  it.each([
    ["429 asking for longer than the schedule (Retry-After: 600 s)", new BdnsError("RATE_LIMITED", "429", { retryAfterMs: 600_000 }), "600"],
    ["maintenance", new BdnsError("MAINTENANCE", "mant"), "60"],
  ])("%s → RetryAfterError(%s s), recorded as failing with that time", async (_name, err, seconds) => {
    const runId = await freshRun();
    const e = await toJobError(err, store, at(runId), NOW);
    expect(e).toBeInstanceOf(RetryAfterError);
    expect((e as RetryAfterError).retryAfter).toBe(seconds);
    expect(await store.getItem(runId, workItem.detail("900000"))).toMatchObject({
      state: "failing",
      attempt: 1,
      max_attempts: 6,
      failure: err.failure,
      next_attempt_at: new Date(NOW.getTime() + Number(seconds) * 1000).toISOString(),
    });
  });

  it.each(["SERVER", "NETWORK", "TIMEOUT", "TRUNCATED"] as const)("%s → retried on our schedule; attempt n of m, why and when, visible at once", async (failure) => {
    const runId = await freshRun();
    const e = await toJobError(new BdnsError(failure, `/convocatorias: ${failure}`), store, at(runId, 2), NOW);
    expect(e).toBeInstanceOf(RetryAfterError);
    const delayS = Number((e as RetryAfterError).retryAfter);
    expect(delayS).toBeGreaterThanOrEqual(48); // attempt 3 of the schedule: 1 min ± 20 %
    expect(delayS).toBeLessThanOrEqual(72);
    expect(await store.getItem(runId, workItem.detail("900000"))).toMatchObject({
      state: "failing",
      attempt: 3,
      max_attempts: 6,
      failure,
      reason: `/convocatorias: ${failure}`,
      next_attempt_at: new Date(NOW.getTime() + delayS * 1000).toISOString(),
    });
    expect((await store.getRun(runId))!.failed).toBe(0); // failing is not failed
  });

  it("the last attempt says no further attempt is due", async () => {
    const runId = await freshRun();
    await toJobError(new BdnsError("SERVER", "500"), store, at(runId, 5), NOW);
    expect(await store.getItem(runId, workItem.detail("900000"))).toMatchObject({ state: "failing", attempt: 6, max_attempts: 6, next_attempt_at: null });
  });

  it("an error that is not BDNS's (a bug, the disk) is retried the same way, named by its class", async () => {
    const runId = await freshRun();
    const e = await toJobError(new RangeError("disk full"), store, at(runId), NOW);
    expect(e).toBeInstanceOf(RetryAfterError);
    expect(await store.getItem(runId, workItem.detail("900000"))).toMatchObject({ state: "failing", failure: "RangeError", reason: "disk full" });
  });

  it.each(["VALIDATION", "NOT_FOUND", "UNKNOWN_DOCUMENT", "BROKEN_RECORD"] as const)("%s → NonRetriableError, failed for good, recorded and counted once", async (failure) => {
    const runId = await freshRun();
    const e = await toJobError(new BdnsError(failure, `why ${failure}`), store, at(runId), NOW);
    expect(e).toBeInstanceOf(NonRetriableError);
    await toJobError(new BdnsError(failure, `again ${failure}`), store, at(runId), NOW);
    expect(await store.getFailures(runId)).toEqual([expect.objectContaining({ bdns: "900000", document_id: "", failure, reason: `why ${failure}` })]);
    expect(await store.getItem(runId, workItem.detail("900000"))).toMatchObject({ state: "failed", failure, reason: `why ${failure}` });
    expect((await store.getRun(runId))!.failed).toBe(1);
  });
});

describe("with the store down too (a restart, a failover)", () => {
  it("still hands Inngest a retry on our schedule: transient or permanent, nothing is lost that the next attempt cannot record", async () => {
    const down = await Store.open(join(mkdtempSync(join(tmpdir(), "ayida-err-")), "db.sqlite"));
    await down.close(); // every write now fails, as a database that went away does
    for (const err of [new BdnsError("SERVER", "500"), new RangeError("connection lost"), new BdnsError("NOT_FOUND", "204")]) {
      const e = await toJobError(err, down, at("down"), NOW);
      expect(e, err.message).toBeInstanceOf(RetryAfterError);
      expect(e, err.message).not.toBeInstanceOf(NonRetriableError);
    }
  });
});

describe("the retry schedule", () => {
  it("RETRY_BACKOFF replaces it: durations separated by commas, the last repeats; a bad one names the rule", () => {
    const env = parseEnv({ RETRY_BACKOFF: "1s, 2s,500ms" });
    const backoff = retryBackoffMs(env)!;
    expect(backoff).toEqual([1000, 2000, 500]);
    expect([0, 1, 2, 7].map((a) => retryDelayMs(new BdnsError("SERVER", "x"), a, () => 0.5, backoff))).toEqual([1000, 2000, 1000, 1000]);
    expect(() => parseEnv({ RETRY_BACKOFF: "soon" })).toThrow(/RETRY_BACKOFF: must be durations separated by commas/);
  });

  it("a 429 waits what BDNS asked or our schedule, whichever is later: its 1 s Retry-After would spend five attempts in seconds", () => {
    const limited = (retryAfterMs?: number) => new BdnsError("RATE_LIMITED", "429", retryAfterMs === undefined ? {} : { retryAfterMs });
    expect([0, 1, 2, 4].map((a) => retryDelayMs(limited(1000), a, () => 0.5))).toEqual([10_000, 30_000, 60_000, 300_000]);
    expect([0, 3].map((a) => retryDelayMs(limited(), a, () => 0.5))).toEqual([10_000, 120_000]);
    expect(retryDelayMs(limited(90_000), 0, () => 0.5)).toBe(90_000);
    expect(retryDelayMs(limited(1000), 0, () => 0)).toBe(8_000); // jittered like the rest
  });

  it("grows 10 s, 30 s, 1 min, 2 min, 5 min, then stays; jitter ±20 %; whole seconds", () => {
    const at = (attempt: number, r: number) => retryDelayMs(new BdnsError("SERVER", "x"), attempt, () => r);
    expect([0, 1, 2, 3, 4, 9].map((a) => at(a, 0.5))).toEqual([10_000, 30_000, 60_000, 120_000, 300_000, 300_000]);
    expect(at(0, 0)).toBe(8_000);
    expect(at(0, 0.999)).toBe(12_000);
    expect(at(1, 0.37) % 1000).toBe(0);
  });
});

/**
 * The engine's record (src/adapters/inngest/engine-record.ts): how it authenticates to Inngest's REST
 * API in cloud mode (the signing key hashed as a Bearer token, the fallback key during a rotation),
 * what it does without one, and what a list of runs means — against the loopback Inngest that
 * checks the key as the real server does, and runs as the Dev Server was observed to list them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineRecordError, openEngineRecord, verdictOf, type EngineRecord } from "../../src/adapters/inngest/engine-record.js";
import { parseEnv } from "../../src/config/env.js";
import { startFakeInngest, type FakeInngest } from "../support/inngest-api.js";

const KEY = "signkey-prod-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const OLD_KEY = "signkey-prod-fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

let inngest: FakeInngest;
beforeAll(async () => {
  inngest = await startFakeInngest({ signingKey: KEY });
});
afterAll(() => inngest.close());

const open = (env: Record<string, string>): EngineRecord => {
  const r = openEngineRecord(parseEnv(env));
  if ("unavailable" in r) throw new Error(r.unavailable);
  return r;
};
const window = { name: "convocatorias/detail.requested", after: "2026-11-28T00:00:00.000Z", before: "2026-11-29T00:00:00.000Z" };

describe("authentication", () => {
  it("cloud mode: the signing key, hashed, as a Bearer token; the key itself never goes over the wire", async () => {
    inngest.requests.length = 0;
    await expect(open({ INNGEST_BASE_URL: inngest.url, INNGEST_SIGNING_KEY: KEY }).events(window)).resolves.toEqual([]);
    const [req] = inngest.requests;
    expect(req).toMatchObject({ method: "GET", path: "/v1/events", authorization: expect.stringMatching(/^Bearer signkey-prod-[0-9a-f]{64}$/) });
    expect(req!.authorization).not.toContain(KEY.slice("signkey-prod-".length));
  });

  it("during a rotation: a key Inngest refuses is followed by the fallback key, which is then kept", async () => {
    inngest.requests.length = 0;
    const record = open({ INNGEST_BASE_URL: inngest.url, INNGEST_SIGNING_KEY: OLD_KEY, INNGEST_SIGNING_KEY_FALLBACK: KEY });
    await record.events(window);
    await record.events(window);
    expect(inngest.requests.map((r) => r.authorization === inngest.requests[1]!.authorization)).toEqual([false, true, true]);
  });

  it("a key Inngest refuses is an error that says so; an engine that does not answer is another", async () => {
    const refused = open({ INNGEST_BASE_URL: inngest.url, INNGEST_SIGNING_KEY: OLD_KEY }).events(window);
    await expect(refused).rejects.toBeInstanceOf(EngineRecordError);
    await expect(refused).rejects.toMatchObject({ reason: "refused", message: expect.stringContaining("refused the signing key (401)") });
    await expect(open({ INNGEST_DEV: "http://127.0.0.1:9" }).runsOf("01X")).rejects.toMatchObject({ reason: "unreachable" });
  });

  it("cloud mode without a signing key cannot ask, and says why; dev mode needs none", async () => {
    expect(openEngineRecord(parseEnv({ INNGEST_EVENT_KEY: "ek" }))).toEqual({ unavailable: expect.stringContaining("INNGEST_SIGNING_KEY is not set") });
    const dev = await startFakeInngest();
    try {
      await open({ INNGEST_DEV: dev.url }).events(window);
      expect(dev.requests).toEqual([expect.objectContaining({ path: "/v1/events" })]);
      expect(dev.requests[0]!.authorization).toBeUndefined();
    } finally {
      await dev.close();
    }
  });

});

describe("what an event's runs say", () => {
  const run = (status: string, endedAt: string | null = "2026-11-28T03:00:00Z", error: string | null = null) => ({ runId: `r-${status}`, status, endedAt, error });
  it.each([
    [[], { kind: "none" }],
    [[run("Scheduled", null)], { kind: "going" }],
    [[run("Running", null)], { kind: "going" }],
    // The Dev Server lists a run between attempts as Failed without an end time.
    [[run("Failed", null, "Unable to reach SDK URL")], { kind: "going" }],
    [[run("Failed", undefined, "Unable to reach SDK URL")], { kind: "ended", status: "failed", runId: "r-Failed", error: "Unable to reach SDK URL" }],
    [[run("Cancelled")], { kind: "ended", status: "cancelled", runId: "r-Cancelled", error: null }],
    [[run("Failed"), run("Completed")], { kind: "completed" }],
    [[run("Failed"), run("Running", null)], { kind: "going" }],
  ])("%j → %j", (runs, verdict) => {
    expect(verdictOf(runs)).toEqual(verdict);
  });
});

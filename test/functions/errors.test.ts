import { NonRetriableError, RetryAfterError } from "inngest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BdnsError } from "../../src/adapters/bdns/errors.js";
import { Store } from "../../src/adapters/store/store.js";
import { toJobError } from "../../src/functions/errors.js";

let store: Store;
beforeAll(async () => {
  store = await Store.open(join(mkdtempSync(join(tmpdir(), "ayida-err-")), "db.sqlite"));
  await store.ensureRun("r", "detail");
});
afterAll(() => store.close());

describe("failure → Inngest's retry decision", () => {
  it.each([
    [new BdnsError("RATE_LIMITED", "429", { retryAfterMs: 3000 }), RetryAfterError, "3"],
    [new BdnsError("RATE_LIMITED", "429"), RetryAfterError, "10"],
    [new BdnsError("MAINTENANCE", "mant"), RetryAfterError, "60"],
  ])("%s → RetryAfterError(%s s)", async (err, cls, seconds) => {
    const e = await toJobError(err, store, { runId: "r", bdns: "1" });
    expect(e).toBeInstanceOf(cls);
    expect((e as RetryAfterError).retryAfter).toBe(seconds);
  });

  it.each(["SERVER", "NETWORK", "TIMEOUT", "TRUNCATED"] as const)("%s → rethrown for Inngest's backoff", async (failure) => {
    const err = new BdnsError(failure, "x");
    expect(await toJobError(err, store, { runId: "r", bdns: "1" })).toBe(err);
  });

  it.each(["VALIDATION", "NOT_FOUND", "UNKNOWN_DOCUMENT", "BROKEN_RECORD"] as const)("%s → NonRetriableError, recorded once", async (failure) => {
    const e = await toJobError(new BdnsError(failure, `why ${failure}`), store, { runId: "r", bdns: failure });
    expect(e).toBeInstanceOf(NonRetriableError);
    await toJobError(new BdnsError(failure, `why ${failure}`), store, { runId: "r", bdns: failure });
    expect((await store.getFailures("r")).filter((f) => f.bdns === failure)).toEqual([expect.objectContaining({ failure, reason: `why ${failure}` })]);
  });

  it("counts each recorded failure once", async () => {
    expect((await store.getRun("r"))!.failed).toBe(4);
  });
});

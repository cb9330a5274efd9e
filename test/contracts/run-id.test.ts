/** A new run's id (src/contracts/run-id.ts): a random version-4 UUID, from the OS or, failing that, Web Crypto. */
import { afterEach, describe, expect, it, vi } from "vitest";

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

afterEach(() => {
  vi.doUnmock("node:fs");
  vi.resetModules();
});

describe("randomRunId", () => {
  it("is a version-4 UUID, and 10,000 of them are distinct with every random digit varying", async () => {
    const { randomRunId } = await import("../../src/contracts/run-id.js");
    const ids = Array.from({ length: 10_000 }, randomRunId);
    for (const id of ids) expect(id).toMatch(V4);
    expect(new Set(ids).size).toBe(ids.length);
    // Each of the 30 fully random hex positions takes all 16 values somewhere in 10,000 ids.
    const hex = ids.map((id) => id.replace(/-/g, ""));
    for (let i = 0; i < 32; i++) {
      if (i === 12 || i === 16) continue; // the version digit and the variant's
      expect(new Set(hex.map((h) => h[i])).size, `hex digit ${i}`).toBe(16);
    }
  });

  it("without /dev/urandom, still a version-4 UUID (Web Crypto's)", async () => {
    vi.doMock("node:fs", async (orig) => ({
      ...(await orig<typeof import("node:fs")>()),
      openSync: () => {
        throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
      },
    }));
    const spy = vi.spyOn(globalThis.crypto, "randomUUID");
    const { randomRunId } = await import("../../src/contracts/run-id.js");
    expect(randomRunId()).toMatch(V4);
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });

  it("a regular file where the random source should be is not taken for one (every run would get its bytes)", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const fake = join(mkdtempSync(join(tmpdir(), "ayida-urandom-")), "urandom");
    writeFileSync(fake, "A".repeat(64));
    const { randomRunIdFrom } = await import("../../src/contracts/run-id.js");
    const ids = [randomRunIdFrom(fake), randomRunIdFrom(fake)];
    for (const id of ids) expect(id).toMatch(V4);
    expect(ids[0]).not.toBe(ids[1]);
    expect(ids[0]).not.toContain("4141");
  });
});

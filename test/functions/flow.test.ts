/**
 * The flow control every function registers (flow.ts): the budget is the shared spacer's, so no
 * function may hold a static share of it; Inngest only bounds bursts, fan-out and steps in flight.
 * The Dev Server rejects a third concurrency entry and then registers no function at all.
 */
import { describe, expect, it } from "vitest";
import { createInngestClient } from "../../src/config/client.js";
import { parseEnv } from "../../src/config/env.js";
import { POOLS } from "../../src/functions/flow.js";
import { createFunctions } from "../../src/functions/index.js";
import type { JobDeps } from "../../src/functions/deps.js";

type Opts = { id: string; concurrency: Array<{ key?: string; scope?: string; limit: number }>; throttle: { limit: number; period: string } };
const fns = createFunctions(createInngestClient(parseEnv({ INNGEST_DEV: "1" })), {} as JobDeps).map((f) => (f as unknown as { opts: Opts }).opts);
const pageFunctions = ["create-convocatoria-jobs", "process-sync-piece", ...fns.map((o) => o.id).filter((id) => id.startsWith("sync-"))];

describe("flow control", () => {
  it("every function: two concurrency entries, per run and then the env-wide pool of its kind of BDNS work", () => {
    for (const o of fns) {
      expect(o.concurrency, o.id).toHaveLength(2);
      expect(o.concurrency[0], o.id).toMatchObject({ key: "event.data.runId" });
      expect(o.concurrency[1], o.id).toEqual(pageFunctions.includes(o.id) ? POOLS.pages : POOLS.items);
    }
    // Details, documents and plans never wait for a page's slot: pages have a pool of their own.
    expect(fns.filter((o) => o.concurrency[1] === POOLS.items).map((o) => o.id)).toEqual(
      expect.arrayContaining(["process-convocatoria-detail", "process-document-storage", "planes-estrategicos-detail", "planes-estrategicos-document"]),
    );
  });

  it("throttles bound bursts at the budget's ceiling, never a static share of it", () => {
    for (const o of fns.filter((o) => o.id !== "create-convocatoria-jobs")) expect(o.throttle, o.id).toMatchObject({ limit: 10, period: "1s" });
  });
});

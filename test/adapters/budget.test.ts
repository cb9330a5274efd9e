/**
 * One BDNS budget shared by several processes through the store: real child processes contending on one
 * SQLite file and on the throwaway PostgreSQL, real HTTP to a loopback BDNS that notes when each request
 * arrived.
 *
 * Two measures, two tolerances:
 * - where a start is decided (each child notes it on the clock the machine's processes share): the
 *   budget's own promise, any two starts ≥ 1/rate − 2 ms apart (budget.ts), + 0.5 ms for comparing
 *   clocks across processes;
 * - where requests arrive (the loopback server): the same, plus what the machine adds between the
 *   write and the server's reading it. On these 2-core machines, with other suites running, that was
 *   measured at p99 5–25 ms and at worst ~50 ms (a process not scheduled): so ≥ 1/rate − 60 ms.
 *   Three processes spacing only themselves put requests ~0 ms apart, which this still tells at once.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeDataset, startFakeBdns } from "../support/bdns-server.js";
import { startChild } from "../support/children.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";

let pgServer: TestPostgres;
beforeAll(async () => {
  pgServer = await startPostgres();
}, 60_000);
afterAll(() => pgServer?.stop());

const PROCESSES = 3;
const REQUESTS = 210;
const RATE = 10; // 100 ms apart: a few hundred requests in ~21 s
const DECIDED_TOLERANCE_MS = 2.5;
const ARRIVAL_TOLERANCE_MS = 60;

const gapsOf = (at: number[]) => at.slice(1).map((t, i) => t - at[i]!);

describe.each(["sqlite", "postgres"] as const)(`the shared budget on %s, ${PROCESSES} child processes`, (dialect) => {
  it(`keeps starts ≥ 1/rate − ${DECIDED_TOLERANCE_MS} ms apart, and arrivals at the server ≥ 1/rate − ${ARRIVAL_TOLERANCE_MS} ms, over ${REQUESTS} requests`, async () => {
    const databaseUrl = dialect === "sqlite" ? join(mkdtempSync(join(tmpdir(), "ayida-budget-")), "ayida.db") : await pgServer.createDatabase();
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
      const results = await Promise.all(children.map(async (c) => JSON.parse(await c.line()) as { done: number; failures: string[]; fallbacks: boolean[]; starts: number[] }));

      expect(results.map((r) => [r.done, r.failures, r.fallbacks])).toEqual(Array.from({ length: PROCESSES }, () => [share, [], []]));
      expect(bdns.requests).toHaveLength(REQUESTS);
      const decided = results.flatMap((r) => r.starts).sort((a, b) => a - b);
      expect(decided).toHaveLength(REQUESTS);
      expect(Math.min(...gapsOf(decided))).toBeGreaterThanOrEqual(1000 / RATE - DECIDED_TOLERANCE_MS);
      expect(Math.min(...gapsOf(bdns.requests.map((r) => r.at)))).toBeGreaterThanOrEqual(1000 / RATE - ARRIVAL_TOLERANCE_MS);
    } finally {
      await bdns.close();
    }
  }, 90_000);
});

/**
 * The shared BDNS budget on the real engine: two `serve` instances behind one app URL (a round-robin
 * balancer the Dev Server syncs and calls), one SQLite store — so one budget file, `<db>.budget` — and a
 * BDNS stand-in that answers 429 to any start making more than 10 in a sliding second, as BDNS does.
 * A sync with enough work to keep both instances asking at once (a listing, 40 details, 40 documents:
 * either instance alone would start 9.5 a second, together 19 without the shared budget) must draw
 * no 429 at all, and both instances must have done part of the work.
 *
 * The Dev Server syncs one URL per app; two instances are two backends of that URL, as behind a
 * production load balancer. Which instance asked BDNS is told by each one's BDNS_API_URL
 * (`…/serve-a/api`, `…/serve-b/api`).
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { makeDataset } from "../support/bdns-server.js";
import { expectDetailsStored, expectDocumentsIntact, tooMany } from "./support/checks.js";
import { startDeployment, type Deployment } from "./support/deployment.js";
import { waitForPipeline } from "./support/pipeline.js";

const dataset = makeDataset(40, { firstDate: "2026-11-02", perDay: 8, docs: 1, light: true }); // 5 days: one piece

let d: Deployment;
beforeAll(async () => {
  d = await startDeployment({ dataset, instances: 2, minGapMs: 0, maxPerSecond: 10 });
});
afterAll(() => d?.close());

/**
 * The most request arrivals certainly within one second (a window ending at each arrival): a request
 * counts when even its earliest possible arrival is inside the window, as the stand-in judges 429s.
 */
function busiestSecond(requests: Array<{ at: number; earliest: number }>): number {
  let most = 0;
  for (const r of requests) most = Math.max(most, requests.filter((o) => o.at <= r.at && o.earliest > r.at - 1000).length);
  return most;
}

it("two instances sharing one SQLite budget: every record and document stored, zero 429s, both instances at work", async () => {
  const sent = await d.cli(["sync", "convocatorias", "--from", "2026-11-02", "--to", "2026-11-06", "--run-id", "budget", "--json"]);
  expect(sent.code, sent.stderr).toBe(0);
  await waitForPipeline(d.store, "budget", { details: 40, documents: 40, failures: 0 }, 90_000, d.diagnose);
  await d.dev.waitUntilIdle();

  expectDetailsStored(d.store, dataset);
  expectDocumentsIntact(d.store, dataset);
  expect(d.store.run("budget")).toMatchObject({ status: "succeeded", listed: 40, new: 40, failed: 0, documents_stored: 40 });

  const requests = (await d.bdns.requests()).sort((a, b) => a.at - b.at);
  const at = requests.map((r) => r.at);
  const seconds = (at.at(-1)! - at[0]!) / 1000;
  const rate = (requests.length - 1) / seconds;
  const perInstance = { "serve-a": requests.filter((r) => r.via === "serve-a").length, "serve-b": requests.filter((r) => r.via === "serve-b").length };
  const busiest = busiestSecond(requests);
  // Recorded in the run's output: what the budget did with the work.
  console.info(`BDNS budget, two instances: ${requests.length} requests in ${seconds.toFixed(1)} s = ${rate.toFixed(2)}/s; busiest second ${busiest}; by instance ${JSON.stringify(perInstance)}; 429s ${tooMany(requests).length}; engine calls by backend ${JSON.stringify(d.balancer!.handled())}`);

  expect(requests).toHaveLength(81); // one listing, 40 details, 40 documents: nothing asked twice
  expect(tooMany(requests), "requests BDNS refused (more than 10 starts in a sliding second)").toEqual([]);
  expect(busiest).toBeLessThanOrEqual(10);
  // Both instances asked BDNS (each from the functions the engine ran on it) — the budget was shared,
  // not used by one instance alone — and the work was enough to press on it: it ran near the budget's rate.
  expect(perInstance["serve-a"] + perInstance["serve-b"]).toBe(requests.length);
  expect(Math.min(perInstance["serve-a"], perInstance["serve-b"])).toBeGreaterThanOrEqual(10);
  expect(busiest).toBeGreaterThanOrEqual(8);
  expect(rate).toBeLessThanOrEqual(9.5 * 1.05);
  // The budget both shared: the file beside the database.
  expect(existsSync(`${d.store.databaseFile}.budget`)).toBe(true);
});

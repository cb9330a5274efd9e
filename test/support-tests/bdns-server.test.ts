/**
 * The loopback BDNS's burst rules (test/support/bdns-server.ts) judge when requests reached it, not
 * when its event loop got round to them. A process on a loaded machine waits for a core now and then:
 * captured on loopback, requests that reached the kernel ≥ 95 ms apart (any eleven ≥ 1,051 ms apart)
 * were stamped by the stand-in up to 47–78 ms late, and a late stamp on the first request of a
 * sliding second squeezes that second: a 429 the client never caused (the budget engine case: 82
 * requests for 81, the 429's retry).
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterEach, expect, it } from "vitest";
import { startFakeBdns, type FakeBdns } from "../support/bdns-server.js";

let bdns: FakeBdns | undefined;
afterEach(() => bdns?.close());

/** Another process that sends two requests `gapMs` apart once told "go" (stdin). */
function sender(url: string, gapMs: number) {
  const script = `
    const http = require("node:http");
    const get = (p) => http.get(${JSON.stringify(url)} + p, (r) => r.resume());
    process.stdin.once("data", () => { get("/convocatorias?numConv=1"); setTimeout(() => get("/convocatorias?numConv=2"), ${gapMs}); });
    console.log("ready");`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["pipe", "pipe", "inherit"] });
  const ready = new Promise<void>((r) => createInterface({ input: child.stdout }).once("line", () => r()));
  return { child, ready, go: () => child.stdin.write("go\n") };
}

it("a request stamped late because the stand-in was busy does not make the next one look like a burst", async () => {
  bdns = await startFakeBdns({ maxPerSecond: 1, minGapMs: 1000 });
  const s = sender(bdns.url, 1100);
  await s.ready;
  s.go();
  // The stand-in's event loop is blocked while the first request arrives: it is stamped ~1 s late,
  // 100 ms before the second, which the sender started 1,100 ms after the first.
  const until = performance.now() + 1000;
  while (performance.now() < until);
  await expect.poll(() => bdns!.requests.length, { timeout: 5000 }).toBe(2);
  await new Promise((r) => s.child.once("exit", r).kill());
  expect(bdns.requests[1]!.at - bdns.requests[0]!.at).toBeLessThan(1000); // what the stamps alone say
  expect(bdns.requests.map((r) => r.status)).toEqual([204, 204]);
});

it("a burst is still a burst: two requests 100 ms apart at 1 per second, the second refused", async () => {
  bdns = await startFakeBdns({ maxPerSecond: 1 });
  const s = sender(bdns.url, 100);
  await s.ready;
  s.go();
  await expect.poll(() => bdns!.requests.length, { timeout: 5000 }).toBe(2);
  await new Promise((r) => s.child.once("exit", r).kill());
  expect(bdns.requests.map((r) => r.status)).toEqual([204, 429]);
});

/**
 * The BDNS stand-in (test/support/bdns-server.ts) as a process of its own, for the engine suite.
 * It judges "too close to the previous request" (429) by when each request reaches it, so it must not
 * share an event loop with the test: a test busy polling the store delayed arrivals into bunches and
 * drew 429s the real client never caused. It runs here alone, and the test drives it over a control
 * port: POST /fault {on, replies} adds faults, POST /noise {noise, seed} turns the ten datasets' noise
 * on or off, POST /mutate {DatasetMutation} changes their data, GET /requests returns what arrived.
 *   node bdns-stand-in.mjs <settings.json>   (bundled by bdns-child.ts; settings: StandInSettings)
 * With `datasets` (bdns-datasets.ts's options, JSON) it serves the ten other datasets too, built from
 * the same options the test builds its own copy from (the fixture is deterministic).
 * Prints one JSON line {url, control} when both ports listen.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { makeDatasetsFixture } from "../../support/bdns-datasets.js";
import { startFakeBdns, type FaultReply } from "../../support/bdns-server.js";
import type { FaultMatch, StandInRequest, StandInSettings } from "./bdns-child.js";
import { applyMutation, type DatasetMutation } from "./stand-in-mutations.js";

const settings = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as StandInSettings;
const datasets = settings.datasets && makeDatasetsFixture(settings.datasets);
const bdns = await startFakeBdns({
  dataset: settings.dataset,
  minGapMs: settings.minGapMs,
  ...(settings.maxPerSecond && { maxPerSecond: settings.maxPerSecond }),
  ...(datasets && { datasets }),
});

const control = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    if (req.method === "POST" && req.url === "/fault") {
      const { on, replies } = JSON.parse(body) as { on: FaultMatch; replies: FaultReply[] };
      bdns.fault((path, params) => path === on.path && (!on.param || params.get(on.param[0]) === on.param[1]), ...replies);
      return void res.writeHead(204).end();
    }
    if (req.method === "POST" && req.url === "/noise" && datasets) {
      const { noise, seed } = JSON.parse(body) as { noise: boolean; seed?: number };
      datasets.noise = noise;
      if (seed !== undefined) datasets.noiseSeed = seed;
      return void res.writeHead(204).end();
    }
    if (req.method === "POST" && req.url === "/mutate" && datasets) {
      applyMutation(datasets, JSON.parse(body) as DatasetMutation);
      return void res.writeHead(204).end();
    }
    if (req.method === "GET" && req.url === "/requests") {
      const requests: StandInRequest[] = bdns.requests.map((r) => ({ path: r.path, params: Object.fromEntries(r.params), at: performance.timeOrigin + r.at, earliest: performance.timeOrigin + r.earliest, status: r.status, ...(r.via && { via: r.via }) }));
      return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(requests));
    }
    res.writeHead(404).end();
  });
});
// Its log (the run folder's bdns-stand-in.log): one line per request, for a failure's post-mortem.
let logged = 0;
setInterval(() => {
  for (; logged < bdns.requests.length; logged++) {
    const r = bdns.requests[logged]!;
    console.log(`${new Date(performance.timeOrigin + r.at).toISOString()} ${r.status} ${r.path}?${r.params}${r.via ? ` (${r.via})` : ""}`);
  }
}, 200).unref();

await new Promise<void>((r) => control.listen(0, "127.0.0.1", r));
console.log(JSON.stringify({ url: bdns.url, control: `http://127.0.0.1:${(control.address() as AddressInfo).port}` }));

import { afterAll, beforeAll, it } from "vitest";
import { setTimeout as sleep } from "node:timers/promises";
import { makeDataset } from "../support/bdns-server.js";
import { startDeployment, type Deployment } from "./support/deployment.js";

const dataset = makeDataset(2, { firstDate: "2026-11-01", perDay: 2, docs: 0 });
let d: Deployment;
beforeAll(async () => { d = await startDeployment({ dataset, retryIntervalS: 1, serveEnv: { RETRY_BACKOFF: "1s" } }); });
afterAll(() => d?.close());
const get = async (p: string) => { const r = await fetch(`${d.dev.url}${p}`); return [r.status, await r.text()] as const; };

it("explore", async () => {
  const evs = Array.from({ length: 13 }, (_, i) => ({ name: "convocatorias/sync.requested", data: { runId: `t${i}`, timestamp: new Date().toISOString(), from: "2026-11-01", to: "2026-11-01" }, id: `s-${i}` }));
  const ids = await d.dev.send(evs);
  await sleep(3000);
  for (const i of [0, 11, 12]) console.log("runs", i, (await get(`/v1/events/${ids[i]}/runs`))[1]);
  console.log(JSON.stringify((await d.dev.runs()).map((r) => [r.status, r.functionSlug])));
  const l = await get(`/v1/events?limit=1000`);
  console.log("limit1000", l[0], JSON.parse(l[1]).data?.length, l[1].slice(0, 200));
  const l2 = await get(`/v1/events?limit=5&received_before=${new Date(Date.now() - 100000).toISOString()}`);
  console.log("before", l2[1].slice(0, 300));
  const l3 = await get(`/v1/events?limit=2&cursor=${ids[5]}&name=convocatorias/sync.requested`);
  console.log("cursor", l3[1].slice(0, 600));
}, 200000);

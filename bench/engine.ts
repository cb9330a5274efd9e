/**
 * The convocatorias pipeline on the real Inngest engine (issue #12), twice in one run (issue #19): on the
 * Dev Server, then on the same binary's production mode, `inngest start` with a signing key and an event
 * key (serve and the CLI in cloud mode). The same deployment as the engine suite (test/engine/support) —
 * the engine, `ayida-jobs serve`, a misbehaving BDNS stand-in in its own process — with the workload seen in ../shared/reference/inngest-devserver-observed.md:
 * a 10-day window of 40 convocatorias (one broken record) and 60 documents, 429 to any start < 100 ms
 * after the previous one, a 500 once per 9th detail, maintenance inside a 200 once.
 *
 * Measured: request (the event's own timestamp) → last document stored; BDNS requests and the rate
 * achieved, against the bound requests ÷ 9.5/s (the spacer's rate: no deployment can go faster).
 * Also what reached BDNS per kind of request (the functions' throttles show there: the engine's own
 * run start times are when a run was created, before any throttle held it).
 */
import { randomBytes } from "node:crypto";
import { makeDataset, type FakeConvocatoria } from "../test/support/bdns-server.js";
import { startDeployment } from "../test/engine/support/deployment.js";
import { waitForPipeline } from "../test/engine/support/pipeline.js";
import { report } from "./measure.js";

const SPACER_RATE = 9.5;

function dataset(): FakeConvocatoria[] {
  // 40 convocatorias over 10 days; 20 with two documents and 20 with one: 60 documents.
  const two = makeDataset(20, { firstDate: "2026-11-01", perDay: 4, docs: 2 });
  const one = makeDataset(20, { firstDate: "2026-11-06", perDay: 4, docs: 1, firstCode: 900020 });
  return [...two, ...one];
}

/** The most of these arrivals within any one second (a sliding window), and their average rate. */
function arrivals(times: number[]): { count: number; maxPerSecond: number; perSecond: number } {
  const t = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i]! - t[j]! >= 1000) j++;
    max = Math.max(max, i - j + 1);
  }
  const span = t.length > 1 ? (t.at(-1)! - t[0]!) / 1000 : 0;
  return { count: t.length, maxPerSecond: max, perSecond: span > 0 ? (t.length - 1) / span : 0 };
}

export async function benchEngine(): Promise<boolean> {
  let ok = true;
  for (const engine of ["dev", "self-hosted"] as const) {
    console.log(`engine: ${engine === "dev" ? "the Dev Server (inngest dev, unsigned)" : "inngest start --signing-key … --event-key … (serve and the CLI in cloud mode)"}`);
    ok = (await pipelineOn(engine)) && ok;
  }
  return ok;
}

async function pipelineOn(engine: "dev" | "self-hosted"): Promise<boolean> {
  const data = dataset();
  const broken = data[4]!;
  const good = data.filter((c) => c !== broken);
  const documents = good.reduce((n, c) => n + c.documents.length, 0);
  const selfHosted = engine === "self-hosted" ? { eventKey: randomBytes(16).toString("hex"), signingKey: `signkey-prod-${randomBytes(32).toString("hex")}` } : undefined;
  const d = await startDeployment({ dataset: data, ...(selfHosted && { selfHosted }) });
  try {
    await d.bdns.fault({ path: "/convocatorias", param: ["numConv", broken.bdns] }, ...Array<"html">(50).fill("html"));
    for (const c of data.filter((_, i) => i % 9 === 8)) await d.bdns.fault({ path: "/convocatorias", param: ["numConv", c.bdns] }, { status: 500, body: "" });
    await d.bdns.fault({ path: "/convocatorias", param: ["numConv", data[13]!.bdns] }, "maintenance-200");

    const sent = await d.cli(["sync", "convocatorias", "--from", "2026-11-01", "--to", "2026-11-10", "--run-id", "bench", "--json"]);
    if (sent.code !== 0) throw new Error(`the sync request failed: ${sent.stderr}`);
    const requestedAt = Date.parse((JSON.parse(sent.stdout) as { events: Array<{ data: { timestamp: string } }> }).events[0]!.data.timestamp);
    await waitForPipeline(d.store, "bench", { details: good.length, documents, failures: 1 }, 180_000, d.diagnose);
    const runs = await d.dev.waitUntilIdle();

    const lastDocument = Math.max(...d.store.storedDocuments().map((doc) => Date.parse(doc.stored_at!)));
    const lastDetail = Math.max(...d.store.convocatorias().filter((c) => c.last_fetched_at).map((c) => Date.parse(c.last_fetched_at!)));
    const requests = await d.bdns.requests();
    const tooMany = requests.filter((r) => r.status === 429).length;
    const seconds = (lastDocument - requestedAt) / 1000;
    const bound = requests.length / SPACER_RATE;
    const active = (requests.at(-1)!.at - requests[0]!.at) / 1000;
    const gaps = requests.slice(1).map((r, i) => r.at - requests[i]!.at).sort((a, b) => a - b);

    console.log(`workload: ${data.length} convocatorias (1 broken, its ${broken.documents.length} documents never listed), ${documents} documents stored; ${requests.length} BDNS requests, ${tooMany} answered 429; smallest gap ${gaps[0]!.toFixed(1)} ms`);
    console.log(`      details all stored ${((lastDetail - requestedAt) / 1000).toFixed(1)} s after the request; last document ${seconds.toFixed(1)} s`);
    console.log(`      bound at ${SPACER_RATE}/s: ${bound.toFixed(1)} s (${requests.length} ÷ ${SPACER_RATE}); achieved ${(requests.length / seconds).toFixed(2)} req/s request→last document, ${(requests.length / active).toFixed(2)} req/s first→last BDNS request`);
    for (const [kind, path] of [["listings", "/convocatorias/busqueda"], ["details", "/convocatorias"], ["downloads", "/convocatorias/documentos"], ["all", ""]] as const) {
      const a = arrivals(requests.filter((r) => !path || r.path === path).map((r) => r.at));
      console.log(`      BDNS ${kind.padEnd(9)} ${String(a.count).padStart(3)} requests, ${a.perSecond.toFixed(2)}/s on average, at most ${a.maxPerSecond} within one second`);
    }
    const byStatus = new Map<string, number>();
    for (const r of runs) byStatus.set(`${r.functionSlug.replace("ayida-portal-", "")} ${r.status}`, (byStatus.get(`${r.functionSlug.replace("ayida-portal-", "")} ${r.status}`) ?? 0) + 1);
    console.log(`      engine runs: ${[...byStatus].map(([k, n]) => `${k} ×${n}`).join(", ")}`);
    console.log(`      broken record recorded ${((Date.parse(d.store.failures("bench")[0]!.at) - requestedAt) / 1000).toFixed(1)} s after the request`);
    let ok = report(`pipeline request → last document (${engine})`, `${seconds.toFixed(1)} s`, `report; bound ${bound.toFixed(1)} s`, true);
    ok = report("BDNS requests/s achieved (request → last doc)", `${(requests.length / seconds).toFixed(2)} req/s`, `≤ ${SPACER_RATE} req/s`, requests.length / seconds <= SPACER_RATE) && ok;
    ok = report("429 answers", String(tooMany), "0", tooMany === 0) && ok;
    return ok;
  } finally {
    await d.close();
  }
}

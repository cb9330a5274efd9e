/**
 * Instances come and go on the production engine (`inngest start` with a signing key and an event key;
 * serve and the CLI in cloud mode):
 * - a rolling restart: serve stopped (SIGTERM) in the middle of a sync and a new one started on the same
 *   URL, then killed (SIGKILL) and replaced again — every item stored exactly once, the run ends, and
 *   `--wait` exits 0 (or 1 naming what failed: never hangs);
 * - two serve instances on one PostgreSQL behind one URL (a round-robin proxy on loopback): both do
 *   part of the work under the one BDNS budget — nothing stored twice, no 429, the run ends.
 *
 * The engine retries with --retry-interval 1 and serve with RETRY_BACKOFF=1s: a step cut by a stop is a
 * failed attempt, retried a second later instead of after Inngest's 15 s + jitter.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeDataset } from "../support/bdns-server.js";
import { expectDetailsStored, expectDocumentsIntact, tooMany } from "./support/checks.js";
import { startDeployment, type Deployment } from "./support/deployment.js";
import { waitFor } from "./support/wait.js";

const keys = () => ({ eventKey: randomBytes(16).toString("hex"), signingKey: `signkey-prod-${randomBytes(32).toString("hex")}` });

describe("a rolling restart on the signed engine", () => {
  const dataset = makeDataset(16, { firstDate: "2026-11-01", perDay: 4, docs: 2 });
  let d: Deployment;
  beforeAll(async () => {
    d = await startDeployment({ dataset, selfHosted: keys(), retryIntervalS: 1, serveEnv: { RETRY_BACKOFF: "1s" } });
  });
  afterAll(() => d?.close());

  it("serve stopped (SIGTERM) and killed (SIGKILL) mid-run, each time replaced on the same URL: every item stored once, --wait ends", async () => {
    const waiting = d.cli(["sync", "convocatorias", "--from", "2026-11-01", "--to", "2026-11-04", "--run-id", "rolling", "--wait", "--wait-timeout", "120s", "--json"], d.operatorEnv());
    const stored = () => d.store.convocatorias().filter((c) => c.content_hash).length + d.store.storedDocuments().length;

    await waitFor("the first items stored", () => stored() >= 4, { timeoutMs: 60_000, intervalMs: 100, describe: d.diagnose });
    expect((await d.stopServe()).code, "serve's exit on SIGTERM (docs/serving.md: 143)").toBe(143);
    const atStop = stored();
    await d.startServe();
    await waitFor("more items stored by the new instance", () => stored() >= atStop + 6, { timeoutMs: 60_000, intervalMs: 100, describe: d.diagnose });
    const atKill = stored();
    expect(atKill, "the kill came after the run had ended").toBeLessThan(48);
    expect((await d.killServe()).signal).toBe("SIGKILL");
    await d.startServe();

    const r = await waiting;
    console.info(`rolling restart: items stored at the SIGTERM ${atStop}, at the SIGKILL ${atKill} of 48; --wait exited ${r.code}`);
    const report = JSON.parse(r.stdout) as { ok: boolean; run: { state: string } };
    if (r.code === 0) {
      expect(d.store.run("rolling")).toMatchObject({ status: "succeeded", listed: 16, queued: 16, new: 16, changed: 0, unchanged: 0, failed: 0, documents_stored: 32 });
      expectDetailsStored(d.store, dataset);
      expectDocumentsIntact(d.store, dataset, { leftover: (f) => /\.part-[0-9a-f]+$/.test(f) }); // a download the kill cut (restart.engine.ts)
    } else {
      // The other allowed end: 1, naming what failed — never a hang, never another code.
      expect(r.code, r.stderr).toBe(1);
      expect(report.ok).toBe(false);
      expect(d.store.failures("rolling").length, "a run --wait calls failed names its failures").toBeGreaterThan(0);
      expect(r.stdout + r.stderr).toContain(d.store.failures("rolling")[0]!.bdns);
    }
    // Exactly once, whichever way it ended: one row per record and per document, counted once.
    const run = d.store.run("rolling")!;
    expect(run.new + run.changed + run.unchanged + run.failed).toBe(16);
    expect(run.documents_stored).toBe(d.store.storedDocuments().length);
    await d.dev.waitUntilIdle({ timeoutMs: 90_000 });
  });
});

describe("two instances on one PostgreSQL behind one URL, on the signed engine", () => {
  const dataset = makeDataset(40, { firstDate: "2026-11-02", perDay: 8, docs: 1, light: true });
  let d: Deployment;
  beforeAll(async () => {
    d = await startDeployment({ dataset, selfHosted: keys(), instances: 2, database: "postgres", minGapMs: 0, maxPerSecond: 10 });
  }, 120_000);
  afterAll(() => d?.close());

  async function query<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: d.postgres!.url });
    await client.connect();
    try {
      return (await client.query<T>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  it("both share the work and the BDNS budget: nothing stored twice, no 429, the run ends", async () => {
    const r = await d.cli(["sync", "convocatorias", "--from", "2026-11-02", "--to", "2026-11-06", "--run-id", "fleet", "--wait", "--wait-timeout", "120s", "--json"], d.operatorEnv());
    expect(r.code, r.stderr).toBe(0);
    const [run] = await query("SELECT * FROM sync_runs WHERE run_id = $1", ["fleet"]);
    expect(run).toMatchObject({ status: "succeeded", listed: 40, queued: 40, new: 40, changed: 0, unchanged: 0, failed: 0, documents_stored: 40 });
    const items = await query<{ kind: string; state: string; n: string }>("SELECT kind, state, COUNT(*) AS n FROM run_items WHERE run_id = $1 GROUP BY kind, state ORDER BY kind, state", ["fleet"]);
    expect(items.map((i) => [i.kind, i.state, Number(i.n)])).toEqual([["detail", "stored", 40], ["document", "stored", 40], ["piece", "stored", 1]]);
    expect(Number((await query<{ n: string }>("SELECT COUNT(*) AS n FROM documentos WHERE stored_at IS NOT NULL"))[0]!.n)).toBe(40);

    const requests = await d.bdns.requests();
    expect(requests, "one listing, 40 details, 40 documents: nothing asked twice").toHaveLength(81);
    expect(tooMany(requests)).toEqual([]);
    const by = (via: string) => requests.filter((r) => r.via === via).length;
    expect(Math.min(by("serve-a"), by("serve-b")), `BDNS requests by instance: ${by("serve-a")} and ${by("serve-b")}`).toBeGreaterThanOrEqual(10);
    const calls = Object.values(d.balancer!.handled()).map((m) => m.POST ?? 0);
    expect(Math.min(...calls), `the engine's calls through the proxy, by instance: ${calls.join(", ")}`).toBeGreaterThan(0);
    await d.dev.waitUntilIdle();
    expect((await d.dev.runs()).filter((x) => x.status !== "COMPLETED")).toEqual([]);
  });
});

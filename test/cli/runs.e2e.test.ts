/**
 * `runs`, `status [--watch]` and `retry` as real processes, reading a real SQLite store (and PostgreSQL)
 * directly, and through a real `serve` over HTTP (GET /api/runs, GET /api/runs/:runId) behind the batch
 * routes' Bearer CRON_SECRET: the same JSON either way, the auth matrix, and what the CLI makes of a
 * server that refuses it or is not there.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Store, workItem } from "../../src/adapters/store/store.js";
import { errorResultSchema, runsResultSchema, sendResultSchema, statusResultSchema } from "../../src/cli/output-schemas.js";
import { parseEnv } from "../../src/config/env.js";
import { startServer, type RunningServer } from "../../src/server/index.js";
import { BIN, runCli, startCli, until } from "../support/cli.js";
import { startFakeEventApi, type FakeEventApi } from "../support/event-api.js";
import { freePort } from "../support/ports.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";

const SECRET = "cron-secret-for-runs-0123456789";
const T = (m: number, s = 0) => new Date(Date.UTC(2026, 10, 28, 3, m, s)).toISOString();

let api: FakeEventApi;
let pgServer: TestPostgres;
beforeAll(async () => {
  api = await startFakeEventApi();
  pgServer = await startPostgres();
}, 60_000);
afterAll(async () => {
  await api.close();
  await pgServer?.stop();
});

/** A finished sync with one failed detail and a failing document, an older succeeded organos run, and a retry of nothing yet. */
async function seed(store: Store): Promise<void> {
  await store.ensureRun("n1", "sync", { from: "2026-11-21", to: "2026-11-27" }, "convocatorias", T(0));
  await store.setPieces("n1", 1);
  await store.count("n1", "listed", 3);
  await store.queueItems("n1", ["900000", "900001", "900002"].map(workItem.detail), T(1));
  await store.count("n1", "queued", 3);
  await store.itemDone("n1", workItem.piece({ from: "2026-11-21", to: "2026-11-27" }), "stored", T(1));
  await store.completePiece("n1", "convocatorias", T(1));
  await store.itemDone("n1", workItem.detail("900000"), "stored", T(2));
  await store.itemDone("n1", workItem.detail("900001"), "unchanged", T(2));
  await store.recordFailure("n1", workItem.detail("900002"), { failure: "NOT_FOUND", reason: "convocatoria 900002: BDNS answered 204" }, T(3));
  await store.ensureRun("o1", "sync", {}, "organos", T(-30));
  await store.setPieces("o1", 1, "organos");
  await store.countAll("o1", "organos", { fetched: 120, new: 120 });
  await store.itemDone("o1", { dataset: "organos", kind: "piece", key: "organos:C" }, "stored", T(-29));
  await store.completePiece("o1", "organos", T(-29));
}

const withoutClock = (doc: unknown) => JSON.parse(JSON.stringify(doc, (k, v) => (k === "asOf" ? undefined : v)));

describe.each(["sqlite", "postgres"] as const)("on the store directly (%s)", (dialect) => {
  let store: Store;
  let env: Record<string, string>;
  let dir: string;
  beforeEach(async () => {
    api.requests.length = 0;
    dir = mkdtempSync(join(tmpdir(), "ayida-runs-cli-"));
    const url = dialect === "sqlite" ? join(dir, "ayida.db") : await pgServer.createDatabase();
    store = await Store.open(url);
    await seed(store);
    env = { INNGEST_DEV: api.url, DATABASE_URL: url };
  });
  afterEach(() => store.close());

  it("runs: newest first, a table for people, --json for scripts, --dataset and --limit", async () => {
    const r = await runCli(["runs"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(/^RUN ID +DATASET +WINDOW +STARTED +DURATION +STATE +COUNTERS$/);
    expect(r.stdout).toContain("n1      convocatorias  2026-11-21..2026-11-27  2026-11-28 03:00Z  3m 00s    failed     rows 3 · items 4/4 · failed 1");
    expect(r.stdout).toContain("o1      organos        —                       2026-11-28 02:30Z  1m 00s    succeeded  rows 120 · items 1/1 · failed 0");
    const j = runsResultSchema.parse(JSON.parse((await runCli(["runs", "--json"], { env })).stdout));
    expect(j.runs.map((x) => [x.runId, x.state])).toEqual([["n1", "failed"], ["o1", "succeeded"]]);
    expect(runsResultSchema.parse(JSON.parse((await runCli(["runs", "--json", "--dataset", "organos"], { env })).stdout)).runs.map((x) => x.runId)).toEqual(["o1"]);
    expect(runsResultSchema.parse(JSON.parse((await runCli(["runs", "--json", "--limit", "1"], { env })).stdout)).runs.map((x) => x.runId)).toEqual(["n1"]);
    expect((await runCli(["runs", "--limit", "0"], { env })).code).toBe(2);
    const bad = await runCli(["runs", "--dataset", "nope"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--dataset: "nope" is not a dataset; valid: convocatorias, catalogos');
  });

  it("status: the run, its dataset, what failed; pending for a run the store does not know", async () => {
    const r = await runCli(["status", "n1"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      [
        "run n1: failed",
        "  started 2026-11-28 03:00:00Z · finished 2026-11-28 03:03:00Z · 3m 00s",
        "  convocatorias (sync 2026-11-21..2026-11-27): failed",
        "    pieces 1/1 · listed 3 · details requested 3",
        "    4 items (3 detail, 1 piece): queued 0 · stored 2 · unchanged 1 · failing 0 · failed 1",
        "failed for good (1):",
        "  convocatorias detail 900002  NOT_FOUND: convocatoria 900002: BDNS answered 204",
        "",
      ].join("\n"),
    );
    const j = statusResultSchema.parse(JSON.parse((await runCli(["status", "n1", "--json"], { env })).stdout));
    expect(j.run).toMatchObject({ runId: "n1", state: "failed", durationMs: 180_000, failures: [expect.objectContaining({ item: "900002" })] });
    const p = await runCli(["status", "never-seen", "--json"], { env });
    expect(statusResultSchema.parse(JSON.parse(p.stdout)).run).toMatchObject({ state: "pending", datasets: [] });
    expect((await runCli(["status", "bad id"], { env })).code).toBe(2);
  });

  it("retry: --dry-run lists what it would re-request; the send carries retryOf; the same --run-id sends the same ids", async () => {
    const dry = await runCli(["retry", "n1", "--dry-run", "--json", "--run-id", "n1.r1"], { env });
    expect(dry.code, dry.stderr).toBe(0);
    const d = sendResultSchema.parse(JSON.parse(dry.stdout));
    expect(d).toMatchObject({ command: "retry", dryRun: true, runId: "n1.r1", retryOf: "n1", skipped: [], retried: [{ dataset: "convocatorias", kind: "detail", item: "900002", event: "convocatorias/detail.requested", id: "convocatorias/detail.requested?bdns=900002&runId=n1.r1" }] });
    expect(api.requests).toHaveLength(0);
    const people = await runCli(["retry", "n1", "--dry-run"], { env });
    expect(people.stderr).toContain("run n1: 1 item(s) failed for good; re-requesting 1 as 1 event(s) under run");
    expect(people.stderr).toContain("convocatorias detail 900002  NOT_FOUND");
    expect(JSON.parse(people.stdout)).toMatchObject({ name: "convocatorias/detail.requested", data: { bdns: "900002", retryOf: "n1" } });

    const sent = await runCli(["retry", "n1", "--json", "--run-id", "n1.r1"], { env });
    expect(sent.code, sent.stderr).toBe(0);
    expect(api.events()).toEqual([expect.objectContaining({ name: "convocatorias/detail.requested", id: "convocatorias/detail.requested?bdns=900002&runId=n1.r1", data: expect.objectContaining({ bdns: "900002", runId: "n1.r1", retryOf: "n1" }) })]);
    await runCli(["retry", "n1", "--json", "--run-id", "n1.r1"], { env });
    expect(api.events().map((e) => e.id)).toEqual([api.events()[0]!.id, api.events()[0]!.id]); // Inngest drops the repeat

    const none = await runCli(["retry", "o1", "--json"], { env });
    expect(none.code).toBe(0);
    expect(JSON.parse(none.stdout)).toMatchObject({ ok: true, command: "retry", retryOf: "o1", events: [] });
    const unknown = await runCli(["retry", "nobody"], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("knows nothing of run nobody");
    // Nothing was sent, so there is no new run to name: the document says which run was asked for.
    const unknownJson = await runCli(["retry", "nobody", "--json"], { env });
    expect(unknownJson.code).toBe(2);
    const doc = errorResultSchema.parse(JSON.parse(unknownJson.stdout));
    expect(doc).toMatchObject({ ok: false, command: "retry", retryOf: "nobody", error: { code: "RUN_NOT_FOUND" } });
    expect(doc).not.toHaveProperty("runId");
    expect((await runCli(["retry", "n1", "--run-id", "n1"], { env })).stderr).toContain("must not be the run it retries");
  });

  it("status --watch, not on a terminal: a line per change, the status at the end, exit 0 when it succeeds", async () => {
    await store.ensureRun("w1", "detail", {}, "convocatorias", T(10));
    await store.queueItems("w1", [workItem.detail("1"), workItem.detail("2")], T(10));
    const cli = startCli(["status", "w1", "--watch", "--poll", "100ms"], { env, cwd: dir });
    await until("the first line", () => cli.stdout().includes("running · convocatorias · rows 0 · queued 2"));
    await store.itemDone("w1", workItem.detail("1"), "stored", T(11));
    await until("a line per change", () => cli.stdout().includes("queued 1 · stored 1"));
    expect(cli.exited()).toBe(false);
    await store.itemDone("w1", workItem.detail("2"), "unchanged", T(12));
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.filter((l) => / running · /.test(l))).toHaveLength(2);
    expect(r.stdout).toContain("run w1: succeeded\n  started 2026-11-28 03:10:00Z · finished 2026-11-28 03:12:00Z · 2m 00s");
  });
});

describe("status --watch ends as the run does", () => {
  let store: Store;
  let env: Record<string, string>;
  let dir: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "ayida-watch-"));
    store = await Store.open(join(dir, "ayida.db"));
    env = { DATABASE_URL: join(dir, "ayida.db") };
  });
  afterEach(() => store.close());

  it("a run that fails: exit 1, the failure in the JSON document", async () => {
    await store.ensureRun("f1", "detail", {}, "convocatorias", T(0));
    await store.queueItems("f1", [workItem.detail("3")], T(0));
    const cli = startCli(["status", "f1", "--watch", "--json", "--poll", "100ms"], { env, cwd: dir });
    await new Promise((r) => setTimeout(r, 400));
    expect(cli.exited()).toBe(false);
    expect(cli.stdout()).toBe(""); // --json: one document, at the end
    await store.recordFailure("f1", workItem.detail("3"), { failure: "BROKEN_RECORD", reason: "HTML instead of a record" }, T(1));
    const r = await cli.done;
    expect(r.code).toBe(1);
    expect(errorResultSchema.parse(JSON.parse(r.stdout))).toMatchObject({ command: "status", runId: "f1", error: { code: "RUN_FAILED" }, run: { state: "failed" } });
  });

  it("a run the store never hears of: exit 75 after --pickup-timeout, when nothing else moves", async () => {
    const r = await runCli(["status", "typo-run", "--watch", "--pickup-timeout", "500ms", "--poll", "100ms"], { env, cwd: dir });
    expect(r.code).toBe(75);
    expect(r.stderr).toContain("no function picked up run typo-run within 500ms, and nothing else ran meanwhile: the run id is not one this store knows, or no function is running it");
    expect(r.stderr).not.toContain("send again");
  });

  it("a reader that goes away (`status --watch | head -2`) is not success: exit 141 while the run still runs, and stderr says so", async () => {
    await store.ensureRun("p1", "detail", {}, "convocatorias", T(0));
    await store.queueItems("p1", [workItem.detail("6"), workItem.detail("7")], T(0));
    const child = spawn(process.execPath, ["--", BIN, "status", "p1", "--watch", "--poll", "100ms"], { cwd: dir, env: { PATH: process.env.PATH ?? "", CI: "1", FORCE_COLOR: "0", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    // As `head` does once it has its lines; only then a change, whose line finds the pipe closed.
    await new Promise<void>((r) => child.stdout.once("data", () => (child.stdout.destroy(), r())));
    await store.itemDone("p1", workItem.detail("6"), "stored", T(1));
    const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
    expect(code).toBe(141);
    expect(stderr).toContain("stdout was closed");
    expect(stderr).toContain("stopped watching run p1; the work goes on");
    expect(stderr).not.toContain("EPIPE\n    at");
  });

  it("a run already done ends at once; Ctrl-C while it runs exits 130 with one JSON document", async () => {
    await store.ensureRun("d1", "detail", {}, "convocatorias", T(0));
    await store.itemDone("d1", workItem.detail("4"), "stored", T(1));
    const done = await runCli(["status", "d1", "--watch", "--json"], { env, cwd: dir });
    expect(done.code).toBe(0);
    expect(statusResultSchema.parse(JSON.parse(done.stdout)).run.state).toBe("succeeded");

    await store.ensureRun("r1", "detail", {}, "convocatorias", T(0));
    await store.queueItems("r1", [workItem.detail("5")], T(0));
    const cli = startCli(["status", "r1", "--watch", "--json", "--poll", "100ms"], { env, cwd: dir });
    await new Promise((r) => setTimeout(r, 1500)); // started, and read the run (every 100 ms)
    cli.signal("SIGINT");
    const r = await cli.done;
    expect(r.code).toBe(130);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    expect(errorResultSchema.parse(JSON.parse(r.stdout))).toMatchObject({ error: { code: "INTERRUPTED", message: expect.stringContaining("stopped watching run r1; the work goes on"), hint: "follow it with: ayida-jobs status r1 --watch" }, run: { state: "running" } });
  });
});

describe("through serve: GET /api/runs and /api/runs/:runId", () => {
  let server: RunningServer;
  let url: string;
  let store: Store;
  let file: string;
  let dir: string;
  const startServe = async (env: Record<string, string>) => {
    const logger = pino({ level: "silent" }, new Writable({ write: (_c, _e, done) => done() }));
    return startServer(parseEnv({ INNGEST_DEV: api.url, DATABASE_URL: file, DOCUMENTS_DIR: join(dir, "docs"), ...env }), { port: 0, host: "127.0.0.1", logger });
  };
  beforeEach(async () => {
    api.requests.length = 0;
    dir = mkdtempSync(join(tmpdir(), "ayida-runs-serve-"));
    file = join(dir, "ayida.db");
    server = await startServe({ CRON_SECRET: SECRET });
    url = server.urls[0]!;
    store = await Store.open(file);
    await seed(store);
  });
  afterEach(async () => {
    await store.close();
    await server.close(0);
  });

  const get = (path: string, auth: string | null = `Bearer ${SECRET}`, method = "GET") => fetch(`${url}${path}`, { method, headers: auth === null ? {} : { authorization: auth } });
  const viaServer = { AYIDA_SERVER_URL: "", CRON_SECRET: SECRET, INNGEST_DEV: "" };

  it.each([
    { name: "no header", auth: null, status: 401 },
    { name: "a wrong secret", auth: "Bearer nope", status: 401 },
    { name: "a secret with extra characters", auth: `Bearer ${SECRET}x`, status: 401 },
    { name: "Basic auth", auth: `Basic ${SECRET}`, status: 401 },
    { name: "the right secret", auth: `Bearer ${SECRET}`, status: 200 },
  ])("with $name → $status, on both routes", async ({ auth, status }) => {
    for (const path of ["/api/runs", "/api/runs/n1"]) {
      const res = await get(path, auth);
      expect(res.status, path).toBe(status);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body.ok).toBe(status === 200);
      if (status === 401) expect(res.headers.get("www-authenticate")).toBe('Bearer realm="ayida-jobs"');
    }
  });

  it("a server without CRON_SECRET answers 503, never open", async () => {
    const closed = await startServe({});
    try {
      const res = await fetch(`${closed.urls[0]}/api/runs`, { headers: { authorization: `Bearer ${SECRET}` } });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ ok: false, error: { code: "NOT_CONFIGURED" } });
      const r = await runCli(["runs"], { env: { AYIDA_SERVER_URL: closed.urls[0]!, CRON_SECRET: SECRET } });
      expect(r.code).toBe(78);
      expect(r.stderr).toContain("has no CRON_SECRET, so /api/runs is closed (503)");
    } finally {
      await closed.close(0);
    }
  });

  it("methods, parameters and paths it does not take: 405, 400, 404", async () => {
    expect((await get("/api/runs", `Bearer ${SECRET}`, "POST")).status).toBe(405);
    for (const bad of ["/api/runs?limit=0", "/api/runs?limit=x", "/api/runs?dataset=nope", "/api/runs?bogus=1", "/api/runs/bad%20id", "/api/runs/n1?failures=-1"]) {
      const res = await get(bad);
      expect(res.status, bad).toBe(400);
      expect(await res.json()).toMatchObject({ ok: false, error: { code: "INVALID_INPUT" } });
    }
    expect((await get("/api/runs/n1/items")).status).toBe(404);
  });

  it("the same JSON as the store gives: status, runs, a pending run", async () => {
    const env = { ...viaServer, AYIDA_SERVER_URL: url };
    const direct = { DATABASE_URL: file };
    for (const args of [["status", "n1", "--json"], ["runs", "--json"], ["status", "nobody", "--json"], ["status", "n1", "--json", "--failures", "0"]]) {
      const a = await runCli(args, { env });
      const b = await runCli(args, { env: direct });
      expect(a.code, a.stderr).toBe(0);
      expect(withoutClock(JSON.parse(a.stdout)), args.join(" ")).toEqual(withoutClock(JSON.parse(b.stdout)));
    }
    const res = await get("/api/runs/n1");
    expect(withoutClock(((await res.json()) as { run: unknown }).run)).toEqual(withoutClock(JSON.parse((await runCli(["status", "n1", "--json"], { env: direct })).stdout).run));
  });

  it("people's output is the same too; AYIDA_SERVER_URL wins over a store in the working directory", async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), "ayida-runs-cwd-"));
    await (await Store.open(join(elsewhere, "data", "ayida-jobs.db"))).close(); // a local store that knows no run
    expect(JSON.parse((await runCli(["status", "n1", "--json"], { cwd: elsewhere })).stdout).run.state).toBe("pending");
    const a = await runCli(["status", "n1"], { env: { AYIDA_SERVER_URL: url, CRON_SECRET: SECRET }, cwd: elsewhere });
    expect(a.stdout).toBe((await runCli(["status", "n1"], { env: { DATABASE_URL: file } })).stdout);
    expect(a.stdout).toContain("convocatorias detail 900002  NOT_FOUND");
  });

  it("retry and --wait through the server", async () => {
    const env = { AYIDA_SERVER_URL: url, CRON_SECRET: SECRET, INNGEST_DEV: api.url };
    const r = await runCli(["retry", "n1", "--json", "--run-id", "n1.r2"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(sendResultSchema.parse(JSON.parse(r.stdout))).toMatchObject({ retryOf: "n1", events: [expect.objectContaining({ id: "convocatorias/detail.requested?bdns=900002&runId=n1.r2" })] });

    const cli = startCli(["retry", "n1", "--run-id", "n1.r3", "--wait", "--json", "--poll", "100ms"], { env });
    await until("the retry's event", () => api.events().some((e) => e.data.runId === "n1.r3"));
    await store.ensureRun("n1.r3", "detail", { retryOf: "n1" });
    await store.itemDone("n1.r3", workItem.detail("900002"), "stored");
    const w = await cli.done;
    expect(w.code, w.stderr).toBe(0);
    expect(sendResultSchema.parse(JSON.parse(w.stdout)).run).toMatchObject({ runId: "n1.r3", state: "succeeded", retryOf: "n1" });
    const status = statusResultSchema.parse(JSON.parse((await runCli(["status", "n1", "--json"], { env })).stdout));
    expect(status.run.retries).toEqual(["n1.r3"]);
  });

  it("the CLI against a server that refuses it (78) or is not there (69); AYIDA_SERVER_URL without CRON_SECRET (78)", async () => {
    const wrong = await runCli(["runs", "--json"], { env: { AYIDA_SERVER_URL: url, CRON_SECRET: "not-the-deployments-secret-0" } });
    expect(wrong.code).toBe(78);
    expect(errorResultSchema.parse(JSON.parse(wrong.stdout))).toMatchObject({ error: { code: "RUNS_REFUSED", message: expect.stringContaining("refused CRON_SECRET (401)") } });
    expect(wrong.stdout + wrong.stderr).not.toContain("not-the-deployments-secret-0");
    const gone = await runCli(["status", "n1"], { env: { AYIDA_SERVER_URL: `http://127.0.0.1:${await freePort()}`, CRON_SECRET: SECRET } });
    expect(gone.code).toBe(69);
    expect(gone.stderr).toContain("cannot reach the server at http://127.0.0.1:");
    const noSecret = await runCli(["runs"], { env: { AYIDA_SERVER_URL: url } });
    expect(noSecret.code).toBe(78);
    expect(noSecret.stderr).toContain("AYIDA_SERVER_URL is set but CRON_SECRET is not");
    const notServe = await runCli(["runs"], { env: { AYIDA_SERVER_URL: `${api.url}`, CRON_SECRET: SECRET } });
    expect(notServe.code).toBe(78);
    expect(notServe.stderr).toContain("has no /api/runs (404)");
  });

  it("a password in AYIDA_SERVER_URL (basic auth in front of serve) never appears in any output", async () => {
    const password = "srv-pass-0123456789";
    const port = await freePort(); // nothing listens: the error names the server
    for (const extra of [[], ["--json"], ["--debug"]]) {
      for (const args of [["runs"], ["status", "n1"], ["detail", "1", "--wait"]]) {
        const r = await runCli([...args, ...extra], { env: { INNGEST_DEV: api.url, AYIDA_SERVER_URL: `http://ops:${password}@127.0.0.1:${port}`, CRON_SECRET: SECRET } });
        expect(r.code, r.stderr).toBe(69);
        expect(r.stderr).toContain(`http://ops:***@127.0.0.1:${port}`);
        expect(r.stdout + r.stderr, args.join(" ")).not.toContain(password);
      }
    }
    const doctor = await runCli(["doctor", "--json", "--timeout", "1"], { env: { AYIDA_SERVER_URL: `http://ops:${password}@127.0.0.1:${port}` } });
    expect(doctor.stdout + doctor.stderr).not.toContain(password);
    const url = await runCli(["doctor", "--url", `http://ops:${password}@127.0.0.1:${port}`, "--timeout", "1"], { env: {} });
    expect(url.stdout + url.stderr).not.toContain(password);
  });

  it("a server that answers 200 with something that is not serve's JSON (a proxy's or login page) is not serve: 78, never a made-up result", async () => {
    const pages = [
      { type: "text/html", body: "<html><body>Welcome to nginx!</body></html>" },
      { type: "application/json", body: '{"hello":"world"}' },
      { type: "application/json", body: '{"ok":true,"run":null,"runs":{}}' },
    ];
    for (const page of pages) {
      const html = http.createServer((req, res) => req.resume().on("end", () => res.writeHead(200, { "content-type": page.type }).end(page.body)));
      await new Promise<void>((r) => html.listen(0, "127.0.0.1", r));
      const env = { AYIDA_SERVER_URL: `http://127.0.0.1:${(html.address() as AddressInfo).port}`, CRON_SECRET: SECRET };
      try {
        for (const args of [["runs", "--json"], ["status", "n1", "--json"], ["retry", "n1", "--dry-run", "--json"]]) {
          const r = await runCli(args, { env });
          expect(r.code, `${args.join(" ")} against ${page.body}: ${r.stdout}${r.stderr}`).toBe(78);
          expect(errorResultSchema.parse(JSON.parse(r.stdout))).toMatchObject({ error: { code: "RUNS_REFUSED", message: expect.stringContaining("did not answer as ayida-jobs serve does") } });
          expect(r.stderr).not.toContain("internal error");
        }
      } finally {
        await new Promise<void>((r) => (html.closeAllConnections(), html.close(() => r())));
      }
    }
  });
});

describe.each(["sqlite", "postgres"] as const)("a run that held back removals (%s)", (dialect) => {
  it("runs and status say what was not marked removed and how to force it, in text and JSON", async () => {
    const { catalogos } = await import("../../src/datasets/catalogos.js");
    const { readAnswer } = await import("../../src/functions/datasets/rows.js");
    const finalidades = catalogos.feeds.find((f) => f.id === "finalidades")!;
    const url = dialect === "sqlite" ? join(mkdtempSync(join(tmpdir(), "ayida-held-")), "ayida.db") : await pgServer.createDatabase();
    const store = await Store.open(url);
    try {
      const list = [{ id: 1, descripcion: "A" }, { id: 2, descripcion: "B" }];
      await store.ensureRun("k1", "sync", {}, "catalogos", T(0));
      await store.tables.of(finalidades.table).writePage(readAnswer(finalidades, list, { feed: "finalidades" }, "/finalidades").rows, { runId: "k1", dataset: "catalogos", now: T(0, 1), since: T(0) });
      await store.ensureRun("k2", "sync", {}, "catalogos", T(5));
      await store.setPieces("k2", 1, "catalogos");
      await store.tables.of(finalidades.table).markRemoved({ equals: { catalogo: "finalidades", ambito: "" } }, { runId: "k2", dataset: "catalogos", unit: "finalidades", now: T(5, 2), since: T(5) }, () => ({ remove: false, reason: "empty", message: "BDNS answered empty where 2 rows were listed" }));
      await store.itemDone("k2", { dataset: "catalogos", kind: "piece", key: "finalidades" }, "stored", T(5, 2));
      await store.completePiece("k2", "catalogos", T(5, 2));
    } finally {
      await store.close();
    }
    const env = { INNGEST_DEV: api.url, DATABASE_URL: url };
    const runs = await runCli(["runs"], { env });
    expect(runs.code, runs.stderr).toBe(0);
    expect(runs.stdout).toMatch(/^k2 .* succeeded +rows 0 · items 1\/1 · failed 0 · removal held back 2$/m);
    expect(runs.stderr).toContain("run k2: catalogos: 2 rows not marked removed: BDNS's answer was empty, incomplete or shrank by more than one answer may remove; if BDNS really dropped them, `ayida-jobs sync catalogos --allow-removal` marks them");
    const j = runsResultSchema.parse(JSON.parse((await runCli(["runs", "--json"], { env })).stdout));
    expect(j.runs.find((r) => r.runId === "k2")).toMatchObject({ state: "succeeded", totals: { counters: { removalsHeld: 2 } }, warnings: [expect.stringContaining("--allow-removal")] });
    const status = await runCli(["status", "k2"], { env });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain("records: new 0 · changed 0 · unchanged 0 · removal held back 2");
    expect(status.stdout).toContain("  catalogos finalidades: 2 of 2 rows (empty): BDNS answered empty where 2 rows were listed");
    const s = statusResultSchema.parse(JSON.parse((await runCli(["status", "k2", "--json"], { env })).stdout));
    expect(s.run.heldRemovals).toEqual([{ dataset: "catalogos", unit: "finalidades", rows: 2, of: 2, reason: "empty", message: "BDNS answered empty where 2 rows were listed", at: T(5, 2) }]);
  });
});

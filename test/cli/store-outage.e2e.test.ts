/**
 * The store's PostgreSQL going away under running processes, for real: a throwaway server the test
 * restarts (`pg_ctl restart -m fast`: every session ends with 57P01; `-m immediate`: dropped without a
 * word) or stops for a while, under the built CLI — `serve` holding pooled connections, and
 * `status --watch` reading between restarts. Nobody exits; /health keeps answering and says what the
 * store is doing; reads resume by themselves.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Store, workItem } from "../../src/adapters/store/store.js";
import { BIN, startCli, until } from "../support/cli.js";
import { startPostgres, usePostgres } from "../support/postgres.js";

const pg = usePostgres();

const SECRET = "outage-cron-secret-0123456789";

async function startServe(databaseUrl: string) {
  const cwd = mkdtempSync(join(tmpdir(), "serve-outage-"));
  const child = spawn(process.execPath, ["--", BIN, "serve", "--port", "0"], {
    cwd,
    env: { PATH: process.env.PATH ?? "", CI: "1", FORCE_COLOR: "0", NODE_ENV: "test", LOG_LEVEL: "info", INNGEST_DEV: "1", CRON_SECRET: SECRET, DATABASE_URL: databaseUrl },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let code: number | null | undefined;
  child.stderr.on("data", (c) => (stderr += c));
  const exited = new Promise<number | null>((r) => child.once("close", (c) => r((code = c))));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on("data", () => {
      const m = /serving on (http:\/\/[^\s]+)/.exec(stderr);
      if (m && stderr.includes("store:")) resolve(m[1]!);
    });
    void exited.then(() => reject(new Error(`serve exited early: ${stderr}`)));
  });
  const get = async (path: string) => {
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${SECRET}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return { child, url, get, exited, alive: () => code === undefined, stderr: () => stderr };
}

type Health = { ok: boolean; store: { state: string; dialect: string; since: string } };

describe("serve on PostgreSQL, while its database restarts or is down", () => {
  it("a fast restart and an immediate one: serve stays up, its pool reconnects, /api/runs answers again", async () => {
    const databaseUrl = await pg().createDatabase();
    const s = await startServe(databaseUrl);
    try {
      for (const mode of ["fast", "immediate"] as const) {
        // Pooled connections open and idle, as between two steps of a sync.
        expect((await Promise.all([s.get("/api/runs"), s.get("/api/runs"), s.get("/api/runs")])).map((r) => r.status)).toEqual([200, 200, 200]);
        await pg().restart(mode);
        await new Promise((r) => setTimeout(r, 300)); // the lost connections' errors reach serve
        expect(s.alive(), `serve exited after a ${mode} restart:\n${s.stderr()}`).toBe(true);
        await until(`/api/runs to answer again after a ${mode} restart`, async () => (await s.get("/api/runs")).status === 200, 15_000);
        expect((await s.get("/health")).body).toMatchObject({ ok: true, store: { state: "ok", dialect: "postgres" } });
      }
      expect(s.stderr()).not.toContain("Unhandled 'error' event");
      // Said in the log, once per outage, never with the URL's credentials.
      expect(s.stderr()).toContain("store: a database connection was lost");
    } finally {
      s.child.kill("SIGTERM");
      await s.exited;
    }
  }, 90_000);

  it("the database down for a while: /health keeps answering 200 with the store's state, and says when it is back", async () => {
    const databaseUrl = await pg().createDatabase();
    const s = await startServe(databaseUrl);
    try {
      expect((await s.get("/health")).body).toMatchObject({ ok: true, store: { state: "ok" } });
      await pg().stopServer("immediate");
      try {
        await until("/health to say the store is down", async () => ((await s.get("/health")).body as Health).store.state === "down", 10_000);
        const down = await s.get("/health");
        expect(down.status).toBe(200); // serve itself is fine: a load balancer must not take the fleet out
        expect(down.body).toMatchObject({ ok: true, mode: "dev", store: { state: "down", dialect: "postgres", since: expect.any(String) } });
        // /api/runs says why it cannot answer, quickly (the database refuses connections).
        const runs = await s.get("/api/runs");
        expect(runs.status).toBe(503);
        expect(runs.body).toMatchObject({ ok: false, error: { code: "STORE_UNAVAILABLE" } });
      } finally {
        await pg().startServer();
      }
      await until("/health to say the store is back", async () => ((await s.get("/health")).body as Health).store.state === "ok", 15_000);
      expect((await s.get("/api/runs")).status).toBe(200);
      expect(s.alive()).toBe(true);
      expect(s.stderr()).toMatch(/"msg":"store: the database is not answering/);
      expect(s.stderr()).toMatch(/"msg":"store: the database answers again/);
    } finally {
      s.child.kill("SIGTERM");
      await s.exited;
    }
  }, 90_000);
});

describe("status --watch on PostgreSQL, while its database restarts", () => {
  it("rides out a fast restart and an immediate stop/start, then exits 0 with exactly one JSON document", async () => {
    const databaseUrl = await pg().createDatabase();
    const store = await Store.open(databaseUrl);
    const item = workItem.detail("900001");
    await store.ensureRun("watch-outage", "detail");
    await store.queueItems("watch-outage", [item]);
    await store.close();
    const watch = startCli(["status", "watch-outage", "--watch", "--json"], { env: { DATABASE_URL: databaseUrl } });
    try {
      await new Promise((r) => setTimeout(r, 2000)); // a read or two: its connections are pooled and idle
      expect(watch.exited(), watch.stderr()).toBe(false);
      await pg().restart("fast");
      await new Promise((r) => setTimeout(r, 1500));
      expect(watch.exited(), watch.stderr()).toBe(false);
      await pg().stopServer("immediate");
      await new Promise((r) => setTimeout(r, 2500)); // reads fail meanwhile: retried, not fatal
      await pg().startServer();
      await new Promise((r) => setTimeout(r, 1500));
      expect(watch.exited(), watch.stderr()).toBe(false);

      const writer = await Store.open(databaseUrl);
      await writer.itemDone("watch-outage", item, "stored");
      await writer.close();
      const r = await watch.done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim().split("\n")).toHaveLength(1);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, run: { runId: "watch-outage", state: "succeeded" } });
      expect(r.stderr).not.toContain("Unhandled 'error' event");
    } finally {
      if (!watch.exited()) watch.signal("SIGKILL");
    }
  }, 90_000);
});

describe("--wait's reads from a PostgreSQL that stays down", () => {
  it("are retried for 60 s, then end the wait as the store being unavailable (the CLI's 69), never as a crash", async () => {
    const { openRunSource } = await import("../../src/runs/source.js");
    const { waitForRun, READ_ERROR_GRACE_MS } = await import("../../src/runs/wait.js");
    const { RunSourceError } = await import("../../src/runs/errors.js");
    const { toCliError } = await import("../../src/cli/errors.js");
    const { parseEnv } = await import("../../src/config/env.js");
    const own = await startPostgres(); // stopped for good below: its own server
    try {
      const databaseUrl = await own.createDatabase();
      await (await Store.open(databaseUrl)).close(); // migrated, as serve leaves it
      const source = await openRunSource(parseEnv({ DATABASE_URL: databaseUrl }));
      const baseline = await source.lastActivity(); // connections pooled and idle
      await own.stopServer("immediate");
      await new Promise((r) => setTimeout(r, 200)); // the lost connections' errors reach the pool
      let clock = 0;
      let reads = 0;
      const waiting = waitForRun({
        source,
        runId: "never-done",
        baseline,
        pickupMs: 1e9,
        pollMs: 1_000,
        now: () => clock,
        sleep: async (ms) => void (clock += ms),
        onReadError: () => void reads++,
      });
      const err = await waiting.then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(RunSourceError);
      expect(err).toMatchObject({ reason: "unavailable" });
      expect(clock).toBeGreaterThanOrEqual(READ_ERROR_GRACE_MS);
      expect(reads).toBeGreaterThanOrEqual(55); // one failed read a second, then it gave up
      expect(toCliError(err)).toMatchObject({ exitCode: 69, code: "RUNS_UNAVAILABLE" });
      await source.close().catch(() => undefined);
    } finally {
      await own.stop();
    }
  }, 60_000);
});

describe("reads behind a lock (an ACCESS EXCLUSIVE lock on sync_runs: a migration, a VACUUM FULL)", () => {
  it("`runs` and serve's /api/runs give up within seconds saying the store is busy, instead of hanging for as long as the lock", async () => {
    const databaseUrl = await pg().createDatabase();
    const s = await startServe(databaseUrl);
    const { default: Pg } = await import("pg");
    const locker = new Pg.Client({ connectionString: databaseUrl });
    await locker.connect();
    try {
      await locker.query("BEGIN");
      await locker.query("LOCK TABLE sync_runs IN ACCESS EXCLUSIVE MODE");
      const t0 = performance.now();
      const [cli, api] = await Promise.all([
        (await import("../support/cli.js")).runCli(["runs", "--json"], { env: { DATABASE_URL: databaseUrl } }),
        s.get("/api/runs"),
      ]);
      const took = performance.now() - t0;
      expect(took, "a read waited for the lock").toBeLessThan(10_000);
      expect(cli.code, cli.stderr).toBe(69);
      expect(JSON.parse(cli.stdout)).toMatchObject({ ok: false, error: { code: "RUNS_UNAVAILABLE", message: expect.stringContaining("is busy") } });
      expect(api.status).toBe(503);
      expect(api.body).toMatchObject({ ok: false, error: { code: "STORE_BUSY", message: expect.stringContaining("busy") } });
      expect(s.alive()).toBe(true);
    } finally {
      await locker.query("ROLLBACK").catch(() => undefined);
      await locker.end();
      s.child.kill("SIGTERM");
      await s.exited;
    }
  }, 60_000);
});

describe("shutdown while steps wait on the database", () => {
  it("SIGTERM with --grace 2 and three steps blocked behind a lock: cut at the grace period, the process gone promptly after it", async () => {
    const { startFakeBdns, makeDataset } = await import("../support/bdns-server.js");
    const { startFakeEventApi } = await import("../support/event-api.js");
    const { default: Pg } = await import("pg");
    const databaseUrl = await pg().createDatabase();
    const bdns = await startFakeBdns({ dataset: makeDataset(3, { light: true }) });
    const api = await startFakeEventApi();
    const cwd = mkdtempSync(join(tmpdir(), "serve-grace-"));
    const child = spawn(process.execPath, ["--", BIN, "serve", "--port", "0", "--grace", "2"], {
      cwd,
      env: { PATH: process.env.PATH ?? "", CI: "1", FORCE_COLOR: "0", LOG_LEVEL: "warn", INNGEST_DEV: api.url, BDNS_API_URL: bdns.url, DATABASE_URL: databaseUrl, BDNS_BUDGET: "process" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    const exited = new Promise<number | null>((r) => child.once("close", r));
    const locker = new Pg.Client({ connectionString: databaseUrl });
    try {
      await until("serve to listen", () => /serving on http/.test(stderr), 20_000);
      const url = /serving on (http:\/\/[^\s]+)/.exec(stderr)![1]!;
      await locker.connect();
      await locker.query("BEGIN");
      await locker.query("LOCK TABLE sync_runs IN ACCESS EXCLUSIVE MODE"); // every step's first write waits
      const executions = ["900000", "900001", "900002"].map((code) => {
        const event = { name: "convocatorias/detail.requested", data: { bdns: code, runId: "grace", timestamp: "2026-11-28T10:00:00.000Z" }, id: `e-${code}`, ts: Date.now() };
        const body = JSON.stringify({ event, events: [event], steps: {}, ctx: { run_id: `01RUN${code}`, attempt: 0, stack: { stack: [], current: 0 } }, version: 2, use_api: false });
        return fetch(`${url}/api/inngest?fnId=ayida-portal-process-convocatoria-detail&stepId=step`, { method: "POST", headers: { "content-type": "application/json" }, body }).then((r) => r.status, () => 0);
      });
      await until("the three steps to wait on the lock", async () => Number((await locker.query("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'")).rows[0].n) >= 1, 10_000);
      const t0 = performance.now();
      child.kill("SIGTERM");
      expect(await exited).toBe(143);
      const took = performance.now() - t0;
      expect(await Promise.all(executions)).toEqual([503, 503, 503]); // answered at the grace period, not reset
      expect(took, "seconds from SIGTERM to exit").toBeGreaterThanOrEqual(2_000);
      expect(took, "seconds from SIGTERM to exit").toBeLessThan(3_500); // on main: 4.1 s (the pool waited for the blocked steps until a 2 s backstop)
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await locker.query("ROLLBACK").catch(() => undefined);
      await locker.end().catch(() => undefined);
      await bdns.close();
      await api.close();
    }
  }, 60_000);
});

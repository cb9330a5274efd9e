/** `ayida-jobs serve` as a real process: start-up checks, the start-up message, and clean shutdown. */
import { spawn } from "node:child_process";
import { mkdtempSync, existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { BIN, runCli } from "../support/cli.js";
import { startFakeEventApi } from "../support/event-api.js";

/** `ayida-jobs serve` as a child process; resolves once it says where it listens. */
async function startServe(args: string[], env: Record<string, string>) {
  const cwd = mkdtempSync(join(tmpdir(), "serve-run-"));
  const child = spawn(process.execPath, ["--", BIN, "serve", ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", CI: "1", FORCE_COLOR: "0", NODE_ENV: "test", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (c) => (stderr += c));
  const exited = new Promise<number | null>((r) => child.once("close", (c) => r(c))); // close: stdio drained too
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on("data", () => {
      const m = /serving on (http:\/\/[^\s]+)/.exec(stderr);
      if (m && stderr.includes("functions:")) resolve(m[1]!);
    });
    void exited.then(() => reject(new Error(`exited early: ${stderr}`)));
  });
  return { child, url, exited, stderr: () => stderr };
}

describe("ayida-jobs serve", () => {
  it("cloud mode without keys: exit 78 before listening, naming both keys", async () => {
    const r = await runCli(["serve", "--port", "0"]);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain("INNGEST_SIGNING_KEY and INNGEST_EVENT_KEY are not set");
    expect(r.stderr).toContain("INNGEST_DEV=1");
  });

  it("--check opens the store, lists the functions and exits 0", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "serve-check-"));
    const r = await runCli(["serve", "--check", "--json"], { env: { INNGEST_DEV: "1" }, cwd });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ ok: true, check: true, mode: "dev", functions: expect.arrayContaining(["ayida-portal-process-convocatoria-detail"]) });
    expect(existsSync(join(cwd, "data", "ayida-jobs.db"))).toBe(true);
  });

  it("a store it cannot open is not a bug: a DATABASE_URL that names no store is 78, a database that is down 69", async () => {
    const dir = mkdtempSync(join(tmpdir(), "serve-store-"));
    writeFileSync(join(dir, "junk.db"), "this is not a database, it is text long enough to be read as a header by SQLite...........");
    writeFileSync(join(dir, "afile"), "");
    const closed = await new Promise<number>((r) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => r(port));
      });
    });
    const cases = [
      { url: join(dir, "junk.db"), code: 78, error: "CONFIG", says: "is not a database" },
      { url: join(dir, "afile", "x.db"), code: 78, error: "CONFIG", says: "afile" },
      { url: `postgres://ayida:pg-pass-0123456789@127.0.0.1:${closed}/ayida`, code: 69, error: "STORE_UNAVAILABLE", says: `127.0.0.1:${closed}/ayida` },
    ];
    for (const c of cases) {
      for (const args of [["serve", "--check", "--json"], ["serve", "--port", "0", "--json"]]) {
        const r = await runCli(args, { env: { INNGEST_DEV: "1", DATABASE_URL: c.url } });
        expect(r.code, `${c.url} ${args.join(" ")}: ${r.stderr}`).toBe(c.code);
        expect(r.stdout.trim().split("\n")).toHaveLength(1);
        expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, command: "serve", error: { code: c.error, message: expect.stringContaining(c.says), hint: expect.stringContaining("DATABASE_URL") } });
        expect(r.stderr).not.toContain("internal error");
        expect(r.stdout + r.stderr).not.toContain("pg-pass-0123456789");
      }
    }
  });

  it("a database port that accepts connections and says nothing: 69 after the connect timeout (DATABASE_URL's connect_timeout, default 10 s), not silence for ever", async () => {
    // Accepts every connection and never writes a byte: not PostgreSQL, as a wrong port or a proxy in front of nothing.
    const held: Socket[] = [];
    const silent = createServer((socket) => void held.push(socket));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as AddressInfo).port;
    try {
      const cases = [
        { args: ["serve", "--port", "0", "--json"], url: `postgres://ayida:pg-pass-0123456789@127.0.0.1:${port}/ayida`, within: "10 s" },
        { args: ["serve", "--check", "--json"], url: `postgres://ayida:pg-pass-0123456789@127.0.0.1:${port}/ayida?connect_timeout=1`, within: "1 s" },
      ];
      for (const c of cases) {
        const r = await runCli(c.args, { env: { INNGEST_DEV: "1", DATABASE_URL: c.url } });
        expect(r.code, `${c.args.join(" ")}: ${r.stderr}`).toBe(69);
        expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, command: "serve", error: { code: "STORE_UNAVAILABLE", message: expect.stringContaining(`no answer within ${c.within} of connecting`), hint: expect.stringContaining("DATABASE_URL") } });
        expect(r.stdout + r.stderr).not.toContain("pg-pass-0123456789");
      }
      expect(held.length).toBeGreaterThanOrEqual(2); // it did connect, each time
    } finally {
      held.forEach((s) => s.destroy());
      await new Promise((r) => silent.close(r));
    }
  }, 60_000);

  it("a port already in use is configuration (78), naming the port; nothing else left running", async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const port = (taken.address() as { port: number }).port;
    try {
      const r = await runCli(["serve", "--port", String(port), "--json"], { env: { INNGEST_DEV: "1" } });
      expect(r.code).toBe(78);
      expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(r.stderr).not.toContain("this is a bug");
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, command: "serve", error: { code: "CONFIG" } });
    } finally {
      taken.close();
    }
  });

  it("refuses a CRON_SECRET or METRICS_TOKEN shorter than 16 characters at start (78), for every command, without scrubbing ordinary words", async () => {
    for (const [key, value] of [["CRON_SECRET", "must"], ["CRON_SECRET", "wrong"], ["METRICS_TOKEN", "a-token-of-15ch"]] as const) {
      for (const args of [["serve", "--check"], ["sync", "convocatorias", "--dry-run"]]) {
        const r = await runCli(args, { env: { INNGEST_DEV: "1", [key]: value } });
        expect(r.code, `${key}=${value} ${args.join(" ")}: ${r.stderr}`).toBe(78);
        // The rule, legible: a short secret would have been scrubbed out of it ("CRON_SECRET: *** be at least…").
        expect(r.stderr).toContain(`error: ${key}: must be at least 16 characters`);
        expect(r.stderr).not.toContain("***");
      }
    }
    expect((await runCli(["serve", "--check"], { env: { INNGEST_DEV: "1", CRON_SECRET: "0123456789abcdef" } })).code).toBe(0);
  });

  it("warns about a SCHEDULE_ variable that names no dataset, naming the closest; it schedules nothing", async () => {
    const r = await runCli(["serve", "--check"], { env: { INNGEST_DEV: "1", SCHEDULE_CONVOCATORIA: "0 3 * * *" } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("warning: SCHEDULE_CONVOCATORIA matches no dataset, so nothing is scheduled by it (did you mean SCHEDULE_CONVOCATORIAS?)");
  });

  it("--help shows no empty defaults and says what the options default to", async () => {
    const r = await runCli(["serve", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('(default: "")');
    expect(r.stdout).toMatch(/--port <port>.*default 3000/);
    expect(r.stdout).toMatch(/--grace <seconds>/);
  });

  it("--help lists every route serve answers, the generated dataset routes and sync-all included", async () => {
    const r = await runCli(["serve", "--help"]);
    for (const route of ["/api/inngest", "/api/batch/sync-convocatorias", "/api/batch/sync-convocatoria-individual", "/api/batch/sync-<dataset>", "/api/batch/sync-all", "/api/runs", "/health", "/metrics"]) expect(r.stdout).toContain(route);
  });

  it("dev mode on every interface warns that /api/inngest then runs unsigned requests from the network", async () => {
    const s = await startServe(["--port", "0", "--host", "0.0.0.0"], { INNGEST_DEV: "1" });
    s.child.kill("SIGTERM");
    await s.exited;
    expect(await s.exited, s.stderr()).toBe(143);
    expect(s.stderr()).toMatch(/warning: dev mode on 0\.0\.0\.0: \/api\/inngest runs requests from anyone .* unsigned/);
  });

  it("the printed Dev Server command names the Dev Server's port when INNGEST_DEV says it is not 8288", async () => {
    const s = await startServe(["--port", "0"], { INNGEST_DEV: "http://127.0.0.1:18288" });
    s.child.kill("SIGTERM");
    await s.exited;
    const port = new URL(s.url).port;
    expect(s.stderr()).toContain(`npx inngest-cli@latest dev -p 18288 -u http://localhost:${port}/api/inngest --no-discovery`);
    expect(s.stderr()).not.toContain("expected at http://localhost:8288");
  });

  it("on SIGTERM a request stuck on a hung event API is answered 503 and logged at the grace period, and the process is gone by then", async () => {
    const api = await startFakeEventApi({ fault: () => "hang" });
    try {
      const s = await startServe(["--port", "0", "--grace", "1"], { INNGEST_DEV: api.url, CRON_SECRET: "s3cret-value-123" });
      const inFlight = fetch(`${s.url}/api/batch/sync-convocatoria-individual`, { method: "POST", headers: { authorization: "Bearer s3cret-value-123" }, body: '{"bdns":"6","runId":"cut-2"}' });
      while (api.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
      const t0 = performance.now();
      s.child.kill("SIGTERM");
      const res = await inFlight;
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("SHUTTING_DOWN");
      expect(await s.exited).toBe(143);
      // the promise is 1 s of grace; allow the process its exit, not the SDK's retries or a socket timeout
      expect(performance.now() - t0).toBeLessThan(4_000);
      expect(s.stderr()).toContain('"msg":"request cut short by shutdown"');
      expect(s.stderr()).toContain('"path":"/api/batch/sync-convocatoria-individual"');
      expect(s.stderr()).not.toContain("s3cret-value-123");
    } finally {
      await api.close();
    }
  });

  it("a bad --port is a usage error", async () => {
    const r = await runCli(["serve", "--port", "http"], { env: { INNGEST_DEV: "1" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--port: "http" must be a port number');
  });

  it.each([
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const)("says where it listens, answers, and on %s stops cleanly (exit %i)", async (signal, code) => {
    const cwd = mkdtempSync(join(tmpdir(), "serve-run-"));
    const child = spawn(process.execPath, ["--", BIN, "serve", "--port", "0"], {
      cwd,
      env: { PATH: process.env.PATH ?? "", CI: "1", FORCE_COLOR: "0", NODE_ENV: "test", INNGEST_DEV: "1", CRON_SECRET: "s3cret-value-123", LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on("data", (c) => {
        stderr += c;
        const m = /serving on (http:\/\/[^\s]+)/.exec(stderr);
        if (m && stderr.includes("--no-discovery")) resolve(m[1]!);
      });
      child.once("exit", () => reject(new Error(`exited early: ${stderr}`)));
    });
    expect(stderr).toContain("(dev mode)");
    expect(stderr).toContain("ayida-portal-process-document-storage");
    expect(stderr).toMatch(/npx inngest-cli@latest dev -u http:\/\/localhost:\d+\/api\/inngest --no-discovery/);
    expect(stderr).not.toContain("s3cret-value-123");
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    const exit = new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    child.kill(signal);
    expect(await exit).toBe(code);
    expect(stderr).toContain("stopped");
  });
});

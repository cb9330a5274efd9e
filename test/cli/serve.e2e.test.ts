/** `ayida-jobs serve` as a real process: start-up checks, the start-up message, and clean shutdown. */
import { spawn } from "node:child_process";
import { mkdtempSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, runCli } from "../support/cli.js";

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

/**
 * `ayida-jobs dev` as a process, with a stand-in for the Inngest Dev Server binary
 * (test/fixtures/fake-inngest-dev.mjs: it syncs the app as the real one does and has a child of its
 * own, as npx's wrapper does). Refusals before anything starts; what it prints once ready; and that
 * no process outlives it — Ctrl-C, SIGTERM, a SIGKILL of dev itself, a Dev Server that ignores
 * SIGTERM, one that dies at start or later. The real Dev Server: test/engine/dev.engine.ts.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { INNGEST_CLI_VERSION, resolveEngineCommand } from "../../src/dev/engine.js";
import { runCli, startCli, until, type RunningCli } from "../support/cli.js";
import { freePort } from "../support/ports.js";

const FAKE = resolve(import.meta.dirname, "../fixtures/fake-inngest-dev.mjs");

/** Alive and not a zombie (a reparented child nobody reaped yet counts as gone; Linux tells, through /proc). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return existsSync("/proc/self") ? false : true; // gone meanwhile; or no /proc (macOS): signal 0 reached it
  }
}

async function startDev(args: string[], env: Record<string, string> = {}): Promise<{ dev: RunningCli; cwd: string; pids: () => number[]; port: number }> {
  const cwd = mkdtempSync(join(tmpdir(), "ayida-dev-"));
  const pidFile = join(cwd, "pids");
  const port = await freePort();
  const dev = startCli(["dev", "--port", "0", "--inngest-port", String(port), ...args], { cwd, env: { INNGEST_DEV_BIN: FAKE, FAKE_INNGEST_PIDS: pidFile, ...env } });
  const pids = () => (existsSync(pidFile) ? readFileSync(pidFile, "utf8").split("\n").filter(Boolean).map(Number) : []);
  return { dev, cwd, pids, port };
}

/** "ready in …" (stderr) and the whole summary (stdout: its last line names the logs): two pipes, no order between them. */
const ready = (dev: RunningCli) => until("dev to say it is ready", () => (/ready in [\d.]+ s/.test(dev.stderr()) && /^ {2}logs /m.test(dev.stdout())) || dev.exited(), 15_000);

describe("refused before anything starts (exit 2, nothing created)", () => {
  it.each([
    [["dev", "--sync", "nope"], "dataset"],
    [["dev", "--port", "http"], "--port"],
    [["dev", "--inngest-port", "70000"], "--inngest-port"],
    [["dev", "--ready-timeout", "soon"], "--ready-timeout"],
    [["--json", "dev"], "dev is interactive"],
  ])("%j", async (args, names) => {
    const cwd = mkdtempSync(join(tmpdir(), "ayida-dev-"));
    const r = await runCli(args, { cwd, env: { INNGEST_DEV_BIN: FAKE } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr + r.stdout).toContain(names);
    expect(readdirSync(cwd)).toEqual([]);
  });
});

describe("running", () => {
  it("once the Dev Server lists every function: prints its UI, the app, the store, the documents and the logs; Ctrl-C stops everything (130)", async () => {
    const { dev, cwd, pids, port } = await startDev([]);
    await ready(dev);
    expect(dev.exited(), dev.stderr()).toBe(false);
    expect(dev.stdout()).toContain(`Dev Server UI  http://localhost:${port}`);
    expect(dev.stdout()).toMatch(/app +http:\/\/localhost:\d+\/api\/inngest \(16 functions synced\)/);
    expect(dev.stdout()).toContain(`store          ${join(cwd, "data/ayida-jobs.db")}`);
    expect(dev.stdout()).toContain(`documents      ${join(cwd, "data/documents")}`);
    expect(dev.stdout()).toContain(`logs           ${join(cwd, "data/inngest-dev.log")}, ${join(cwd, "data/serve.log")}`);
    expect(readFileSync(join(cwd, "data/inngest-dev.log"), "utf8")).toContain(`fake inngest on ${port}`);
    expect(pids()).toHaveLength(3);
    expect(pids().every(alive)).toBe(true);

    dev.signal("SIGINT");
    const r = await dev.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain("SIGINT: stopping the Dev Server, serve…");
    expect(pids().filter(alive)).toEqual([]);
  });

  it("--sample: the BDNS it uses is the sample server, the data under ./data/sample", async () => {
    const { dev, cwd } = await startDev(["--sample"]);
    await ready(dev);
    expect(dev.stdout()).toMatch(/BDNS +http:\/\/127\.0\.0\.1:\d+\/bdnstrans\/api \(the sample: synthetic data, no network\)/);
    expect(dev.stdout()).toContain(`store          ${join(cwd, "data/sample/ayida-jobs.db")}`);
    const bdns = /BDNS +(\S+)/.exec(dev.stdout())![1]!;
    expect((await fetch(`${bdns}/regiones`)).status).toBe(200);
    dev.signal("SIGINT");
    expect((await dev.done).code).toBe(130);
    await expect(fetch(`${bdns}/regiones`)).rejects.toThrow(); // closed with it
  });

  it("SIGTERM: the same, exit 143", async () => {
    const { dev, pids } = await startDev([]);
    await ready(dev);
    dev.signal("SIGTERM");
    expect((await dev.done).code).toBe(143);
    expect(pids().filter(alive)).toEqual([]);
  });

  it("dev itself SIGKILLed (no handler runs): the Dev Server and its child do not outlive it", async () => {
    const { dev, pids } = await startDev([]);
    await ready(dev);
    expect(pids().every(alive)).toBe(true);
    dev.signal("SIGKILL");
    await dev.done;
    await until("the Dev Server, its child and the watchdog to be gone", () => pids().every((p) => !alive(p)), 10_000);
  });

  it("a Dev Server that ignores SIGTERM is killed (SIGKILL after 5 s), and dev still exits", async () => {
    const { dev, pids } = await startDev([], { FAKE_INNGEST_MODE: "ignore-term" });
    await ready(dev);
    dev.signal("SIGINT");
    expect((await dev.done).code).toBe(130);
    expect(pids().filter(alive)).toEqual([]);
  });
});

describe("a Dev Server that fails", () => {
  it("at start: exit 69, its log's last lines, nothing left behind", async () => {
    const { dev, cwd, pids } = await startDev([], { FAKE_INNGEST_MODE: "exit-at-start" });
    const r = await dev.done;
    expect(r.code, r.stderr).toBe(69);
    expect(r.stderr).toContain("the Inngest Dev Server exited before it synced the app");
    expect(r.stderr).toContain("fake inngest: failing at start on purpose");
    expect(r.stderr).toContain(join(cwd, "data/inngest-dev.log"));
    expect(pids().filter(alive)).toEqual([]);
  });

  it("later: dev says so and exits 69, serve stopped with it", async () => {
    const { dev, pids } = await startDev([], { FAKE_INNGEST_MODE: "exit-after-ready" });
    await ready(dev);
    const r = await dev.done;
    expect(r.code, r.stderr).toBe(69);
    expect(r.stderr).toContain("the Inngest Dev Server exited (code 4)");
    expect(pids().filter(alive)).toEqual([]);
  });
});

describe("which Dev Server", () => {
  it("none installed: npx of the pinned inngest-cli, with the Dev Server's arguments; when npx fails (offline: its install step downloads the binary), exit 69 saying what to set", async () => {
    const bin = mkdtempSync(join(tmpdir(), "ayida-npx-"));
    const argsFile = join(bin, "args");
    writeFileSync(join(bin, "npx"), `#!/bin/sh\nprintf '%s\\n' "$@" > ${argsFile}\nexit 1\n`, { mode: 0o755 });
    const cwd = mkdtempSync(join(tmpdir(), "ayida-dev-"));
    const dev = startCli(["dev", "--port", "0", "--inngest-port", "18288"], { cwd, env: { PATH: bin } });
    const r = await dev.done;
    expect(r.code, r.stderr).toBe(69);
    expect(r.stderr).toContain(`starting the Inngest Dev Server (npx inngest-cli@${INNGEST_CLI_VERSION})`);
    expect(r.stderr).toContain("set INNGEST_DEV_BIN to an `inngest` binary or put one on PATH");
    expect(readFileSync(argsFile, "utf8").split("\n").slice(0, 9)).toEqual(["--yes", `inngest-cli@${INNGEST_CLI_VERSION}`, "dev", "--host", "127.0.0.1", "--port", "18288", "--no-discovery", "-u"]);
  });

  it("INNGEST_DEV_BIN, else inngest on PATH, else npx of the pinned inngest-cli", () => {
    const dir = resolve(import.meta.dirname, "../fixtures");
    expect(resolveEngineCommand({ INNGEST_DEV_BIN: "/opt/inngest", PATH: dir })).toEqual({ command: "/opt/inngest", prefix: [], source: "INNGEST_DEV_BIN" });
    const empty = mkdtempSync(join(tmpdir(), "ayida-path-"));
    expect(resolveEngineCommand({ PATH: empty })).toEqual({ command: "npx", prefix: ["--yes", `inngest-cli@${INNGEST_CLI_VERSION}`], source: `npx inngest-cli@${INNGEST_CLI_VERSION}` });
    expect(INNGEST_CLI_VERSION).toMatch(/^\d+\.\d+\.\d+$/); // pinned, never "latest"
  });
});

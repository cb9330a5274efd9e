/**
 * The harness itself: it finds a Dev Server or fails saying how to get one (never skips), and when
 * the engine refuses an app's function configuration, "wait until synced" fails at once with the
 * engine's own reason instead of timing out. The refused app is a fixture served by the real SDK.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { AppNotSyncedError, startDevServer, type DevServer } from "./support/dev-server.js";
import { startChild } from "../support/children.js";
import { freePort } from "../support/ports.js";
import { freePorts } from "./support/free-ports.js";
import { NoInngestBinaryError, resolveInngestBinary } from "./support/inngest-binary.js";
import { startProcess, type ChildProc } from "./support/processes.js";
import { REPO_ROOT } from "./support/repo.js";

const scratches: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), "ayida-engine-harness-"));
  scratches.push(dir);
  return dir;
};
// Every scratch folder, including those the refused-app cases leave to their afterEach (removing one twice is harmless).
afterAll(() => {
  for (const dir of scratches) rmSync(dir, { recursive: true, force: true });
});

describe("finding the Dev Server binary", () => {
  it("with none anywhere, fails with how to get one", () => {
    const empty = scratch();
    let err: unknown;
    try {
      resolveInngestBinary({ PATH: empty }, join(empty, "repo"));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NoInngestBinaryError);
    expect(String(err)).toContain("npx inngest-cli@latest");
    expect(String(err)).toContain("INNGEST_DEV_BIN");
  });

  it("INNGEST_DEV_BIN wins over PATH; set to something that is not there, it is an error, not a fallback", () => {
    const dir = scratch();
    for (const name of ["mine", "inngest"]) {
      writeFileSync(join(dir, name), "#!/bin/sh\n");
      chmodSync(join(dir, name), 0o755);
    }
    expect(resolveInngestBinary({ INNGEST_DEV_BIN: join(dir, "mine"), PATH: dir })).toEqual({ path: join(dir, "mine"), source: "INNGEST_DEV_BIN" });
    expect(resolveInngestBinary({ PATH: dir }).path).toBe(join(dir, "inngest"));
    expect(() => resolveInngestBinary({ INNGEST_DEV_BIN: join(dir, "missing"), PATH: dir })).toThrow(/INNGEST_DEV_BIN=.*missing is not an executable file/);
  });

  it("without INNGEST_DEV_BIN or PATH, uses ../shared/tools/inngest-dev next to the repository", () => {
    const root = scratch();
    const repo = join(root, "repo");
    mkdirSync(join(root, "shared/tools/inngest-dev"), { recursive: true });
    const wrapper = join(root, "shared/tools/inngest-dev/inngest-dev");
    writeFileSync(wrapper, `#!/bin/sh\n[ "$1" = --path ] && echo ${wrapper}\n`);
    chmodSync(wrapper, 0o755);
    expect(resolveInngestBinary({ PATH: join(root, "nothing") }, repo)).toEqual({ path: wrapper, source: wrapper });
  });

  it("the suite fails (does not skip) when INNGEST_DEV_BIN points nowhere", async () => {
    // A real run of one engine file, as CI would run it with a broken setting.
    const child = spawn(process.execPath, [resolve(REPO_ROOT, "node_modules/vitest/vitest.mjs"), "run", "-c", "vitest.engine.config.ts", "test/engine/pipeline.engine.ts"], {
      cwd: REPO_ROOT,
      env: { ...process.env, INNGEST_DEV_BIN: "/nonexistent/inngest", NO_COLOR: "1", CI: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    const code = await new Promise<number | null>((r) => child.on("close", r));
    expect(code).toBe(1);
    expect(out).toContain("INNGEST_DEV_BIN=/nonexistent/inngest is not an executable file");
    expect(out).toContain("npm install -g inngest-cli");
    // Failed, not skipped: the run stops at the missing engine before any test runs.
    expect(out).not.toMatch(/Tests\s+\d+ passed/);
  });
});

describe("free ports", () => {
  /** A range of one port, free now: whoever is handed it, nobody else may be. */
  const onePort = async () => {
    const p = await freePort();
    return { from: p, to: p + 1 };
  };

  it("a port handed out is never handed out again by this process, even while nothing listens on it yet", async () => {
    // The app's port is picked, then the Dev Server's four: before the app binds, its port is free
    // to any check — the Dev Server took it once (EADDRINUSE for the app, harness.engine.ts).
    const range = await onePort();
    expect(await freePorts(1, range)).toEqual([range.from]);
    await expect(freePorts(1, range)).rejects.toThrow(`no 1 free ports between ${range.from} and ${range.to}`);
  });

  it("nor by another process while the one it went to lives; once that one has exited, it is free again", async () => {
    const range = await onePort();
    const other = await startChild("test/engine/fixtures/claim-port.ts", [String(range.from), String(range.to)]);
    expect(Number(await other.line())).toBe(range.from);
    await expect(freePorts(1, range)).rejects.toThrow("no 1 free ports");
    other.process.stdin.end();
    await new Promise((r) => other.process.once("exit", r));
    expect(await freePorts(1, range)).toEqual([range.from]);
  });
});

describe("an app whose function configuration the engine refuses", () => {
  let dev: DevServer | undefined;
  let app: ChildProc | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await app?.kill();
    await dev?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ["three-concurrency", "There are more concurrency limits specified than the allowed max of: 2"],
    ["env-scope-without-key", "A concurrency key must be specified for Env scoped limits"],
  ])("%s: waiting for the sync fails with the engine's reason", async (flaw, reason) => {
    dir = scratch();
    const [port] = (await freePorts(1)) as [number];
    const appUrl = `http://localhost:${port}/api/inngest`;
    dev = await startDevServer({ appUrl, dir });
    app = startProcess("refused-app", process.execPath, [resolve(import.meta.dirname, "fixtures/refused-app.mjs"), String(port), flaw], {
      env: { PATH: process.env.PATH, INNGEST_DEV: dev.url },
      cwd: dir,
      logDir: dir,
    });

    const err = await dev.waitForApp(["refused-fixture-refused", "refused-fixture-fine"], { timeoutMs: 45_000, app }).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Refused, not timed out: the harness read the refusal and stopped waiting. (Anything else is
    // rethrown whole: its message says what the harness saw.)
    if (!(err instanceof AppNotSyncedError)) throw err;
    expect(String(err)).toContain(reason);
    expect(String(err)).toContain("registered 0 functions, expected 2");
    // The engine registered nothing of the app, not even its valid function.
    const apps = await dev.apps();
    expect(apps.find((a) => a.url === appUrl)?.functionCount).toBe(0);
  });
});

/**
 * Every documented way of starting the CLI, as a real process, behaves the same with --env-file.
 *
 * Node 20 reads `--env-file` anywhere in its argv, even after the script, until a `--`: so
 * `node bin/ayida-jobs.js … --env-file x` and `npx ayida-jobs … --env-file x` (npx is itself a Node
 * script) are taken by Node before any of our code runs (exit 9, "node: x: not found"). The documented
 * ways put a `--` where Node stops: the bin's shebang (`env -S node --`) for PATH and node_modules/.bin,
 * `npx -- ayida-jobs`, and `node -- bin/ayida-jobs.js`.
 *
 * The installed copy is the packed package (npm pack) unpacked into a project's node_modules with its
 * bin linked, as npm install lays it out; its dependencies are not needed to send (the CLI is bundled).
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { errorResultSchema, sendResultSchema } from "../../src/cli/output-schemas.js";
import { BIN } from "../support/cli.js";
import { startFakeEventApi, type FakeEventApi } from "../support/event-api.js";

const ROOT = resolve(import.meta.dirname, "../..");
let api: FakeEventApi;
let project: string;

beforeAll(async () => {
  api = await startFakeEventApi();
  project = mkdtempSync(join(tmpdir(), "ayida-installed-"));
  // --ignore-scripts: no `prepare` rebuild of dist while other test files run the binary.
  const tarball = execFileSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", project], { cwd: ROOT }).toString().trim().split("\n").pop()!;
  const pkgDir = join(project, "node_modules", "ayida-jobs");
  mkdirSync(pkgDir, { recursive: true });
  execFileSync("tar", ["-xzf", join(project, tarball), "-C", pkgDir, "--strip-components=1"]);
  mkdirSync(join(project, "node_modules", ".bin"));
  symlinkSync("../ayida-jobs/bin/ayida-jobs.js", join(project, "node_modules", ".bin", "ayida-jobs"));
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "uses-ayida-jobs", private: true, dependencies: { "ayida-jobs": "0.1.0" } }));
  writeFileSync(join(project, "ci.env"), `INNGEST_DEV=${api.url}\n`);
}, 60_000);
afterAll(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
});

interface Launch {
  command: string;
  args: string[];
}

const LAUNCHES: Array<[string, () => Launch]> = [
  ["ayida-jobs on PATH (npm link, npm install -g)", () => ({ command: "ayida-jobs", args: [] })],
  ["npx -- ayida-jobs (installed in the project)", () => ({ command: "npx", args: ["--offline", "--", "ayida-jobs"] })],
  ["node -- bin/ayida-jobs.js", () => ({ command: process.execPath, args: ["--", BIN] })],
];

function launch(l: Launch, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, reject) => {
    const child = spawn(l.command, [...l.args, ...args], {
      cwd: project,
      env: { PATH: `${join(project, "node_modules", ".bin")}:${process.env.PATH ?? ""}`, HOME: process.env.HOME ?? project, CI: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

describe.each(LAUNCHES)("%s", (_name, how) => {
  it.each([
    ["--env-file", "missing.env"],
    ["--env-file=missing.env"],
  ])("a missing env file (%s) is exit 78 with our message and the --json error document", async (...flag) => {
    const r = await launch(how(), ["detail", "1", "--json", ...flag]);
    expect(r.stderr).not.toContain("node:");
    expect(r.code).toBe(78);
    expect(errorResultSchema.parse(JSON.parse(r.stdout)).error).toMatchObject({ code: "CONFIG", message: "--env-file: missing.env does not exist" });
    expect(api.requests).toHaveLength(0);
  });

  it("an existing env file is loaded and the event goes where it says", async () => {
    const r = await launch(how(), ["--env-file", "ci.env", "detail", "1", "--json", "--debug"]);
    expect(r.code).toBe(0);
    expect(sendResultSchema.parse(JSON.parse(r.stdout)).target.mode).toBe("dev");
    expect(api.events()).toHaveLength(1);
    expect(r.stderr.match(/env files loaded/g)).toHaveLength(1);
  });
});

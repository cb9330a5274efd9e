/**
 * The CLI as an operator runs it, pointed at the engine: the built bin, a hermetic environment
 * (only PATH and the engine's settings — INNGEST_DEV, or INNGEST_BASE_URL and the keys — and what the case adds; no stray .env file: a fresh working directory). Like test/support/cli.ts,
 * but locating the bin from the repository root, so the bench can use it bundled.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN } from "./repo.js";

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCliAgainst(engineEnv: Record<string, string>, args: string[], extraEnv: Record<string, string> = {}): Promise<CliRun> {
  const cwd = mkdtempSync(join(tmpdir(), "ayida-engine-cli-"));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--", BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? "", FORCE_COLOR: "0", CI: "1", NODE_ENV: "test", ...engineEnv, ...extraEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => {
      rmSync(cwd, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });
}

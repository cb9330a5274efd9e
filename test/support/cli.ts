/** Runs the built CLI as a real process, the way users and CI do. */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const BIN = resolve(import.meta.dirname, "../../bin/ayida-jobs.js");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Hermetic environment: only PATH and what the test gives, byte-stable output (FORCE_COLOR=0, CI=1),
 * and a fresh empty working directory, so no .env.local or .env is read but the test's own.
 */
export function runCli(args: string[], o: { env?: Record<string, string>; stdin?: string; cwd?: string } = {}): Promise<CliRun> {
  const cwd = o.cwd ?? mkdtempSync(join(tmpdir(), "ayida-cli-"));
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ["--", BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? "", FORCE_COLOR: "0", CI: "1", ...o.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, stdout, stderr }));
    child.stdin.end(o.stdin ?? "");
  });
}

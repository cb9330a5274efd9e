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
export function runCli(args: string[], o: { env?: Record<string, string>; stdin?: string; cwd?: string; wrap?: readonly string[] } = {}): Promise<CliRun> {
  const cwd = o.cwd ?? mkdtempSync(join(tmpdir(), "ayida-cli-"));
  // `wrap`: a command the CLI runs under (e.g. `unshare -m sh -c '…; exec "$@"'`), given the CLI's own argv.
  const [command, ...argv] = [...(o.wrap ?? []), process.execPath, "--", BIN, ...args];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command!, argv, {
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

export interface RunningCli {
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves once the process has exited and its output is drained. */
  done: Promise<CliRun>;
  /** Whether it has exited. */
  exited(): boolean;
  signal(sig: NodeJS.Signals): void;
}

/** The CLI as a process the test can watch and signal while it runs (`--wait`, `status --watch`). */
export function startCli(args: string[], o: { env?: Record<string, string>; cwd?: string } = {}): RunningCli {
  const cwd = o.cwd ?? mkdtempSync(join(tmpdir(), "ayida-cli-"));
  const child = spawn(process.execPath, ["--", BIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", FORCE_COLOR: "0", CI: "1", ...o.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let exited = false;
  child.stdout.on("data", (c) => (stdout += c));
  child.stderr.on("data", (c) => (stderr += c));
  const done = new Promise<CliRun>((resolvePromise, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      exited = true;
      resolvePromise({ code, stdout, stderr });
    });
  });
  return { pid: child.pid!, stdout: () => stdout, stderr: () => stderr, done, exited: () => exited, signal: (sig) => void child.kill(sig) };
}

/** Poll until `cond` holds; fail (saying what was awaited) after `ms`. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

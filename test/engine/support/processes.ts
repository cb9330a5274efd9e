/**
 * Child processes the engine suite starts (the Dev Server, `ayida-jobs serve`, fixture apps), each in
 * its own process group so that one kill takes it and anything it started. Three layers make sure
 * none outlives the suite: the harness kills each group in its teardown (afterAll runs when a test
 * fails too); an exit hook kills whatever is left when the test process exits normally; and a
 * detached reaper (reaper.mjs) kills what is left when the test process dies without running hooks.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import type { Socket } from "node:net";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { REPO_ROOT } from "./repo.js";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildProc {
  readonly name: string;
  /** Also the process group id (the child leads its own group). */
  readonly pid: number;
  /** The last ~1 MB of its stdout and stderr, interleaved by line. */
  output(): string;
  /** Where the whole output is written. */
  readonly logFile: string;
  onLine(listener: (line: string) => void): void;
  readonly exited: Promise<Exit>;
  hasExited(): boolean;
  /** SIGKILL the whole process group and wait until the child is gone. */
  kill(): Promise<Exit>;
  /** Send `sig` to the child alone (it may shut down as it likes), and wait until it is gone. */
  stop(sig: NodeJS.Signals): Promise<Exit>;
}

const live = new Set<number>();
let reaper: ChildProcess | undefined;

function tellReaper(line: string): void {
  if (!reaper) {
    reaper = spawn(process.execPath, [resolve(REPO_ROOT, "test/engine/support/reaper.mjs")], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
    reaper.unref();
    (reaper.stdin as Socket).unref();
    reaper.stdin!.on("error", () => undefined);
  }
  reaper.stdin!.write(`${line}\n`);
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

process.on("exit", () => {
  for (const pgid of live) killGroup(pgid);
});

const KEEP_BYTES = 1 << 20;

/** Starts `command` in a new process group (a new session: `detached`), output to `<logDir>/<name>.log`. */
export function startProcess(name: string, command: string, args: string[], o: { env: NodeJS.ProcessEnv; cwd: string; logDir: string }): ChildProc {
  const child = spawn(command, args, { env: o.env, cwd: o.cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name}: could not start ${command} (${args.join(" ")})`);
  live.add(pid);
  tellReaper(`+${pid}`);

  const logFile = resolve(o.logDir, `${name}.log`);
  const log: WriteStream = createWriteStream(logFile, { flags: "a" });
  let tail = "";
  const listeners: Array<(line: string) => void> = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on("line", (line) => {
      log.write(`${line}\n`);
      tail += `${line}\n`;
      if (tail.length > KEEP_BYTES * 2) tail = tail.slice(-KEEP_BYTES);
      for (const l of listeners) l(line);
    });
  }

  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolveExit) => {
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      resolveExit(exit);
    });
    child.once("error", (err) => {
      tail += `\n[${name}] spawn error: ${err.message}\n`;
      exit = { code: -1, signal: null };
      resolveExit(exit);
    });
  });
  void exited.then(() => {
    // The leader is gone; kill the rest of its group too (a wrapper script's children), then forget it.
    killGroup(pid);
    live.delete(pid);
    tellReaper(`-${pid}`);
    log.end();
  });

  return {
    name,
    pid,
    logFile,
    output: () => tail.slice(-KEEP_BYTES),
    onLine: (l) => void listeners.push(l),
    exited,
    hasExited: () => exit !== undefined,
    async kill() {
      if (!exit) killGroup(pid);
      return exited;
    },
    async stop(sig) {
      if (!exit) process.kill(pid, sig);
      return exited;
    },
  };
}

/** The last `lines` lines of a process's output, for error messages. */
export function tailOf(p: ChildProc, lines = 30): string {
  return p.output().trimEnd().split("\n").slice(-lines).join("\n");
}

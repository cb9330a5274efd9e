/**
 * The Inngest Dev Server for `ayida-jobs dev`: which program to run, running it under the watchdog
 * (watchdog.ts: it never outlives us, even a SIGKILLed us), and waiting until it has synced every
 * function of the app.
 */
import { spawn } from "node:child_process";
import { accessSync, closeSync, constants, openSync, readFileSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** The Dev Server `npx` runs when none is installed: the version the engine suite tests against. */
export const INNGEST_CLI_VERSION = "1.43.0";

export interface EngineCommand {
  command: string;
  /** Arguments before the Dev Server's own (`npx`'s). */
  prefix: string[];
  /** For messages: INNGEST_DEV_BIN, PATH, or npx. */
  source: string;
}

/** An executable regular file (a folder named `inngest` on PATH is not a Dev Server). */
export function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** INNGEST_DEV_BIN, else `inngest` on PATH, else `npx --yes inngest-cli@<pinned>` (needs the network once). */
export function resolveEngineCommand(env: NodeJS.ProcessEnv = process.env): EngineCommand {
  if (env.INNGEST_DEV_BIN) return { command: env.INNGEST_DEV_BIN, prefix: [], source: "INNGEST_DEV_BIN" };
  for (const dir of (env.PATH ?? "").split(delimiter).filter(Boolean)) {
    const candidate = join(dir, "inngest");
    if (isExecutableFile(candidate)) return { command: candidate, prefix: [], source: "PATH" };
  }
  return { command: process.platform === "win32" ? "npx.cmd" : "npx", prefix: ["--yes", `inngest-cli@${INNGEST_CLI_VERSION}`], source: `npx inngest-cli@${INNGEST_CLI_VERSION}` };
}

/** The Dev Server's arguments: loopback only, no discovery, syncing our app's URL. */
export function devServerArgs(o: { port: number; appUrl: string }): string[] {
  return ["dev", "--host", "127.0.0.1", "--port", String(o.port), "--no-discovery", "-u", o.appUrl];
}

export interface RunningEngine {
  url: string;
  logFile: string;
  /** The watchdog's pid (the Dev Server runs in a process group of its own under it). */
  pid: number;
  /** Settles when the Dev Server (and so the watchdog) has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  /** The last lines of its log, for an error message. */
  tail(lines?: number): string;
  /** Stops it (SIGTERM, SIGKILL after 5 s) and waits until it is gone. */
  stop(): Promise<void>;
}

export function startEngine(o: { command: EngineCommand; port: number; appUrl: string; logFile: string; watchdog: string }): RunningEngine {
  const log = openSync(o.logFile, "a");
  // The watchdog leads a session of its own: a Ctrl-C in the terminal reaches us, and we stop the
  // Dev Server in order; a pipe on its stdin is the one thing that ties it to us.
  const child = spawn(process.execPath, [o.watchdog, o.command.command, ...o.command.prefix, ...devServerArgs(o)], {
    detached: true,
    stdio: ["pipe", log, log],
    env: { ...process.env, DO_NOT_TRACK: process.env.DO_NOT_TRACK ?? "1", INNGEST_NO_UPDATE_NOTIFIER: process.env.INNGEST_NO_UPDATE_NOTIFIER ?? "1" },
  });
  closeSync(log);
  child.stdin!.on("error", () => undefined);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve((exit = { code, signal })));
    child.once("error", () => resolve((exit = { code: 127, signal: null })));
  });
  return {
    url: `http://127.0.0.1:${o.port}`,
    logFile: o.logFile,
    pid: child.pid ?? -1,
    exited,
    hasExited: () => exit !== undefined,
    tail(lines = 20) {
      try {
        return readFileSync(o.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
      } catch {
        return "";
      }
    },
    async stop() {
      child.stdin!.end();
      await exited;
    },
  };
}

export interface SyncedApp {
  url: string;
  functions: string[];
}

/**
 * Waits until the Dev Server lists an app at `appUrl` with every one of `slugs`. Throws when the Dev
 * Server exits first, reports an error for the app, or `timeoutMs` passes.
 */
export async function waitForFunctions(engine: RunningEngine, appUrl: string, slugs: readonly string[], o: { timeoutMs: number; signal?: AbortSignal }): Promise<SyncedApp> {
  const deadline = Date.now() + o.timeoutMs;
  let last = "the Dev Server does not answer yet";
  for (;;) {
    if (engine.hasExited()) throw new EngineError(`the Inngest Dev Server exited before it synced the app:\n${engine.tail()}`);
    o.signal?.throwIfAborted();
    try {
      const res = await fetch(`${engine.url}/v0/gql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "{ apps { url error functions { slug } } }" }),
        signal: AbortSignal.timeout(5000),
      });
      const body = (await res.json()) as { data?: { apps: Array<{ url: string; error: string | null; functions: Array<{ slug: string }> }> } };
      const app = body.data?.apps.find((a) => a.url === appUrl);
      const have = new Set(app?.functions.map((f) => f.slug) ?? []);
      const missing = slugs.filter((s) => !have.has(s));
      if (app && missing.length === 0) return { url: app.url, functions: [...have] };
      if (app?.error && app.error !== "unreachable") throw new EngineError(`the Inngest Dev Server refused the app at ${appUrl}: ${app.error}`);
      last = app ? `synced ${have.size} functions, missing ${missing.join(", ")}` : "the app is not synced yet";
    } catch (err) {
      if (err instanceof EngineError) throw err;
    }
    if (Date.now() > deadline) throw new EngineError(`the Inngest Dev Server did not sync the app within ${Math.round(o.timeoutMs / 1000)} s (${last}); its log:\n${engine.tail()}`);
    await sleep(300);
  }
}

export class EngineError extends Error {
  override readonly name = "EngineError";
}

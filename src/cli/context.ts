/** What every command gets: the output, the validated env (after env files load) and the run state. */
import type { Env } from "../config/env.js";
import type { Output } from "./output.js";
import type { SendTarget } from "./errors.js";

/** What a command had done when a signal stopped it: the failure's message, hint and JSON fields. */
export interface Interruption {
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

export interface CliContext {
  out: Output;
  /** Set by the program's preAction hook, once env files are loaded. */
  env?: Env;
  cwd: string;
  stdin: NodeJS.ReadableStream;
  /** Known parts of the JSON envelope, so an error document can still say which command and run. */
  state: { command?: string; runId?: string; target?: SendTarget };
  /** Set by a command while it works: on SIGINT/SIGTERM, says what it already did (see main.ts). */
  describeInterruption?: () => Interruption;
  /** A long-running command (serve) takes SIGINT over, to shut down cleanly instead of exiting. */
  signalHandler?: (signal: NodeJS.Signals) => void;
  /** A command that ends without an error but not with 0 (serve stopped by a signal). */
  exitCode?: number;
}

export function requireEnv(ctx: CliContext): Env {
  if (!ctx.env) throw new Error("env not loaded: the preAction hook did not run");
  return ctx.env;
}

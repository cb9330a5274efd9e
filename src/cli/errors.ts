/**
 * Exit codes (sysexits.h and shell custom), and the mapping from any error to one of them.
 * Commands throw; only main.ts sets the exit code.
 */
import { InvalidInputError, summarizeIssues } from "../contracts/errors.js";
import { ConfigError } from "../config/errors.js";
import { devServerStartCommand } from "../config/dev-server.js";
import { EventSendError } from "../send-error.js";
import { RunSourceError } from "../runs/errors.js";
import { StoreOpenError } from "../adapters/store/errors.js";

export const EXIT = {
  ok: 0,
  /** The operation failed for an expected reason. */
  failed: 1,
  /** Usage: unknown flag, bad argument, invalid input. Nothing was sent. */
  usage: 2,
  /** The event API is unreachable or refuses (after the SDK's retries); or where runs are read from is. */
  unavailable: 69,
  /** --wait: the store knows nothing of the run after the pick-up grace period, and no function ran meanwhile. */
  notPickedUp: 75,
  /** --wait: the run did not end within --wait-timeout (as timeout(1) exits). The work goes on. */
  timeout: 124,
  /** A bug: any error that is not one of ours. */
  internal: 70,
  /** stdout could not be written (a full disk, an I/O error): the output is incomplete (EX_IOERR). */
  outputFailed: 74,
  /** Configuration: a missing or invalid env var or env file. */
  config: 78,
  /**
   * stdout was closed before the output was complete (a reader such as `head` stopped early): what a
   * tool killed by SIGPIPE reports (128 + 13), so `set -o pipefail` never reads a cut-short command,
   * or a `status --watch` that never saw its run end, as success.
   */
  outputClosed: 141,
  /** Interrupted by SIGINT (128 + 2). */
  interrupted: 130,
  /** Stopped by SIGTERM (128 + 15). */
  terminated: 143,
} as const;

export class CliError extends Error {
  override name = "CliError";
  readonly exitCode: number;
  readonly code: string;
  readonly hint: string | undefined;
  /** Extra fields for the --json error envelope (e.g. what was and was not sent). */
  readonly details: Record<string, unknown> | undefined;

  constructor(message: string, o: { exitCode?: number; code?: string; hint?: string | undefined; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, { cause: o.cause });
    this.exitCode = o.exitCode ?? EXIT.failed;
    this.code = o.code ?? "FAILED";
    this.hint = o.hint;
    this.details = o.details;
  }
}

export class UsageError extends CliError {
  override name = "UsageError";
  constructor(message: string, o: { code?: string; hint?: string; details?: Record<string, unknown> } = {}) {
    super(message, { exitCode: EXIT.usage, code: o.code ?? "USAGE", hint: o.hint ?? "run with --help for usage", ...(o.details && { details: o.details }) });
  }
}

/** Where a send was going, so that its failure can say so. */
export interface SendTarget {
  /** The event API's base URL (no key in it). */
  baseUrl: string;
  mode: "dev" | "cloud";
}

/** Turn anything thrown into a CliError. */
export function toCliError(err: unknown, target?: SendTarget): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof InvalidInputError) {
    // One problem on the error line; many, one per line, the first ten and a count (--json has all).
    const n = err.issues.length;
    const message = n === 1 ? `invalid input: ${err.message}` : `invalid input, ${n} problems:\n  ${summarizeIssues(err.issues, "\n  ")}`;
    return new UsageError(message, { code: "INVALID_INPUT", hint: `nothing was sent; fix the input and run again${n > 10 ? " (--json lists every problem)" : ""}`, details: { issues: err.issues } });
  }
  if (err instanceof ConfigError) return new CliError(err.message, { exitCode: EXIT.config, code: "CONFIG", hint: err.hint, cause: err });
  if (err instanceof EventSendError) return sendError(err, target);
  if (err instanceof RunSourceError) {
    return err.reason === "refused"
      ? new CliError(err.message, { exitCode: EXIT.config, code: "RUNS_REFUSED", hint: err.hint, cause: err })
      : new CliError(err.message, { exitCode: EXIT.unavailable, code: "RUNS_UNAVAILABLE", hint: err.hint, cause: err });
  }
  if (err instanceof StoreOpenError) {
    return err.reason === "config"
      ? new CliError(err.message, { exitCode: EXIT.config, code: "CONFIG", hint: err.hint, cause: err })
      : new CliError(err.message, { exitCode: EXIT.unavailable, code: "STORE_UNAVAILABLE", hint: err.hint, cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new CliError(`internal error: ${message}`, { exitCode: EXIT.internal, code: "INTERNAL", hint: "this is a bug in ayida-jobs; run with --debug for the stack and report it", cause: err });
}

/**
 * What a failed send means for the person or pipeline that asked: what was sent, whether the rest may
 * have arrived anyway, and what to do. "Nothing was sent" only when no request left the process.
 */
function sendError(err: EventSendError, target: SendTarget | undefined): CliError {
  const details = { events: err.sent, ids: err.ids, unsent: err.unsent, ...(err.mayHaveArrived && { unsentMayHaveArrived: true }) };
  const url = target?.baseUrl;
  const rerun = `re-running with the same --run-id ${err.runId ?? ""} is safe: the events keep their ids and Inngest drops the ones it already has`.replace("  ", " ");
  if (err.reason === "key-rejected") {
    return new CliError(err.message, {
      exitCode: EXIT.config,
      code: "EVENT_KEY_REJECTED",
      hint: `INNGEST_EVENT_KEY is not an event key of the Inngest environment${url ? ` at ${url}` : ""}: copy one from the Inngest dashboard (Manage → Event keys) of that environment, and set INNGEST_ENV for a branch environment; retrying with this key cannot help`,
      details,
      cause: err,
    });
  }
  if (err.requestsSent === 0 && err.reason === "unavailable") {
    if (url && target?.mode === "dev") {
      return new CliError(`no Dev Server at ${url}: start it with: ${devServerStartCommand(url)}`, {
        exitCode: EXIT.unavailable,
        code: "EVENT_API_UNAVAILABLE",
        hint: "nothing was sent; if the Dev Server listens elsewhere, set INNGEST_DEV to its URL",
        details,
        cause: err,
      });
    }
    return new CliError(err.message, { exitCode: EXIT.unavailable, code: "EVENT_API_UNAVAILABLE", hint: `nothing was sent: no request reached ${url ?? "the event API"}; check INNGEST_BASE_URL / INNGEST_EVENT_API_BASE_URL and the network`, details, cause: err });
  }
  const maybe = err.mayHaveArrived ? " (they MAY have arrived: a request carrying them got no answer)" : "";
  const tally = err.sent.length > 0 ? `${err.sent.length} events were sent before the failure and ${err.unsent.length} were not confirmed${maybe}` : `${err.unsent.length} event(s) not confirmed${maybe}`;
  if (err.reason === "timeout") {
    return new CliError(err.message, { exitCode: EXIT.unavailable, code: "EVENT_API_TIMEOUT", hint: `${tally}; ${rerun}`, details, cause: err });
  }
  return new CliError(err.message, { exitCode: EXIT.unavailable, code: "EVENT_API_UNAVAILABLE", hint: `${tally}; ${rerun}`, details, cause: err });
}

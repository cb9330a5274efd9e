/**
 * Exit codes (sysexits.h and shell custom), and the mapping from any error to one of them.
 * Commands throw; only main.ts sets the exit code.
 */
import { InvalidInputError } from "../contracts/errors.js";
import { ConfigError } from "../config/errors.js";
import { EventSendError } from "../send-error.js";

export const EXIT = {
  ok: 0,
  /** The operation failed for an expected reason. */
  failed: 1,
  /** Usage: unknown flag, bad argument, invalid input. Nothing was sent. */
  usage: 2,
  /** The event API is unreachable or refuses (after the SDK's retries). */
  unavailable: 69,
  /** A bug: any error that is not one of ours. */
  internal: 70,
  /** Configuration: a missing or invalid env var or env file. */
  config: 78,
  /** Interrupted by SIGINT (128 + 2). */
  interrupted: 130,
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

/** Turn anything thrown into a CliError. */
export function toCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof InvalidInputError) {
    return new UsageError(`invalid input: ${err.message}`, { code: "INVALID_INPUT", hint: "nothing was sent; fix the input and run again", details: { issues: err.issues } });
  }
  if (err instanceof ConfigError) return new CliError(err.message, { exitCode: EXIT.config, code: "CONFIG", hint: err.hint, cause: err });
  if (err instanceof EventSendError) {
    return new CliError(err.message, {
      exitCode: EXIT.unavailable,
      code: "EVENT_API_UNAVAILABLE",
      hint: err.sent.length > 0 ? `${err.sent.length} events were sent before the failure and ${err.unsent.length} were not; re-run with the same --run-id to send the rest (sent ones are deduplicated)` : "nothing was sent; check INNGEST_EVENT_KEY, INNGEST_DEV / INNGEST_BASE_URL and that the event API is reachable",
      details: { events: err.sent, ids: err.ids, unsent: err.unsent },
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new CliError(`internal error: ${message}`, { exitCode: EXIT.internal, code: "INTERNAL", hint: "this is a bug in ayida-jobs; run with --debug for the stack and report it", cause: err });
}

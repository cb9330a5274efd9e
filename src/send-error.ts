/**
 * The error the service throws when the event API fails. Its own module, free of the SDK, so the
 * CLI's error mapping can recognise it without loading the send path.
 */
import type { SendableEvent } from "./contracts/schemas.js";

/**
 * Why a send failed:
 * - `key-rejected`: the event API answered 401/403 — the event key is wrong (configuration; retrying
 *   cannot help, so the send stops at the first such answer instead of sitting through the retries);
 * - `timeout`: the whole send took longer than its timeout (all retries included);
 * - `unavailable`: the SDK's 5 attempts failed (unreachable, 5xx, …).
 */
export type SendFailure = "key-rejected" | "timeout" | "unavailable";

/** The event API refused, could not be reached, or did not answer in time. */
export class EventSendError extends Error {
  override readonly name = "EventSendError";
  readonly reason: SendFailure;
  /** Requests that left the process during the send: 0 means nothing can have arrived. */
  readonly requestsSent: number;
  /**
   * The `unsent` events may nonetheless have arrived: a request carrying them left and got no answer
   * (cut by the timeout, or reset). Re-sending them with the same runId is safe either way: their ids
   * are the same, and Inngest drops the duplicates.
   */
  readonly mayHaveArrived: boolean;

  constructor(
    message: string,
    readonly sent: SendableEvent[],
    readonly ids: string[],
    readonly unsent: SendableEvent[],
    options: { cause?: unknown; reason?: SendFailure; requestsSent?: number; mayHaveArrived?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.reason = options.reason ?? "unavailable";
    this.requestsSent = options.requestsSent ?? 0;
    this.mayHaveArrived = options.mayHaveArrived ?? false;
  }

  /** The request's runId (every event of one send carries the same). */
  get runId(): string | undefined {
    return (this.unsent[0] ?? this.sent[0])?.data.runId;
  }
}

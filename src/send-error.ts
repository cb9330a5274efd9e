/**
 * The error the service throws when the event API fails. Its own module, free of the SDK, so the
 * CLI's error mapping can recognise it without loading the send path.
 */
import type { EventPayload } from "./contracts/schemas.js";

/** The event API refused or could not be reached (after the SDK's own 5 attempts). */
export class EventSendError extends Error {
  override readonly name = "EventSendError";
  constructor(
    message: string,
    readonly sent: EventPayload[],
    readonly ids: string[],
    readonly unsent: EventPayload[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Watches one send through the fetch the Inngest client uses (src/net/http-fetch.ts), because the SDK
 * gives its caller no say: it retries any failure 5 times (~1.7 s of backoff) and takes no signal.
 * - A timeout covers the whole send, every batch and every retry; on expiry the request in flight is
 *   cancelled and the send fails at once.
 * - A 401/403 answer means the event key is wrong: retrying cannot help, so the send fails at that
 *   answer, and the requests the SDK still tries are refused before they leave.
 * - It counts the requests that left the process and the answers that came back, so a failure can say
 *   truthfully whether the events may have arrived, and "nothing was sent" only when none left.
 */
import { EventSendError, type SendFailure } from "./send-error.js";
import { fetchObserver, type FetchObserver } from "./net/http-fetch.js";
import type { SendableEvent } from "./contracts/schemas.js";

export const DEFAULT_SEND_TIMEOUT_MS = 30_000;

export class SendWatch {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private timedOut = false;
  private rejection: { status: number; message: string } | undefined;
  /** Requests that left the process, over the whole send. */
  private requestsSent = 0;
  /** The current batch's requests that left, and the answers they got. */
  private batchSent = 0;
  private batchAnswered = 0;

  constructor(readonly timeoutMs: number = DEFAULT_SEND_TIMEOUT_MS) {
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new Error(`no answer within ${formatDuration(timeoutMs)}`));
    }, timeoutMs);
    this.timer.unref(); // never what keeps a finished process alive
  }

  /** Run one batch's send; rejects as soon as the timeout expires or the key is rejected. */
  async run<T>(send: () => Promise<T>): Promise<T> {
    this.batchSent = this.batchAnswered = 0;
    const { signal } = this.controller;
    signal.throwIfAborted();
    const observer: FetchObserver = {
      signal,
      onSent: () => {
        this.requestsSent++;
        this.batchSent++;
      },
      onResponse: (status, body) => {
        this.batchAnswered++;
        if ((status === 401 || status === 403) && !this.rejection) {
          this.rejection = { status, message: apiMessage(body) };
          this.controller.abort(new Error(`event key rejected (${status})`));
        }
      },
    };
    const work = fetchObserver.run(observer, send);
    work.catch(() => {}); // it may settle after we stopped waiting for it
    return new Promise<T>((resolve, reject) => {
      const stop = () => reject(signal.reason);
      signal.addEventListener("abort", stop, { once: true });
      work.then(resolve, reject).finally(() => signal.removeEventListener("abort", stop));
    });
  }

  /** The error for a batch that failed, with what was and was not sent. */
  failure(cause: unknown, where: { batch: number; batches: number; sent: SendableEvent[]; ids: string[]; unsent: SendableEvent[] }): EventSendError {
    const reason: SendFailure = this.rejection ? "key-rejected" : this.timedOut ? "timeout" : "unavailable";
    const detail =
      reason === "key-rejected"
        ? `the event API rejected the event key: HTTP ${this.rejection!.status}${this.rejection!.message ? ` ${this.rejection!.message}` : ""}`
        : reason === "timeout"
          ? `no answer from the event API within ${formatDuration(this.timeoutMs)}`
          : `event API failed: ${cause instanceof Error ? cause.message : String(cause)}`;
    const where_ = where.batches > 1 ? ` (batch ${where.batch} of ${where.batches})` : "";
    return new EventSendError(`${detail}${where_}`, where.sent, where.ids, where.unsent, {
      cause,
      reason,
      requestsSent: this.requestsSent,
      // A request that left and got no answer may have been accepted; an answered one was refused.
      mayHaveArrived: reason !== "key-rejected" && this.batchSent > this.batchAnswered,
    });
  }

  /** Stop the clock, and cancel whatever the SDK may still be trying. */
  dispose(): void {
    clearTimeout(this.timer);
    this.controller.abort(new Error("send finished"));
  }
}

/** `30000` → `30s`, `120000` → `2m`, `1500` → `1500ms`: the way --timeout is written. */
export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** The event API's own words, from `{"error": "…"}` or the text itself; short. */
function apiMessage(body: Buffer): string {
  const text = body.toString("utf8").trim();
  let message = text;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object") {
      const p = parsed as Record<string, unknown>;
      message = typeof p.error === "string" ? p.error : typeof p.message === "string" ? p.message : "";
    }
  } catch {
    /* not JSON: the text as is */
  }
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}

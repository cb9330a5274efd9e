/**
 * Sending built events: in batches through the Inngest client, within one time limit, reporting
 * exactly what was and was not sent (send-watch.ts, send-error.ts). What the library's triggers
 * (service.ts), the CLI and the HTTP routes all send through; it builds no event, so a send of
 * details does not load the sync builders and the datasets' declarations behind them.
 */
import { toSdkEvent } from "./contracts/events.js";
import type { SendableEvent } from "./contracts/schemas.js";
import { DEFAULT_SEND_TIMEOUT_MS, SendWatch } from "./send-watch.js";
import { createInngestClient, type AyidaInngest } from "./config/client.js";
import { parseEnv, requireEventKey, type Env } from "./config/env.js";

export interface BatchReport {
  batch: number;
  batches: number;
  events: SendableEvent[];
  ids: string[];
}

export interface SendOptions {
  /** Called after each batch the event API accepted. */
  onBatch?: (report: BatchReport) => void;
  /** The whole send, every batch and every SDK retry included (default: the service's, 30 s). */
  timeoutMs?: number;
}

/**
 * 500 events per request: with the longest runId an event is ~350 bytes, so a request stays under
 * ~180 KB, inside the event API's 256 KiB limit on the smallest plan.
 */
export const SEND_BATCH_SIZE = 500;

export interface ServiceOptions {
  /** Defaults to `parseEnv(process.env)`. */
  env?: Env;
  /** Defaults to a client built from `env`. */
  client?: AyidaInngest;
  batchSize?: number;
  /** Default time limit of one send, all batches and retries included (30 s). */
  timeoutMs?: number;
}

/** `send(events)`: the event ids Inngest gave, in order; an EventSendError says what was sent when it fails. */
export function createSender(opts: ServiceOptions = {}) {
  let env = opts.env;
  let client = opts.client;
  const batchSize = opts.batchSize ?? SEND_BATCH_SIZE;
  const getEnv = () => (env ??= parseEnv());
  const getClient = () => (client ??= createInngestClient(getEnv()));

  return async function send(events: SendableEvent[], sendOpts: SendOptions = {}): Promise<string[]> {
    if (!opts.client) requireEventKey(getEnv());
    const inngest = getClient();
    const watch = new SendWatch(sendOpts.timeoutMs ?? opts.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS);
    const ids: string[] = [];
    const batches = Math.ceil(events.length / batchSize);
    try {
      for (let b = 0; b < batches; b++) {
        const batch = events.slice(b * batchSize, (b + 1) * batchSize);
        let batchIds: string[];
        try {
          ({ ids: batchIds } = await watch.run(() => inngest.send(batch.map(toSdkEvent))));
        } catch (cause) {
          const sent = events.slice(0, b * batchSize);
          throw watch.failure(cause, { batch: b + 1, batches, sent, ids, unsent: events.slice(sent.length) });
        }
        ids.push(...batchIds);
        sendOpts.onBatch?.({ batch: b + 1, batches, events: batch, ids: batchIds });
      }
    } finally {
      watch.dispose();
    }
    return ids;
  };
}

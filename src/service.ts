/**
 * InngestService: the library API, as the seed shows it, and what the CLI and the HTTP routes send
 * through. Builds events with the contracts' builders, turns them into SDK events (`.create()`, so the
 * SDK validates them again) and sends them in batches, reporting exactly what was and was not sent.
 */
import { buildDetailRequests, buildDocumentRequest, buildSyncRequest, buildSyncRequests, newRunContext, type SourcedCode } from "./contracts/build.js";
import { toSdkEvent } from "./contracts/events.js";
import type { SendableEvent } from "./contracts/schemas.js";
import { EventSendError } from "./send-error.js";
import { DEFAULT_SEND_TIMEOUT_MS, SendWatch } from "./send-watch.js";
import { createInngestClient, type AyidaInngest } from "./config/client.js";
import { parseEnv, requireEventKey, type Env } from "./config/env.js";

/** What a trigger sent: the runId, the events (with their idempotency ids) and Inngest's event ids. */
export interface TriggerResult {
  runId: string;
  events: SendableEvent[];
  ids: string[];
}

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

export function createInngestService(opts: ServiceOptions = {}) {
  let env = opts.env;
  let client = opts.client;
  const batchSize = opts.batchSize ?? SEND_BATCH_SIZE;
  const getEnv = () => (env ??= parseEnv());
  const getClient = () => (client ??= createInngestClient(getEnv()));

  async function send(events: SendableEvent[], sendOpts: SendOptions = {}): Promise<string[]> {
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
  }

  async function trigger(events: SendableEvent[], runId: string, sendOpts?: SendOptions): Promise<TriggerResult> {
    return { runId, events, ids: await send(events, sendOpts) };
  }

  return {
    send,
    /**
     * `convocatorias/sync.requested`; window defaults to the 7 days ending yesterday. `allowRemoval`: as
     * for triggerDatasetSync (the window's convocatorias, and with `full` their documents).
     */
    async triggerConvocatoriasSync(o: { from?: string; to?: string; full?: boolean; allowRemoval?: boolean; runId?: string } = {}) {
      const ctx = newRunContext({ runId: o.runId });
      return trigger([buildSyncRequest(o, ctx)], ctx.runId);
    },
    /** `convocatorias/detail.requested` for one BDNS code. */
    async triggerConvocatoriaDetail(bdns: string, o: { runId?: string } = {}) {
      const ctx = newRunContext({ runId: o.runId });
      return trigger(buildDetailRequests([bdns], ctx), ctx.runId);
    },
    /** One `convocatorias/detail.requested` per distinct code; all are validated before any is sent. */
    async triggerConvocatoriaDetails(codes: ReadonlyArray<string | SourcedCode>, o: { runId?: string } & SendOptions = {}) {
      const ctx = newRunContext({ runId: o.runId });
      return trigger(buildDetailRequests(codes, ctx), ctx.runId, o);
    },
    /** `documents/storage.requested` for one document of one convocatoria. */
    async triggerDocumentStorage(bdns: string, documentId: string, o: { runId?: string } = {}) {
      const ctx = newRunContext({ runId: o.runId });
      return trigger([buildDocumentRequest(bdns, documentId, ctx)], ctx.runId);
    },
    /**
     * `<dataset>/sync.requested` for any dataset `ayida-jobs datasets` lists (`organos`, `concesiones`…),
     * or one event per dataset under one runId with `"all"`. `from`/`to` apply to windowed datasets.
     * `allowRemoval`: mark removed what BDNS no longer lists even when its answer is empty or shrank
     * past what one answer may remove (an operator vouching that the shrink is real).
     */
    async triggerDatasetSync(dataset: string, o: { from?: string; to?: string; full?: boolean; allowRemoval?: boolean; runId?: string } = {}) {
      const ctx = newRunContext({ runId: o.runId });
      return trigger(buildSyncRequests({ ...o, dataset }, ctx), ctx.runId);
    },
  };
}

export { EventSendError };

export type InngestServiceApi = ReturnType<typeof createInngestService>;

let defaultService: InngestServiceApi | undefined;
const lazy = () => (defaultService ??= createInngestService());

/**
 * The seed's `InngestService`, configured from process.env on first use:
 * `await InngestService.triggerConvocatoriaDetail("123456")`.
 */
export const InngestService: InngestServiceApi = {
  send: (...a) => lazy().send(...a),
  triggerConvocatoriasSync: (...a) => lazy().triggerConvocatoriasSync(...a),
  triggerConvocatoriaDetail: (...a) => lazy().triggerConvocatoriaDetail(...a),
  triggerConvocatoriaDetails: (...a) => lazy().triggerConvocatoriaDetails(...a),
  triggerDocumentStorage: (...a) => lazy().triggerDocumentStorage(...a),
  triggerDatasetSync: (...a) => lazy().triggerDatasetSync(...a),
};

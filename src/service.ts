/**
 * InngestService: the library API, as the seed shows it. Builds events with the contracts' builders
 * and sends them with send.ts (which turns them into SDK events — `.create()`, so the SDK validates
 * them again — and sends them in batches, reporting exactly what was and was not sent).
 */
import { buildDetailRequests, buildDocumentRequest, newRunContext, type SourcedCode } from "./contracts/build.js";
import { buildSyncRequest, buildSyncRequests } from "./contracts/sync-requests.js";
import type { SendableEvent } from "./contracts/schemas.js";
import { EventSendError } from "./send-error.js";
import { createSender, type SendOptions, type ServiceOptions } from "./send.js";

export { SEND_BATCH_SIZE, type BatchReport, type SendOptions, type ServiceOptions } from "./send.js";

/** What a trigger sent: the runId, the events (with their idempotency ids) and Inngest's event ids. */
export interface TriggerResult {
  runId: string;
  events: SendableEvent[];
  ids: string[];
}

export function createInngestService(opts: ServiceOptions = {}) {
  const send = createSender(opts);

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

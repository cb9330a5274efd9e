/**
 * ayida-jobs as a library: `import { InngestService } from "ayida-jobs"`.
 * Also the contracts (events, rules, builders) and the client factory, for code that sends its own.
 */
export { InngestService, createInngestService, EventSendError, SEND_BATCH_SIZE } from "./service.js";
export type { TriggerResult, BatchReport, SendOptions, ServiceOptions, InngestServiceApi } from "./service.js";
export type { SendFailure } from "./send-error.js";
export { DEFAULT_SEND_TIMEOUT_MS } from "./send-watch.js";
export * from "./contracts/index.js";
export { createInngestClient } from "./config/client.js";
export { parseEnv, requireEventKey, inngestMode, eventApiBaseUrl, loadEnvFiles } from "./config/env.js";
export type { Env } from "./config/env.js";
export { ConfigError } from "./config/errors.js";
export { sendResultSchema, errorResultSchema, runStateSchema, runSummarySchema, runsResultSchema, statusResultSchema } from "./cli/output-schemas.js";
export type { RunState, RunSummary, RunStateName, DatasetState, FailedItem, FailingItem } from "./runs/state.js";
export { PORTAL_READS, ABIERTO_SQL, compileRead, ftsMatch } from "./adapters/store/portal-reads.js";
export type { PortalRead, StoreDialect } from "./adapters/store/portal-reads.js";

/**
 * What the functions work with: the BDNS client, the store, the document store and the logger.
 * Built from the env in `serve`; tests build their own against loopback BDNS and a temp directory.
 */
import { BdnsClient } from "../adapters/bdns/client.js";
import { sharedSpacer } from "../adapters/bdns/limiter.js";
import { DocumentStore } from "../adapters/store/documents.js";
import { Store } from "../adapters/store/store.js";
import { retryBackoffMs, type Env } from "../config/env.js";
import type { Logger } from "../config/logger.js";

export interface JobDeps {
  bdns: BdnsClient;
  /** Opened on first use and shared; closed by whoever created the deps. */
  store: () => Promise<Store>;
  documents: DocumentStore;
  logger: Logger;
  /** Rows per listing page (BDNS allows up to 10,000). */
  pageSize: number;
  /** The backoff after a transient failure (RETRY_BACKOFF); undefined: flow.ts's default. */
  retryBackoffMs?: readonly number[] | undefined;
}

export function createJobDeps(env: Env, logger: Logger): JobDeps & { close(): Promise<void> } {
  let opened: Promise<Store> | undefined;
  return {
    bdns: new BdnsClient({
      ...(env.BDNS_API_URL && { baseUrl: env.BDNS_API_URL }),
      ...(env.BDNS_TIMEOUT_MS && { timeoutMs: env.BDNS_TIMEOUT_MS }),
      spacer: sharedSpacer(env.BDNS_RATE_LIMIT),
    }),
    store: () => (opened ??= Store.open(env.DATABASE_URL)),
    documents: new DocumentStore(env.DOCUMENTS_DIR),
    logger,
    pageSize: 10_000,
    retryBackoffMs: retryBackoffMs(env),
    async close() {
      if (opened) await (await opened).close();
    },
  };
}

/**
 * What the functions work with: the BDNS client, the store, the document store and the logger.
 * Built from the env in `serve`; tests build their own against loopback BDNS and a temp directory.
 */
import { SharedBudget } from "../adapters/bdns/budget.js";
import { BdnsClient } from "../adapters/bdns/client.js";
import { DEFAULT_RATE_PER_SECOND, StartSpacer, type BudgetObserver } from "../adapters/bdns/limiter.js";
import { openBudgetStore } from "../adapters/store/budget.js";
import type { DocumentStore } from "../adapters/store/document-store.js";
import { openDocumentStore } from "../adapters/store/open-documents.js";
import { Store } from "../adapters/store/store.js";
import { documentsTarget, retryBackoffMs, type Env } from "../config/env.js";
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
  /**
   * A run that stored at least this many rows refreshes the planner's statistics of its tables when its
   * last unit is done (default ANALYZE_AFTER_ROWS).
   */
  analyzeAfterRows?: number | undefined;
}

/** Rows a run stores before the planner's statistics are refreshed after it (see JobDeps.analyzeAfterRows). */
export const ANALYZE_AFTER_ROWS = 50_000;
/** At most one "connection lost" line this often. */
const LOST_LOG_EVERY_MS = 10_000;

/**
 * `observer`: where the budget's events go besides the logs (metrics: limiter waits, fallback on/off).
 * BDNS_BUDGET=shared (the default): every start of this process takes a slot reserved in the store the
 * deployment shares, so all `serve` processes together keep one rate; `process`: this process alone.
 */
export function createJobDeps(env: Env, logger: Logger, o: { observer?: BudgetObserver } = {}): JobDeps & { joinBudget(): void; close(): Promise<void> } {
  let opened: Promise<Store> | undefined;
  const storeLog = logger.child({ component: "store" });
  let lastLostLog = -Infinity;
  const store = () =>
    (opened ??= Store.open(env.DATABASE_URL, {
      // A restart ends every pooled connection at once: one line per outage, not one per connection.
      onConnectionLost: (err) => {
        if (performance.now() - lastLostLog < LOST_LOG_EVERY_MS) return;
        lastLostLog = performance.now();
        storeLog.warn({ reason: err.message, code: (err as { code?: string }).code }, "store: a database connection was lost; the pool opens a new one on the next query (steps that failed meanwhile are retried)");
      },
    }));
  const rate = env.BDNS_RATE_LIMIT ?? DEFAULT_RATE_PER_SECOND;
  const budget =
    env.BDNS_BUDGET === "process"
      ? undefined
      : new SharedBudget(
          async () => {
            await store(); // migrated: PostgreSQL's budget row is made by a migration
            return openBudgetStore(env.DATABASE_URL);
          },
          { ratePerSecond: rate, log: logger.child({ component: "bdns-budget" }), observer: o.observer },
        );
  const spacer = new StartSpacer(rate, { ...(budget && { slots: budget }), ...(o.observer && { observer: o.observer }) });
  return {
    bdns: new BdnsClient({
      ...(env.BDNS_API_URL && { baseUrl: env.BDNS_API_URL }),
      ...(env.BDNS_TIMEOUT_MS && { timeoutMs: env.BDNS_TIMEOUT_MS }),
      spacer,
    }),
    store,
    documents: openDocumentStore(documentsTarget(env)),
    logger,
    pageSize: 10_000,
    retryBackoffMs: retryBackoffMs(env),
    /** Count this process among the budget's sharers from now on, before its first request (see SharedBudget.join). */
    joinBudget: () => budget?.join(),
    async close() {
      await spacer.close();
      if (opened) await (await opened).close();
    },
  };
}

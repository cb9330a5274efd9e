/**
 * What /health says of the store: whether its database answers now (`ok`), is there but every
 * connection of this process is in use (`busy`), or fails or does not answer (`down`), and since when.
 * serve itself rides out a database that is down — the functions' steps fail and Inngest retries them,
 * reads answer 503 — so /health answers 200 either way: a load balancer that took every instance out
 * because their shared database restarted would turn a blip into an outage. Monitor `store.state`.
 *
 * A probe is one trivial query bounded to PROBE_TIMEOUT_MS, at most one at a time and reused for
 * PROBE_REUSE_MS: a health check every few ms from several balancers costs the database nothing.
 * Changes of state are logged once each way.
 */
import type { Store } from "../adapters/store/store.js";
import type { Logger } from "../config/logger.js";

export type StoreState = "ok" | "busy" | "down";

export interface StoreHealth {
  dialect: Store["dialect"];
  state: StoreState;
  /** When the store entered this state (or serve started), ISO 8601. */
  since: string;
}

const PROBE_TIMEOUT_MS = 1_500;
const PROBE_REUSE_MS = 1_000;

export function storeHealth(store: () => Promise<Store>, logger: Pick<Logger, "warn" | "info">): () => Promise<StoreHealth> {
  let current: { state: StoreState; since: string } = { state: "ok", since: new Date().toISOString() };
  /** The last probe: pending (settledAt undefined) or settled at. */
  let last: { settledAt?: number; health: Promise<StoreHealth> } | undefined;

  const probe = async (): Promise<StoreHealth> => {
    const s = await store();
    const r = await s.probe(PROBE_TIMEOUT_MS);
    if (r.state !== current.state) {
      const was = current.state;
      current = { state: r.state, since: new Date().toISOString() };
      if (r.state === "ok") logger.info({ store: s.location, was }, "store: the database answers again");
      else logger.warn({ store: s.location, state: r.state, reason: r.error }, `store: the database is not answering (${r.state}); serve stays up, steps are retried by Inngest and reads answer 503 until it does`);
    }
    return { dialect: s.dialect, ...current };
  };

  return () => {
    if (!last || (last.settledAt !== undefined && performance.now() - last.settledAt > PROBE_REUSE_MS)) {
      const entry: NonNullable<typeof last> = { health: probe() };
      void entry.health.finally(() => (entry.settledAt = performance.now())).catch(() => undefined);
      last = entry;
    }
    return last.health;
  };
}

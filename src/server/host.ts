/**
 * The routes over a client and its functions, as the package entry `ayida-jobs/inngest` offers them
 * (`createRoutes`) and `serve` mounts them: the settings, the store and the logger are the functions'.
 */
import { settingsOf, type AyidaInngest } from "../config/client.js";
import { parseEnv } from "../config/env.js";
import { createLogger } from "../config/logger.js";
import { hostedOf, type AyidaFunctions } from "../functions/host.js";
import { createInngestService } from "../service.js";
import type { WebHandler } from "./http.js";
import { buildRoutes, type Routes } from "./routes.js";
import { storeHealth } from "./store-health.js";

export interface HostRoutesOptions {
  client: AyidaInngest;
  /** createFunctions' list (its store and settings serve /api/runs and /health), or any list of functions. */
  functions: AyidaFunctions | ReadonlyArray<{ id(prefix?: string): string }>;
  /** /api/inngest for `handle`: `guardInngest(client, serve({ client, functions }))` with the SDK's adapter. */
  inngest?: WebHandler;
}

export function createRoutes(o: HostRoutesOptions): Routes {
  const hosted = hostedOf(o.functions);
  const env = hosted?.settings ?? settingsOf(o.client) ?? parseEnv();
  const logger = hosted?.logger ?? createLogger(env);
  return buildRoutes({
    service: createInngestService({ env, client: o.client }),
    cronSecret: env.CRON_SECRET,
    metricsToken: env.METRICS_TOKEN,
    mode: o.client.mode,
    functionIds: o.functions.map((f) => f.id(o.client.id)),
    store: hosted?.store,
    storeHealth: hosted && storeHealth(hosted.store, logger),
    inngest: o.inngest,
    logger,
  });
}

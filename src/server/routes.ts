/**
 * Every HTTP route of the jobs as a Web-standard handler, `(request: Request) => Promise<Response>`:
 * what a Next.js App Router `route.ts` exports (the package entry `ayida-jobs/inngest`), and what
 * `serve` mounts on node:http (app.ts). `handle` dispatches on the path; the others are one route
 * family each, matched by the end of the path so that an app may mount them under a base path.
 */
import type { Store } from "../adapters/store/store.js";
import type { Logger } from "../config/logger.js";
import type { InngestServiceApi } from "../service.js";
import { BATCH_ROUTES, handleBatch, unknownBatchRoute } from "./batch-routes.js";
import { allowMethods, errorResponse, HttpError, jsonResponse, type WebHandler } from "./http.js";
import { INNGEST_PATH } from "./inngest-route.js";
import { handleMetrics, METRICS_PATH } from "./metrics-route.js";
import { handleRuns, isRunsPath, RUNS_PATH, storeReadFailure } from "./runs-routes.js";
import type { StoreHealth } from "./store-health.js";

export interface RoutesOptions {
  /** Sends the batch routes' events. */
  service: InngestServiceApi;
  /** CRON_SECRET: the batch routes and /api/runs need it as a Bearer token; unset, they answer 503. */
  cronSecret: string | undefined;
  /** METRICS_TOKEN: when set, /metrics needs it as a Bearer token. */
  metricsToken?: string | undefined;
  /** What /health says: the mode and the function ids. */
  mode: "dev" | "cloud";
  functionIds: readonly string[];
  /** The store /api/runs reads; without it those routes answer 503. */
  store?: (() => Promise<Store>) | undefined;
  /** What /health says of the store (store-health.ts); without it /health leaves the store out. */
  storeHealth?: (() => Promise<StoreHealth>) | undefined;
  /** /api/inngest for `handle`: the SDK adapter's handler, guarded (inngest-route.ts). */
  inngest?: WebHandler | undefined;
  logger: Pick<Logger, "error">;
}

export interface Routes {
  /** Every route below, and /api/inngest when given, by exact path; anything else 404. */
  handle: WebHandler;
  /** POST /api/batch/sync-convocatorias, /api/batch/sync-convocatoria-individual, /api/batch/sync-<dataset>, /api/batch/sync-all. */
  batch: WebHandler;
  /** GET /api/runs, /api/runs/:runId. */
  runs: WebHandler;
  /** GET /health. */
  health: WebHandler;
  /** GET /metrics. */
  metrics: WebHandler;
}

export function buildRoutes(o: RoutesOptions): Routes {
  /** Every error a JSON answer: ours as they are, a store that does not answer as a 503, the rest a logged 500. */
  const answering =
    (work: (request: Request, path: string) => Promise<Response>): ((request: Request, path: string) => Promise<Response>) =>
    async (request, path) => {
      try {
        return await work(request, path);
      } catch (err) {
        const known = err instanceof HttpError ? err : storeReadFailure(err);
        if (known) return errorResponse(known);
        o.logger.error({ err, path }, "request failed");
        return errorResponse(new HttpError(500, "INTERNAL", "internal error; see the server log"));
      }
    };

  const batch = answering(async (request, path) => {
    if (Object.hasOwn(BATCH_ROUTES, path)) return handleBatch(path, request, { service: o.service, cronSecret: o.cronSecret });
    throw unknownBatchRoute(path) ?? new HttpError(404, "NOT_FOUND", `no route for ${path}`);
  });
  const runs = answering((request, path) => handleRuns(request, path, { store: o.store, cronSecret: o.cronSecret }));
  const health = answering(async (request) => {
    allowMethods(request, "GET", "HEAD");
    return jsonResponse(200, { ok: true, mode: o.mode, functions: o.functionIds, ...(o.storeHealth && { store: await o.storeHealth() }) });
  });
  const metrics = answering((request) => handleMetrics(request, o.metricsToken));
  const notFound = answering(async (_request, path) => {
    throw unknownBatchRoute(path) ?? new HttpError(404, "NOT_FOUND", `no route for ${path}`);
  });

  /** The path from `prefix` on, wherever the app mounted it (a base path before it is not ours). */
  const from = (request: Request, prefix: string): string => {
    const path = new URL(request.url).pathname;
    const at = path.indexOf(prefix);
    return at < 0 ? path : path.slice(at);
  };

  return {
    async handle(request) {
      const path = new URL(request.url).pathname;
      if (path === INNGEST_PATH && o.inngest) return o.inngest(request);
      if (path === "/health") return health(request, path);
      if (path === METRICS_PATH) return metrics(request, path);
      if (path.startsWith("/api/batch/")) return batch(request, path);
      if (isRunsPath(path)) return runs(request, path);
      return notFound(request, path);
    },
    batch: (request) => batch(request, from(request, "/api/batch/")),
    runs: (request) => runs(request, from(request, RUNS_PATH)),
    health: (request) => health(request, "/health"),
    metrics: (request) => metrics(request, METRICS_PATH),
  };
}

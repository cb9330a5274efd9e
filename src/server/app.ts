/**
 * The HTTP server: /api/inngest (the SDK's handler: introspection, sync, execution), the seed's
 * batch routes, and /health. One pino line per request (method, path, status, duration); never a
 * header, so never the Authorization header. Requests in flight are tracked, so a shutdown can
 * answer (and log) the ones it has to cut short instead of resetting their connections.
 */
import http from "node:http";
import type { AyidaInngest } from "../config/client.js";
import type { Logger } from "../config/logger.js";
import type { InngestServiceApi } from "../service.js";
import { BATCH_ROUTES, handleBatch, unknownBatchRoute } from "./batch-routes.js";
import { answeredEarly, HttpError, sendError, sendJson } from "./http.js";
import { createInngestRoute, INNGEST_PATH } from "./inngest-route.js";
import { handleRuns, isRunsPath, storeReadFailure } from "./runs-routes.js";
import type { StoreHealth } from "./store-health.js";
import { handleMetrics, METRICS_PATH } from "./metrics-route.js";

export { INNGEST_PATH };

export interface AppOptions {
  client: AyidaInngest;
  functions: ReturnType<AyidaInngest["createFunction"]>[];
  service: InngestServiceApi;
  logger: Logger;
  cronSecret: string | undefined;
  mode: "dev" | "cloud";
  /** The store /api/runs reads (serve's own); without it those routes answer 503. */
  store?: () => Promise<import("../adapters/store/store.js").Store>;
  /** METRICS_TOKEN: when set, /metrics needs it as a Bearer token. */
  metricsToken?: string | undefined;
  /** What /health says of the store (store-health.ts); without it /health leaves the store out. */
  storeHealth?: () => Promise<StoreHealth>;
}

export interface AppHandler {
  listener: http.RequestListener;
  /** Answer every request still in flight with 503 and log why; returns how many were cut. */
  cutInFlight(graceMs: number): number;
}

interface InFlight {
  method: string;
  path: string;
  started: number;
  res: http.ServerResponse;
}

/** The request listener; `serve` attaches it to one server per address it listens on. */
export function createAppHandler(o: AppOptions): AppHandler {
  const inngestHandler = createInngestRoute({ client: o.client, functions: o.functions, mode: o.mode });
  const functionIds = o.functions.map((f) => f.id(o.client.id));
  const inFlight = new Set<InFlight>();

  const listener: http.RequestListener = (req, res) => {
    const started = performance.now();
    const path = (req.url ?? "/").split("?")[0]!;
    const entry: InFlight = { method: req.method ?? "", path, started, res };
    inFlight.add(entry);
    res.once("close", () => inFlight.delete(entry));
    res.once("finish", () => o.logger.info({ method: req.method, path, status: res.statusCode, durationMs: Math.round((performance.now() - started) * 10) / 10 }, "request"));

    const route = async () => {
      if (path === INNGEST_PATH) return inngestHandler(req, res);
      if (path === "/health") {
        if (req.method !== "GET" && req.method !== "HEAD") throw new HttpError(405, "METHOD_NOT_ALLOWED", `${req.method} is not allowed here; use GET`, {}, { allow: "GET, HEAD" });
        return sendJson(res, 200, { ok: true, mode: o.mode, functions: functionIds, ...(o.storeHealth && { store: await o.storeHealth() }) });
      }
      if (path === METRICS_PATH) return handleMetrics(req, res, o.metricsToken);
      if (Object.hasOwn(BATCH_ROUTES, path)) return handleBatch(path, req, res, { service: o.service, cronSecret: o.cronSecret });
      if (isRunsPath(path)) return handleRuns(req, res, { store: o.store, cronSecret: o.cronSecret }).catch((err: unknown) => Promise.reject(storeReadFailure(err) ?? err));
      throw unknownBatchRoute(path) ?? new HttpError(404, "NOT_FOUND", `no route for ${path}`);
    };
    route().catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      answeredEarly(req, res); // a body refused by its size (413) is left unread
      if (err instanceof HttpError) return sendError(res, err);
      o.logger.error({ err, path }, "request failed");
      sendError(res, new HttpError(500, "INTERNAL", "internal error; see the server log"));
    });
  };

  function cutInFlight(graceMs: number): number {
    let cut = 0;
    for (const r of inFlight) {
      cut++;
      const elapsedMs = Math.round(performance.now() - r.started);
      // A batch request was waiting on the event API: its events may have arrived there.
      const note = r.path.startsWith("/api/batch/") ? "its event may have been queued; retrying with the same runId is safe" : "Inngest retries an interrupted step";
      o.logger.warn({ method: r.method, path: r.path, elapsedMs, graceMs, note }, "request cut short by shutdown");
      if (!r.res.headersSent) {
        sendError(r.res.setHeader("connection", "close"), new HttpError(503, "SHUTTING_DOWN", `the server shut down before this request finished (${graceMs} ms grace); ${note}`));
      } else {
        r.res.destroy();
      }
    }
    return cut;
  }

  return { listener, cutInFlight };
}

/**
 * The HTTP server: /api/inngest (the SDK's handler: introspection, sync, execution), the seed's
 * batch routes, and /health. One pino line per request (method, path, status, duration); never a
 * header, so never the Authorization header.
 */
import http from "node:http";
import { serve } from "inngest/node";
import type { AyidaInngest } from "../config/client.js";
import type { Logger } from "../config/logger.js";
import type { InngestServiceApi } from "../service.js";
import { BATCH_ROUTES, handleBatch } from "./batch-routes.js";
import { HttpError, sendError, sendJson } from "./http.js";

export const INNGEST_PATH = "/api/inngest";

export interface AppOptions {
  client: AyidaInngest;
  functions: ReturnType<AyidaInngest["createFunction"]>[];
  service: InngestServiceApi;
  logger: Logger;
  cronSecret: string | undefined;
  mode: "dev" | "cloud";
}

/** The request listener; `serve` attaches it to one server per address it listens on. */
export function createAppHandler(o: AppOptions): http.RequestListener {
  const inngestHandler = serve({ client: o.client, functions: o.functions, servePath: INNGEST_PATH });
  const functionIds = o.functions.map((f) => f.id(o.client.id));

  return (req, res) => {
    const started = performance.now();
    const path = (req.url ?? "/").split("?")[0]!;
    res.once("finish", () => o.logger.info({ method: req.method, path, status: res.statusCode, durationMs: Math.round((performance.now() - started) * 10) / 10 }, "request"));

    const route = async () => {
      if (path === INNGEST_PATH) return inngestHandler(req, res);
      if (path === "/health") {
        if (req.method !== "GET" && req.method !== "HEAD") throw new HttpError(405, "METHOD_NOT_ALLOWED", `${req.method} is not allowed here; use GET`, {}, { allow: "GET, HEAD" });
        return sendJson(res, 200, { ok: true, mode: o.mode, functions: functionIds });
      }
      if (Object.hasOwn(BATCH_ROUTES, path)) return handleBatch(path as keyof typeof BATCH_ROUTES, req, res, { service: o.service, cronSecret: o.cronSecret });
      throw new HttpError(404, "NOT_FOUND", `no route for ${path}`);
    };
    route().catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof HttpError) return sendError(res, err);
      o.logger.error({ err, path }, "request failed");
      sendError(res, new HttpError(500, "INTERNAL", "internal error; see the server log"));
    });
  };
}

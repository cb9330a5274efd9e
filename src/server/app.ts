/**
 * `serve`'s request listener: the Web-standard routes (routes.ts, the same a Next.js app mounts)
 * on node:http through node-bridge.ts. One pino line per request (method, path, status, duration);
 * never a header, so never the Authorization header. Requests in flight are tracked, so a shutdown
 * can answer (and log) the ones it has to cut short instead of resetting their connections.
 */
import type http from "node:http";
import type { Logger } from "../config/logger.js";
import { errorResponse, HttpError } from "./http.js";
import { toRequest, writeResponse } from "./node-bridge.js";
import type { Routes } from "./routes.js";

export { INNGEST_PATH } from "./inngest-route.js";

export interface AppHandler {
  listener: http.RequestListener;
  /** Answer every request still in flight with 503 and log why; returns how many were cut. */
  cutInFlight(graceMs: number): number;
}

interface InFlight {
  method: string;
  path: string;
  started: number;
  req: http.IncomingMessage;
  res: http.ServerResponse;
}

/** The request listener; `serve` attaches it to one server per address it listens on. */
export function createAppHandler(o: { routes: Routes; logger: Logger }): AppHandler {
  const inFlight = new Set<InFlight>();

  const listener: http.RequestListener = (req, res) => {
    const started = performance.now();
    const path = (req.url ?? "/").split("?")[0]!;
    const entry: InFlight = { method: req.method ?? "", path, started, req, res };
    inFlight.add(entry);
    res.once("close", () => inFlight.delete(entry));
    res.once("finish", () => o.logger.info({ method: req.method, path, status: res.statusCode, durationMs: Math.round((performance.now() - started) * 10) / 10 }, "request"));
    (async () => writeResponse(req, res, await o.routes.handle(toRequest(req))))().catch((err: unknown) => {
      // The routes answer their own errors; this is the bridge failing (a malformed request line).
      if (res.headersSent) return void res.destroy();
      o.logger.error({ err, path }, "request failed");
      void writeResponse(req, res, errorResponse(new HttpError(500, "INTERNAL", "internal error; see the server log")));
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
        const answer = errorResponse(new HttpError(503, "SHUTTING_DOWN", `the server shut down before this request finished (${graceMs} ms grace); ${note}`, {}, { connection: "close" }));
        void writeResponse(r.req, r.res, answer);
      } else {
        r.res.destroy();
      }
    }
    return cut;
  }

  return { listener, cutInFlight };
}

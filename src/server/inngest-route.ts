/**
 * /api/inngest: the SDK's handler (introspection, sync, execution), with the request body bounded
 * before the SDK sees it. The SDK's own Node adapter reads any body whole before any check: a 400 MB
 * POST held ~1.3 GB and ended in a 500, in cloud mode too. This is the SDK's documented way to serve
 * it from another framework (`InngestCommHandler`), fed a body already read within the bound.
 *
 * The bound is what Inngest can legitimately send. An execution request carries the run's state —
 * its events and every memoized step result — plus the triggering event again and a small context.
 * Inngest's documented limits (https://www.inngest.com/docs/usage-limits/inngest): "Function run
 * state cannot exceed 32MB" (events, step-returned and function-returned data), a step's output
 * at most 4 MB, an event at most 3 MiB (https://www.inngest.com/docs/durable-execution/limits, the
 * paid plans; 256 KiB on the free one). So 32 MiB + 3 MiB + 1 MiB for the envelope: 36 MiB.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { InngestCommHandler } from "inngest";
import type { AyidaInngest } from "../config/client.js";
import { answeredEarly, readBody } from "./http.js";

export const INNGEST_PATH = "/api/inngest";
export const MAX_INNGEST_BODY_BYTES = 36 * 1024 * 1024;

/** What the SDK answers a request it refuses for its signature. */
const UNAUTHORIZED = JSON.stringify({ message: "Unauthorized" });

export function createInngestRoute(o: { client: AyidaInngest; functions: ReturnType<AyidaInngest["createFunction"]>[]; mode: "dev" | "cloud" }): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const handler = new InngestCommHandler({
    frameworkName: "nodejs",
    client: o.client,
    functions: o.functions,
    servePath: INNGEST_PATH,
    handler: (req: IncomingMessage, res: ServerResponse, body: string) => ({
      body: () => body,
      headers: (key: string) => {
        const v = req.headers[key];
        return Array.isArray(v) ? v[0] : v;
      },
      method: () => req.method ?? "GET",
      url: () => new URL(req.url ?? "", `${req.headers["x-forwarded-proto"] ?? "http"}://${req.headers.host}`),
      transformResponse: ({ body: out, status, headers }: { body: string; status: number; headers: Record<string, string> }) => {
        res.writeHead(status, headers).end(out);
      },
      // Only when INNGEST_STREAMING asks for it; as the SDK's Node adapter does it.
      transformStreamingResponse: async ({ body: stream, status, headers }: { body: ReadableStream<Uint8Array>; status: number; headers: Record<string, string> }) => {
        res.writeHead(status, headers);
        const reader = stream.getReader();
        try {
          for (let r = await reader.read(); !r.done; r = await reader.read()) res.write(r.value);
          res.end();
        } catch (err) {
          res.destroy(err instanceof Error ? err : new Error(String(err)));
        }
      },
    }),
  }).createHandler() as (req: IncomingMessage, res: ServerResponse, body: string) => Promise<unknown>;

  return async (req, res) => {
    // Cloud mode: Inngest signs every POST, and the SDK refuses one without a signature (401), but
    // only after reading its body, which the signature covers. Its absence needs no body to see.
    if (o.mode === "cloud" && req.method === "POST" && !req.headers["x-inngest-signature"]) {
      answeredEarly(req, res);
      res.writeHead(401, { "content-type": "application/json", "content-length": Buffer.byteLength(UNAUTHORIZED) }).end(UNAUTHORIZED);
      return;
    }
    const body = await readBody(req, MAX_INNGEST_BODY_BYTES);
    await handler(req, res, body.toString("utf8"));
  };
}

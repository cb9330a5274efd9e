/**
 * /api/inngest: the Inngest SDK's own framework adapter (`inngest/next` in the portal, `inngest/edge`
 * in `serve`) behind a guard that bounds the request body before the SDK sees it. The SDK's adapters
 * read any body whole before any check: a 400 MB POST held ~1.3 GB and ended in a 500, in cloud mode
 * too.
 *
 * The bound is what Inngest can legitimately send. An execution request carries the run's state —
 * its events and every memoized step result — plus the triggering event again and a small context.
 * Inngest's documented limits (https://www.inngest.com/docs/usage-limits/inngest): "Function run
 * state cannot exceed 32MB" (events, step-returned and function-returned data), a step's output
 * at most 4 MB, an event at most 3 MiB (https://www.inngest.com/docs/durable-execution/limits, the
 * paid plans; 256 KiB on the free one). So 32 MiB + 3 MiB + 1 MiB for the envelope: 36 MiB.
 */
import { errorResponse, HttpError, readBody } from "./http.js";

export const INNGEST_PATH = "/api/inngest";
export const MAX_INNGEST_BODY_BYTES = 36 * 1024 * 1024;

/** What the SDK answers a request it refuses for its signature. */
const UNAUTHORIZED = JSON.stringify({ message: "Unauthorized" });

// The SDK's adapters differ in what else they take after the request (Next.js: its route context).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type SdkHandler = (request: any, ...rest: any[]) => Promise<Response> | Response;
type MethodHandlers = { GET: SdkHandler; POST: SdkHandler; PUT: SdkHandler };

/**
 * The SDK adapter's handler (one function, or `{ GET, POST, PUT }` as `inngest/next`'s `serve`
 * returns), guarded: a body of at most 36 MiB (413 past it, declared or chunked), and in cloud mode
 * a POST without `X-Inngest-Signature` refused (401) before its body is read — Inngest signs every one,
 * and the SDK would read the whole body to find out. What passes goes to the SDK unchanged.
 */
export function guardInngest<H extends SdkHandler | MethodHandlers>(client: { readonly mode: "dev" | "cloud" }, handler: H): H {
  const guard =
    (inner: SdkHandler): SdkHandler =>
    async (request: Request, ...rest: unknown[]) => {
      if (request.method === "GET" || request.method === "HEAD") return inner(request, ...rest);
      // The signature covers the body, but its absence needs no body to see.
      if (client.mode === "cloud" && request.method === "POST" && !request.headers.get("x-inngest-signature")) {
        return new Response(UNAUTHORIZED, { status: 401, headers: { "content-type": "application/json" } });
      }
      let body: Uint8Array;
      try {
        body = await readBody(request, MAX_INNGEST_BODY_BYTES);
      } catch (err) {
        if (err instanceof HttpError) return errorResponse(err);
        throw err;
      }
      return inner(new Request(request.url, { method: request.method, headers: request.headers, body }), ...rest);
    };
  if (typeof handler === "function") {
    const guarded = guard(handler) as SdkHandler & Partial<MethodHandlers>;
    for (const m of ["GET", "POST", "PUT"] as const) if (typeof (handler as Partial<MethodHandlers>)[m] === "function") guarded[m] = guard((handler as unknown as MethodHandlers)[m]);
    return guarded as H;
  }
  const methods = handler as MethodHandlers;
  return { GET: guard(methods.GET), POST: guard(methods.POST), PUT: guard(methods.PUT) } as H;
}

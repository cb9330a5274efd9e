/**
 * A small buffered `fetch` over node:http, for the Inngest client and the BDNS client.
 * - Node 20's built-in fetch compiles undici's HTTP parser on first use (~200 ms), more than the rest
 *   of a one-shot `ayida-jobs detail` put together.
 * - The request is written synchronously within the call (no await before `req.end()`), so a caller
 *   that must space request starts (BDNS) knows when a request left: built-in fetch dispatches later,
 *   after an unknown delay (a GC pause let two starts 91 ms apart reach BDNS's 100 ms limit).
 * Failures look like built-in fetch's (`TypeError: fetch failed`, cause attached), which the SDK expects.
 * The answer reads like built-in fetch's, without loading it (buffered-response.ts).
 *
 * A caller that cannot pass options through the code that calls fetch (the Inngest SDK calls it for
 * us, and retries any failure) runs that code inside `fetchObserver.run(observer, …)`: every request
 * made within it is cancelled by the observer's signal and reported to it, sent and answered.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import http from "node:http";
import https from "node:https";
import { BufferedHeaders, BufferedResponse, headerRecord } from "./buffered-response.js";
import { readAll, request } from "./request.js";

const DEFAULT_TIMEOUT_MS = 30_000;

export interface FetchObserver {
  /** Cancels every request made in the observed code, and refuses new ones. */
  signal?: AbortSignal;
  /** A request left the process (written to a connected socket): the server may have received it. */
  onSent?(): void;
  /** A response arrived, body read. */
  onResponse?(status: number, body: Buffer): void;
}

export const fetchObserver = new AsyncLocalStorage<FetchObserver>();

export function createHttpFetch(opts: { timeoutMs?: number } = {}): typeof fetch {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

  return async function httpFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    const method = init.method ?? "GET";
    const body = init.body == null ? undefined : typeof init.body === "string" ? init.body : Buffer.from(init.body as ArrayBuffer);
    const observer = fetchObserver.getStore();
    const signals = [init.signal, observer?.signal].filter((s): s is AbortSignal => Boolean(s));
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    let res: Awaited<ReturnType<typeof request>>;
    try {
      signal?.throwIfAborted(); // cancelled before it started: no request leaves
      res = await request(url, {
        method,
        headers: headerRecord(init.headers),
        ...(body !== undefined && { body }),
        timeoutMs,
        ...(signal && { signal }),
        agent: url.protocol === "https:" ? agents.https : agents.http,
        ...(observer?.onSent && { onSent: () => observer.onSent!() }),
      });
    } catch (cause) {
      throw new TypeError("fetch failed", { cause });
    }
    let bytes: Buffer;
    try {
      bytes = await readAll(res);
    } catch (cause) {
      throw new TypeError("terminated", { cause }); // as built-in fetch says of a body cut off mid-way
    }
    const headers = new BufferedHeaders();
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
    const status = res.statusCode ?? 0;
    observer?.onResponse?.(status, bytes);
    const noBody = status === 204 || status === 304 || method === "HEAD";
    return new BufferedResponse(noBody ? null : bytes, status, res.statusMessage ?? "", headers) as unknown as Response;
  } as typeof fetch;
}

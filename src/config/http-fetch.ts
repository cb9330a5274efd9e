/**
 * A small `fetch` over node:http for the Inngest client. Node 20's built-in fetch compiles undici's
 * HTTP parser on first use (~200 ms), more than the rest of a one-shot `ayida-jobs detail` put
 * together; the event API needs one POST with a JSON body, which node:http does at no start-up cost.
 * Failures look like built-in fetch's (`TypeError: fetch failed`, cause attached), which the SDK expects.
 */
import http from "node:http";
import https from "node:https";
import { readAll, request } from "../net/request.js";

const DEFAULT_TIMEOUT_MS = 30_000;

export function createHttpFetch(opts: { timeoutMs?: number } = {}): typeof fetch {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

  return async function httpFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    const method = init.method ?? "GET";
    const body = init.body == null ? undefined : typeof init.body === "string" ? init.body : Buffer.from(init.body as ArrayBuffer);
    try {
      const res = await request(url, {
        method,
        headers: Object.fromEntries(new Headers(init.headers)),
        ...(body !== undefined && { body }),
        timeoutMs,
        ...(init.signal && { signal: init.signal }),
        agent: url.protocol === "https:" ? agents.https : agents.http,
      });
      const bytes = await readAll(res);
      const headers = new Headers();
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
      const status = res.statusCode ?? 0;
      const noBody = status === 204 || status === 304 || method === "HEAD";
      return new Response(noBody ? null : bytes, { status, statusText: res.statusMessage ?? "", headers });
    } catch (cause) {
      throw new TypeError("fetch failed", { cause });
    }
  } as typeof fetch;
}

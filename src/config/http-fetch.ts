/**
 * A small `fetch` over node:http for the Inngest client. Node 20's built-in fetch compiles undici's
 * HTTP parser on first use (~200 ms), more than the rest of a one-shot `ayida-jobs detail` put
 * together; the event API needs one POST with a JSON body, which node:http does at no start-up cost.
 * Failures look like built-in fetch's (`TypeError: fetch failed`, cause attached), which the SDK expects.
 */
import http from "node:http";
import https from "node:https";

const DEFAULT_TIMEOUT_MS = 30_000;

export function createHttpFetch(opts: { timeoutMs?: number } = {}): typeof fetch {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const keepAlive = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

  return async function httpFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    const body = init.body == null ? undefined : typeof init.body === "string" ? init.body : Buffer.from(init.body as ArrayBuffer);
    const headers = new Headers(init.headers);
    const secure = url.protocol === "https:";
    const transport = secure ? https : http;
    const agent = secure ? keepAlive.https : keepAlive.http;

    return new Promise<Response>((resolve, reject) => {
      const fail = (cause: unknown) => reject(new TypeError("fetch failed", { cause }));
      const req = transport.request(
        url,
        { method: init.method ?? "GET", headers: Object.fromEntries(headers), agent, timeout: timeoutMs, signal: init.signal ?? undefined },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", fail);
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            const resHeaders = new Headers();
            for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) resHeaders.set(k, Array.isArray(v) ? v.join(", ") : v);
            const noBody = status === 204 || status === 304 || (init.method ?? "GET") === "HEAD";
            resolve(new Response(noBody ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? "", headers: resHeaders }));
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no response within ${timeoutMs} ms`)));
      req.on("error", fail);
      req.end(body);
    });
  } as typeof fetch;
}

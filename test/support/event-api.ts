/**
 * A loopback stand-in for the Inngest event API (the Dev Server or Cloud cannot run here).
 * Speaks what the SDK expects: `POST /e/:key` with a JSON array → `{"ids":[...],"status":200}`,
 * records every request as it arrived, and misbehaves on demand.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  method: string;
  path: string;
  key: string | undefined;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** The ids this fake answered with (a 200 only). */
  ids?: string[];
}

/** How to answer the n-th POST (0-based); undefined → the normal 200. */
export type Fault = (n: number) => { status: number; body: string } | { delayMs: number } | "hang" | undefined;

export interface FakeEventApi {
  url: string;
  requests: ReceivedRequest[];
  /** Every event that arrived, flattened across requests. */
  events(): Array<{ name: string; data: Record<string, unknown>; id?: string; ts?: number }>;
  setFault(fault: Fault | undefined): void;
  close(): Promise<void>;
}

export async function startFakeEventApi(opts: { fault?: Fault } = {}): Promise<FakeEventApi> {
  const requests: ReceivedRequest[] = [];
  let fault = opts.fault;
  let posts = 0;
  let nextId = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", (): void => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const path = (req.url ?? "/").split("?")[0]!;
      let body: unknown = raw;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        /* keep raw */
      }
      const key = path.match(/^\/e\/([^/]+)$/)?.[1];
      requests.push({ method: req.method ?? "", path, key, headers: req.headers, body });
      const reply = (status: number, payload: string): void => void res.writeHead(status, { "content-type": "application/json" }).end(payload);

      if (req.method === "POST" && key !== undefined) {
        const f = fault?.(posts++);
        if (f === "hang") return;
        if (f && "status" in f) return reply(f.status, f.body);
        const record = requests[requests.length - 1]!;
        const accept = () => {
          const count = Array.isArray(body) ? body.length : 1;
          record.ids = Array.from({ length: count }, () => `01FAKE${String(++nextId).padStart(10, "0")}`);
          reply(200, JSON.stringify({ ids: record.ids, status: 200 }));
        };
        if (f) return void setTimeout(accept, f.delayMs);
        return accept();
      }
      if (req.method === "POST" && path === "/fn/register") return reply(200, JSON.stringify({ ok: true, modified: true }));
      reply(404, JSON.stringify({ error: "not found" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    events: () => requests.filter((r) => r.key !== undefined && Array.isArray(r.body)).flatMap((r) => r.body as never[]),
    setFault: (f) => {
      fault = f;
      posts = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

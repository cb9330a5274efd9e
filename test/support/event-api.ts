/**
 * A loopback stand-in for the Inngest event API (the Dev Server or Cloud cannot run here).
 * Speaks what the SDK expects: `POST /e/:key` with a JSON array → `{"ids":[...],"status":200}`,
 * records every request as it arrived, and misbehaves on demand.
 *
 * It also keeps the engine's record the way the Dev Server's REST API shows it (observed on 1.43; see
 * src/adapters/inngest/engine-record.ts): `GET /v1/events?name&received_after&received_before&cursor&limit`
 * lists the events it received (and those a test adds), newest first, each with our `id` and its own
 * `internal_id`; `GET /v1/events/<internal id>/runs` answers what the test says the event's runs are
 * (none by default: "never started").
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

/** An event as the REST API lists it. */
export interface RecordedEvent {
  internal_id: string;
  id: string;
  name: string;
  data: Record<string, unknown>;
  received_at: string;
}

/** A run as `GET /v1/events/<id>/runs` lists it. */
export interface RecordedRun {
  run_id: string;
  status: "Scheduled" | "Running" | "Completed" | "Failed" | "Cancelled";
  ended_at?: string | null;
  output?: unknown;
}

export interface FakeEventApi {
  url: string;
  requests: ReceivedRequest[];
  /** The engine's record: every event received or added, oldest first. */
  recorded: RecordedEvent[];
  /** Add an event to the record as if another sender had sent it (received now, or at `receivedAt`). */
  addEvent(e: { name: string; data: Record<string, unknown>; id?: string; receivedAt?: string }): string;
  /** What the REST API says an event's runs are; default: none. */
  setRuns(runs: ((e: RecordedEvent) => RecordedRun[]) | undefined): void;
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
  const recorded: RecordedEvent[] = [];
  let runsOf: ((e: RecordedEvent) => RecordedRun[]) | undefined;
  const newId = () => `01FAKE${String(++nextId).padStart(10, "0")}`;
  const recordEvent = (e: { name: string; data: Record<string, unknown>; id?: string }, internalId: string, receivedAt = new Date().toISOString()) =>
    void recorded.push({ internal_id: internalId, id: e.id ?? internalId, name: e.name, data: e.data ?? {}, received_at: receivedAt });
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
          const sent = (Array.isArray(body) ? body : [body]) as Array<{ name: string; data: Record<string, unknown>; id?: string }>;
          record.ids = sent.map(() => newId());
          sent.forEach((e, i) => e && typeof e === "object" && typeof e.name === "string" && recordEvent(e, record.ids![i]!));
          reply(200, JSON.stringify({ ids: record.ids, status: 200 }));
        };
        if (f) return void setTimeout(accept, f.delayMs);
        return accept();
      }
      if (req.method === "POST" && path === "/fn/register") return reply(200, JSON.stringify({ ok: true, modified: true }));
      const query = new URL(req.url ?? "/", "http://x").searchParams;
      if (req.method === "GET" && path === "/v1/events") {
        const after = query.get("received_after");
        const before = query.get("received_before");
        const cursor = query.get("cursor");
        const page = recorded
          .filter((e) => (!query.get("name") || e.name === query.get("name")) && (!after || e.received_at >= after) && (!before || e.received_at <= before) && (!cursor || e.internal_id < cursor))
          .sort((a, b) => (a.internal_id < b.internal_id ? 1 : -1))
          .slice(0, Number(query.get("limit") ?? 20));
        return reply(200, JSON.stringify({ data: page, metadata: { fetched_at: new Date().toISOString() } }));
      }
      const runsPath = /^\/v1\/events\/([^/]+)\/runs$/.exec(path);
      if (req.method === "GET" && runsPath) {
        const e = recorded.find((x) => x.internal_id === decodeURIComponent(runsPath[1]!));
        const runs = e && runsOf ? runsOf(e) : [];
        return reply(200, JSON.stringify({ data: runs.map((r) => ({ run_id: r.run_id, status: r.status, ended_at: r.ended_at ?? null, output: r.output ?? "", event_id: e?.internal_id })), metadata: {} }));
      }
      reply(404, JSON.stringify({ error: "not found" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    recorded,
    addEvent(e) {
      const internalId = newId();
      recordEvent(e, internalId, e.receivedAt);
      return internalId;
    },
    setRuns: (f) => void (runsOf = f),
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

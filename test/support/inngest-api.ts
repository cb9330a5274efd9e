/**
 * A loopback Inngest for doctor's checks, answering as the real ones were observed to (Dev Server
 * 1.43 and `inngest start --event-key … --signing-key …`):
 * - `POST /e/:key` → `{"ids":[""],"status":200}` for an empty batch; with keys configured, a wrong
 *   key → 401 `{"status":401,"message":"","error":"Event key not found"}`;
 * - `GET /v1/events` → 200 with `Authorization: Bearer <hashed signing key>`, else 401
 *   `Authentication failed` (only when a signing key is configured);
 * - `POST /v0/gql` → `{ data: { apps: [...] } }` as set by the test;
 * - any path can be made to hang.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface GqlApp {
  name: string;
  externalID: string;
  functionCount: number;
  url: string;
  error: string | null;
  functions: Array<{ slug: string }>;
}

export interface FakeInngest {
  url: string;
  apps: GqlApp[];
  /** Paths (prefixes) that never answer. */
  hang: Set<string>;
  requests: Array<{ method: string; path: string; authorization?: string; body: string }>;
  close(): Promise<void>;
}

export async function startFakeInngest(o: { eventKeys?: string[]; signingKey?: string } = {}): Promise<FakeInngest> {
  const hashed = o.signingKey ? createHash("sha256").update(Buffer.from(o.signingKey.replace(/^signkey-\w+-/, ""), "hex")).digest("hex") : undefined;
  const state: Omit<FakeInngest, "url" | "close"> = { apps: [], hang: new Set(), requests: [] };
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const path = (req.url ?? "/").split("?")[0]!;
      state.requests.push({ method: req.method ?? "", path, ...(req.headers.authorization && { authorization: req.headers.authorization }), body });
      if ([...state.hang].some((p) => path.startsWith(p))) return;
      const json = (status: number, doc: unknown) => void res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(doc));
      const key = /^\/e\/([^/]+)$/.exec(path)?.[1];
      if (req.method === "POST" && key !== undefined) {
        if (o.eventKeys && !o.eventKeys.includes(decodeURIComponent(key))) return json(401, { status: 401, message: "", error: "Event key not found" });
        return json(200, { ids: [""], status: 200 });
      }
      if (req.method === "GET" && path === "/v1/events") {
        const token = (req.headers.authorization ?? "").replace(/^Bearer (signkey-\w+-)?/, "");
        if (hashed && token !== hashed) return void res.writeHead(401, { "content-type": "text/plain" }).end("Authentication failed");
        return json(200, { data: [], metadata: { fetched_at: new Date().toISOString() } });
      }
      if (req.method === "POST" && path === "/v0/gql") return json(200, { data: { apps: state.apps } });
      json(404, { error: "not found" });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}

/** A server that accepts connections and never answers: every request to it hangs. */
export async function startSilentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(() => {});
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

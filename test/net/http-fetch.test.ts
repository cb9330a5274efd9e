/**
 * The node:http fetch answers as Node's own fetch does, read for read, from the same loopback server
 * (a differential test: Node's fetch is the reference), and sends the caller's headers as it would.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpFetch } from "../../src/net/http-fetch.js";

let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = (req.url ?? "/").split("?")[0];
      if (path === "/json") {
        res.setHeader("Content-Type", "application/json; charset=utf-8");
        // (Not compared: Set-Cookie, whose repeats come joined as they always did, and values with
        // surrounding spaces, which node:http's parser trims before we see them.)
        res.setHeader("X-Multi", ["a", "b"]);
        return void res.writeHead(200).end(Buffer.from('\ufeff{"ids":["01"],"status":200,"é":"ü"}'));
      }
      if (path === "/empty") return void res.writeHead(204).end();
      if (path === "/broken") return void res.writeHead(500, "Broken Inside", { "content-type": "text/plain" }).end("boom");
      if (path === "/not-json") return void res.writeHead(200).end("<html>maintenance</html>");
      if (path === "/echo") return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const ours = createHttpFetch({ timeoutMs: 5_000 });
const theirs: typeof fetch = (input, init) => fetch(input, init);

/** Everything a reader can see of an answer, read the way each kind of caller reads it. */
async function seen(f: typeof fetch, path: string, read: "text" | "json" | "arrayBuffer", init: RequestInit = {}) {
  const res = await f(`${base}${path}`, init);
  const headers = [...res.headers].filter(([k]) => k !== "date" && k !== "keep-alive" && k !== "connection");
  const copy = res.clone();
  let body: unknown;
  try {
    body = read === "arrayBuffer" ? Buffer.from(await res.arrayBuffer()).toString("hex") : await res[read]();
  } catch (err) {
    body = `${(err as Error).name}: ${(err as Error).message}`;
  }
  const again = await res.text().then(
    (t) => `read again: ${JSON.stringify(t)}`,
    (err: Error) => `${err.name}: ${err.message}`,
  );
  return {
    status: res.status,
    statusText: res.statusText,
    ok: res.ok,
    headers,
    get: [res.headers.get("X-MULTI"), res.headers.get("absent"), res.headers.has("Content-Type")],
    body,
    bodyUsed: res.bodyUsed,
    again,
    clone: await copy.text(),
    hasBody: res.body !== null,
  };
}

describe("createHttpFetch's answers", () => {
  it.each([
    ["/json", "json"],
    ["/json", "text"],
    ["/json", "arrayBuffer"],
    ["/empty", "text"],
    ["/broken", "text"],
    ["/not-json", "json"],
  ] as const)("%s read as %s: as Node's fetch reads it", async (path, read) => {
    expect(await seen(ours, path, read)).toEqual(await seen(theirs, path, read));
  });

  it("a HEAD answer has no body, as with Node's fetch", async () => {
    expect(await seen(ours, "/json", "text", { method: "HEAD" })).toEqual(await seen(theirs, "/json", "text", { method: "HEAD" }));
  });

  it("a clone cannot be taken once the body was read", async () => {
    const res = await ours(`${base}/json`);
    await res.text();
    expect(() => res.clone()).toThrow(new TypeError("Response.clone: Body has already been consumed."));
  });
});

describe("createHttpFetch's requests", () => {
  const received = async (f: typeof fetch, headers: RequestInit["headers"]) => {
    const body = (await (await f(`${base}/echo`, { method: "POST", headers, body: "x" })).json()) as { headers: Record<string, string> };
    return Object.fromEntries(Object.entries(body.headers).filter(([k]) => k.startsWith("x-")));
  };

  it.each([
    ["a record, names in any case, a repeat by case", { "X-A": " v ", "x-a": "w", "X-Empty": "" }],
    ["pairs", [["X-B", "1"], ["x-b", "2"], ["X-C", "\tc\t"]]],
    ["a Headers object", new Headers({ "X-D": "d" })],
  ] as const)("headers given as %s reach the server as Node's fetch sends them", async (_what, headers) => {
    expect(await received(ours, headers as RequestInit["headers"])).toEqual(await received(theirs, headers as RequestInit["headers"]));
  });
});

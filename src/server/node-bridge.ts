/**
 * `serve` mounts the same Web-standard handlers a Next.js app exports, on node:http: a request becomes
 * a `Request` whose body streams from the socket (read only as far as a handler reads it), and the
 * handler's `Response` is written back, streamed.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** How long a refused request's remaining body is read and dropped before its connection is closed. */
const LINGER_MS = 2000;

export function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(key, v);
  }
  const proto = String(req.headers["x-forwarded-proto"] ?? "http").split(",")[0]!.trim();
  const url = `${proto}://${req.headers.host ?? "localhost"}${req.url ?? "/"}`;
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(url, { method: req.method ?? "GET", headers, ...(hasBody && { body: bodyOf(req), duplex: "half" }) } as RequestInit);
}

/**
 * The socket's bytes as they arrive, paused while nobody reads. Cancelling (a handler that stops at
 * a size bound) stops reading without destroying the socket: the answer still has to go out on it.
 */
function bodyOf(req: IncomingMessage): ReadableStream<Uint8Array> {
  let done = false;
  const onData = (chunk: Buffer, c: ReadableStreamDefaultController<Uint8Array>) => {
    if (done) return;
    c.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if ((c.desiredSize ?? 0) <= 0) req.pause();
  };
  let listener: ((chunk: Buffer) => void) | undefined;
  return new ReadableStream<Uint8Array>({
    start(c) {
      req.pause();
      listener = (chunk) => onData(chunk, c);
      req.on("data", listener);
      req.once("end", () => {
        if (!done) c.close();
        done = true;
      });
      req.once("error", (err) => {
        if (!done) c.error(err);
        done = true;
      });
    },
    pull() {
      req.resume();
    },
    cancel() {
      done = true;
      req.pause();
      if (listener) req.off("data", listener);
    },
  });
}

/** Writes `response` to `res`, unless the request was answered already (cut short by a shutdown). */
export async function writeResponse(req: IncomingMessage, res: ServerResponse, response: Response): Promise<void> {
  if (res.headersSent) {
    await response.body?.cancel().catch(() => undefined);
    return;
  }
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => (headers[key] = value));
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  answeredEarly(req, res);
  res.writeHead(response.status, headers);
  if (!response.body || req.method === "HEAD") {
    await response.body?.cancel().catch(() => undefined);
    res.end();
    return;
  }
  const reader = response.body.getReader();
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      if (!res.write(r.value)) await new Promise<void>((resolve) => res.once("drain", resolve).once("close", resolve));
      if (res.destroyed) return void (await reader.cancel().catch(() => undefined));
    }
    res.end();
  } catch (err) {
    res.destroy(err instanceof Error ? err : new Error(String(err)));
  }
}

/**
 * A request answered before its body was (all) read — refused by its size, or before reading it —:
 * once the answer is out, drop what still arrives for a moment, then close the connection. Closing at
 * once would reset the connection with the client's bytes unread, and a client still sending could
 * lose the answer with it (the reason servers linger on close); reading it all would let a client
 * stream for ever.
 */
function answeredEarly(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete) return;
  res.once("finish", () => {
    if (req.complete) return;
    const timer = setTimeout(() => req.socket.destroy(), LINGER_MS);
    timer.unref();
    req.once("end", () => clearTimeout(timer));
    req.removeAllListeners("data");
    req.resume();
  });
}

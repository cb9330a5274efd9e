/** Small HTTP helpers for the server: JSON answers, bounded bodies, errors that carry a status. */
import type { IncomingMessage, ServerResponse } from "node:http";

export const MAX_BODY_BYTES = 64 * 1024;

/** An answer that ends a request early; every one has a JSON body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return; // already answered: cut short by shutdown while this request still ran
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), "cache-control": "no-store", ...headers }).end(text);
}

export function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(res, err.status, { ok: false, error: { code: err.code, message: err.message }, ...err.extra }, err.headers);
}

/** Reads a JSON body of at most `limit` bytes. Empty → undefined. Too big → 413, not JSON → 400. */
export async function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const text = (await readBody(req, limit)).toString("utf8").trim();
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "INVALID_JSON", "body: is not valid JSON");
  }
}

/**
 * Reads a body of at most `limit` bytes. A Content-Length above it is refused before a byte is read;
 * a chunked body as soon as it passes it, holding no more than `limit`. Either way 413, and the rest
 * is left unread (see `answeredEarly`).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err?: unknown) => {
      req.off("data", onData).off("end", onEnd).off("error", done);
      if (err) return reject(err);
      resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      chunks.length = 0;
      req.pause();
      done(tooLarge(limit));
    };
    const onEnd = () => done();
    req.on("data", onData).on("end", onEnd).on("error", done);
  });
}

/** How long a refused request's remaining body is read and dropped before its connection is closed. */
const LINGER_MS = 2000;

/**
 * After answering a request whose body was not (all) read — refused by its size, or before reading it —
 * drop what still arrives for a moment, then close the connection. Closing at once would reset the
 * connection with the client's bytes unread, and a client still sending could lose the answer with it
 * (the reason servers linger on close); reading it all would let a client stream for ever.
 */
export function answeredEarly(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete) return;
  res.once("finish", () => {
    const timer = setTimeout(() => req.socket.destroy(), LINGER_MS);
    timer.unref();
    req.once("end", () => clearTimeout(timer));
    req.removeAllListeners("data");
    req.resume();
  });
}

function tooLarge(limit: number): HttpError {
  const size = limit >= 1024 * 1024 ? `${limit / (1024 * 1024)} MiB` : `${limit / 1024} KiB`;
  return new HttpError(413, "BODY_TOO_LARGE", `body: must be at most ${size}`);
}

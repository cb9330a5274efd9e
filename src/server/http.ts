/**
 * The routes speak the Web's Request and Response (what a Next.js route.ts exports, and what `serve`
 * mounts through node-bridge.ts): JSON answers, bounded bodies, errors that carry a status.
 */

export const MAX_BODY_BYTES = 64 * 1024;

/** A handler a Next.js App Router `route.ts` can export, and `serve` mounts. */
export type WebHandler = (request: Request) => Promise<Response>;

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

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers } });
}

export function errorResponse(err: HttpError): Response {
  return jsonResponse(err.status, { ok: false, error: { code: err.code, message: err.message }, ...err.extra }, err.headers);
}

/** 405 unless the request's method is one of `allowed`, naming them in Allow. */
export function allowMethods(request: Request, ...allowed: string[]): void {
  if (allowed.includes(request.method)) return;
  throw new HttpError(405, "METHOD_NOT_ALLOWED", `${request.method} is not allowed here; use ${allowed[0]}`, {}, { allow: allowed.join(", ") });
}

/** Reads a JSON body of at most `limit` bytes. Empty → undefined. Too big → 413, not JSON → 400. */
export async function readJsonBody(request: Request, limit = MAX_BODY_BYTES): Promise<unknown> {
  const text = new TextDecoder().decode(await readBody(request, limit)).trim();
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
 * is left unread (serve's node bridge drops it for a moment, then closes the connection).
 */
export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > limit) {
    await request.body?.cancel().catch(() => undefined);
    throw tooLarge(limit);
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      chunks.length = 0;
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.byteLength;
  }
  return body;
}

function tooLarge(limit: number): HttpError {
  const size = limit >= 1024 * 1024 ? `${limit / (1024 * 1024)} MiB` : `${limit / 1024} KiB`;
  return new HttpError(413, "BODY_TOO_LARGE", `body: must be at most ${size}`);
}

/**
 * One HTTP request over node:http(s), resolving with the response stream once headers arrive.
 * Used where built-in fetch costs too much: its first use compiles undici's parser (~200 ms for a
 * one-shot CLI), and its web-stream bodies hold more memory per download than a Node stream does.
 * The whole exchange, body included, is bounded by `timeoutMs`: nothing can hang for hours.
 */
import http from "node:http";
import https from "node:https";

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs: number;
  signal?: AbortSignal;
  agent?: http.Agent;
  /** Called once the whole request has been handed to the OS: from then on the server may have it. */
  onSent?: () => void;
}

export function request(url: string | URL, o: RequestOptions): Promise<http.IncomingMessage> {
  const target = new URL(url);
  const transport = target.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(target, { method: o.method ?? "GET", headers: o.headers, agent: o.agent, signal: o.signal }, (res) => {
      res.once("close", () => clearTimeout(timer));
      resolve(res);
    });
    const timer = setTimeout(() => {
      const err = new Error(`no complete answer within ${o.timeoutMs} ms`);
      err.name = "TimeoutError";
      req.destroy(err);
    }, o.timeoutMs);
    if (o.onSent) req.once("finish", o.onSent);
    req.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(o.body);
  });
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === "string" ? Buffer.from(c) : c);
  return Buffer.concat(chunks);
}

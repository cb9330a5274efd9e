/** One HTTP exchange for a check: bounded, cancellable, and its failure said in words. */
import { createHttpFetch } from "../net/http-fetch.js";

export interface Answer {
  status: number;
  text: string;
  json: unknown;
  headers: Headers;
}

const fetcher = createHttpFetch({ timeoutMs: 30_000 }); // the check's signal ends it sooner

export async function exchange(url: string, init: { method?: string; headers?: Record<string, string>; body?: string; signal: AbortSignal }): Promise<Answer> {
  const res = await fetcher(url, { method: init.method ?? "GET", headers: init.headers ?? {}, ...(init.body !== undefined && { body: init.body }), signal: init.signal });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

/** Why a request got no answer (one wording for doctor and the BDNS client). */
export { whyUnreachable as unreachable } from "../net/unreachable.js";

/** An answer's error text, short: the JSON's error/message, or the start of the body. */
export function answerText(a: Answer): string {
  const j = a.json as { error?: unknown; message?: unknown } | undefined;
  const e = typeof j?.error === "string" ? j.error : typeof j?.error === "object" && j.error && "message" in j.error ? String((j.error as { message: unknown }).message) : typeof j?.message === "string" ? j.message : a.text;
  return e.replace(/\s+/g, " ").trim().slice(0, 160) || "(empty body)";
}

/**
 * A proxy or load balancer answering for serve because serve is not there behind it: 502 or 504, or
 * a 503 that is not serve's own JSON error (serve answers 503 with {"ok":false,"error":…}: a batch
 * route without CRON_SECRET, a shutdown). Then the address and the secret may well be right.
 */
export function isGatewayAnswer(a: Answer): boolean {
  if (a.status === 502 || a.status === 504) return true;
  const j = a.json as { ok?: unknown; error?: unknown } | undefined;
  return a.status === 503 && !(j?.ok === false && typeof j.error === "object" && j.error !== null);
}

/** What doctor says of it, and how to fix it: the same words for every check that meets one. */
export function serveDownBehindProxy(url: string, a: Answer): { message: string; fix: string } {
  return {
    message: `${safeUrl(url)} answered ${a.status} for serve (${answerText(a)}): a proxy or load balancer is there, and serve is down or unreachable behind it`,
    fix: "start serve (or wait for it to come back) behind the proxy, and check the proxy's upstream address; the address and CRON_SECRET are not what is wrong",
  };
}

/** A URL with no credentials in it, for messages. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.href;
  } catch {
    return url;
  }
}

/**
 * The BDNS HTTP client: the only code that talks to BDNS. Every request start goes through the
 * process-wide spacer; transient failures get a few quick retries here (a BDNS hiccup costs seconds
 * instead of Inngest's minutes-long backoff), then surface as a BdnsError the functions act on.
 */
import { whyUnreachable } from "../../net/unreachable.js";
import type { Readable } from "node:stream";
import pkg from "../../../package.json" with { type: "json" };
import { setTimeout as sleep } from "node:timers/promises";
import type { IncomingMessage } from "node:http";
import { createHttpFetch } from "../../net/http-fetch.js";
import { readAll, request } from "../../net/request.js";
import { BdnsError, type BdnsFailure } from "./errors.js";
import { sharedSpacer, type StartSpacer, type Work, type WorkKind } from "./limiter.js";
import { observeBdnsRequest, type BdnsRequestTimer } from "../../metrics/index.js";
import { detailSchema, errorBodySchema, searchPageSchema, searchRowSchema, type ConvocatoriaDetail, type SearchPage, type SearchRow } from "./schemas.js";

export const DEFAULT_BDNS_API_URL = "https://www.infosubvenciones.es/bdnstrans/api";

export interface BdnsClientOptions {
  baseUrl?: string;
  /** Defaults to the process-wide spacer (9.5 starts/s): BDNS's limit is per IP. */
  spacer?: StartSpacer;
  /** Per API request (default 30 s). A hung request must not hold a concurrency slot for hours. */
  timeoutMs?: number;
  /** Per request for a page of up to 10,000 rows (~8 MB, ~2.5 s when BDNS is well; default 2 min). */
  pageTimeoutMs?: number;
  /** Per document download, the whole transfer (default 10 min). */
  downloadTimeoutMs?: number;
  /** Attempts per request for transient failures (default 3). */
  maxAttempts?: number;
  /** First backoff, doubled per attempt, capped at 10 s (default 500 ms). */
  backoffMs?: number;
  userAgent?: string;
}

export interface SearchParams {
  /** Inclusive, YYYY-MM-DD. */
  from: string;
  to: string;
  page: number;
  pageSize: number;
}

export interface DetailResult {
  detail: ConvocatoriaDetail;
  /** The record as BDNS sent it, minus the legal notice it repeats on every response. */
  raw: Record<string, unknown>;
}

export interface Download {
  body: Readable;
  /** Content-Length, when the server sent one. */
  contentLength: number | undefined;
}

export class BdnsClient {
  private readonly baseUrl: string;
  readonly spacer: StartSpacer;
  private readonly timeoutMs: number;
  private readonly downloadTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly userAgent: string;
  private readonly http: typeof fetch;
  private readonly pageTimeoutMs: number;
  private readonly pageHttp: typeof fetch;
  /** What the requests made through this client are for (see `for`). */
  private readonly work: Partial<Work> = {};

  constructor(o: BdnsClientOptions = {}) {
    this.baseUrl = (o.baseUrl ?? DEFAULT_BDNS_API_URL).replace(/\/+$/, "");
    this.spacer = o.spacer ?? sharedSpacer();
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.downloadTimeoutMs = o.downloadTimeoutMs ?? 600_000;
    this.maxAttempts = o.maxAttempts ?? 3;
    this.backoffMs = o.backoffMs ?? 500;
    this.userAgent = o.userAgent ?? `ayida-jobs/${pkg.version} (Ayida Portal BDNS sync; node ${process.version})`;
    this.http = createHttpFetch({ timeoutMs: this.timeoutMs });
    this.pageTimeoutMs = o.pageTimeoutMs ?? 120_000;
    this.pageHttp = createHttpFetch({ timeoutMs: this.pageTimeoutMs });
  }

  /**
   * The same client, its requests tagged with the kind of work and the run they serve, so the spacer's
   * queue can be fair between them (limiter.ts). Without it, a request counts as its method's kind
   * (pages for listings, details, documents for downloads) outside any run.
   */
  for(work: Partial<Work>): BdnsClient {
    return Object.create(this, { work: { value: { ...this.work, ...work } } }) as BdnsClient;
  }

  /**
   * Any JSON endpoint (the datasets' lists, trees, pages and details): the answer parsed, `undefined`
   * for 204 (BDNS's "empty"), every error shape a BdnsError, transient ones retried quickly.
   * `page`: a listing page of up to 10,000 rows, which gets the longer timeout.
   */
  async fetchJson(path: string, params: Record<string, string> = {}, o: { page?: boolean } = {}): Promise<unknown> {
    return this.retrying(() => this.getJson(path, params, o.page ? "page" : "api", "page"));
  }

  /**
   * One page of `/convocatorias/busqueda` by reception date, in a stable order. A page that is not a
   * page is a broken answer; a row that is not a listing row (a code that can never be valid, `0`) is
   * refused on its own, with where and why, and the rest of the page is read.
   */
  async searchConvocatorias(p: SearchParams): Promise<SearchPage> {
    const path = "/convocatorias/busqueda";
    const params = { fechaDesde: toBdnsDate(p.from), fechaHasta: toBdnsDate(p.to), page: String(p.page), pageSize: String(p.pageSize), order: "numeroConvocatoria", direccion: "asc" };
    const body = await this.fetchJson(path, params, { page: true });
    if (body === undefined) return { content: [], refused: [], totalPages: 0, totalElements: 0 }; // 204
    const page = this.parse(searchPageSchema, body, path);
    const content: SearchRow[] = [];
    const refused: SearchPage["refused"] = [];
    page.content.forEach((raw, i) => {
      const row = searchRowSchema.safeParse(raw);
      if (row.success) return void content.push(row.data);
      const issue = row.error.issues[0];
      refused.push({ at: `#${i}`, reason: `${path} record #${i}: ${issue?.path.join(".") || "(the record)"}: ${issue?.message ?? "refused"}` });
    });
    return { content, refused, totalPages: page.totalPages, totalElements: page.totalElements };
  }

  /** The detail of one convocatoria by its BDNS code. */
  async getConvocatoria(numConv: string): Promise<DetailResult> {
    const path = "/convocatorias";
    const body = await this.retrying(() => this.getJson(path, { numConv }, "api", "detail"));
    if (body === undefined || body === null) throw new BdnsError("NOT_FOUND", `convocatoria ${numConv}: BDNS has no such record (empty answer)`, { path });
    const detail = this.parse(detailSchema, body, path);
    if (detail.codigoBDNS !== numConv) throw new BdnsError("BROKEN_RECORD", `convocatoria ${numConv}: BDNS answered with record ${detail.codigoBDNS}`, { path });
    const { advertencia: _notice, ...raw } = body as Record<string, unknown>;
    return { detail, raw };
  }

  /** Streams one attachment of a convocatoria. The caller checks the size and hash while storing it. */
  async downloadDocument(idDocumento: string): Promise<Download> {
    return this.download("/convocatorias/documentos", { idDocumento });
  }

  /** Streams a file from any download endpoint (convocatorias' and plans' documents). */
  async download(path: string, params: Record<string, string>): Promise<Download> {
    const idDocumento = Object.values(params).join(",");
    return this.retrying(() => observeBdnsRequest(path, async (t) => { // metrics: wait, latency (to headers), outcome
      // node:http, not fetch: a Node stream with backpressure to the socket holds ~25 MB less per
      // 200 MB download than fetch's web stream converted back (measured; BENCHMARKS.md).
      let res: IncomingMessage;
      try {
        res = await this.spacer.run(() => (t.started(), request(this.url(path, params), { headers: { "user-agent": this.userAgent }, timeoutMs: this.downloadTimeoutMs })), this.workOf("document"));
      } catch (cause) {
        throw networkError(path, cause, this.downloadTimeoutMs);
      }
      const status = res.statusCode ?? 0;
      const type = String(res.headers["content-type"] ?? "");
      if (status === 200 && !type.includes("json") && !type.includes("text/html")) {
        const length = res.headers["content-length"];
        return { body: res, contentLength: length === undefined ? undefined : Number(length) };
      }
      // Not a file: read the (small) answer and let the JSON rules classify it.
      const bytes = await readAll(res).catch((cause: unknown) => {
        throw new BdnsError("TRUNCATED", `${path}: the answer was cut off`, { status, path, cause });
      });
      const answer = new Response(status === 204 ? null : bytes, { status, headers: { "content-type": type, "retry-after": String(res.headers["retry-after"] ?? "") } });
      const body = await this.readJson(answer, path);
      throw new BdnsError("BROKEN_RECORD", `document ${idDocumento}: expected a file, got ${describe(body)}`, { status, path });
    }));
  }

  private url(path: string, params: Record<string, string>): string {
    return `${this.baseUrl}${path}?${new URLSearchParams(params)}`;
  }

  private workOf(kind: WorkKind): Work {
    return { kind: this.work.kind ?? kind, run: this.work.run };
  }

  private async getJson(path: string, params: Record<string, string>, kind: "api" | "page", work: WorkKind): Promise<unknown> {
    return observeBdnsRequest(path, async (t) => this.readJson(await this.fetch(path, params, kind, work, t), path)); // metrics: wait, latency, outcome
  }

  private async fetch(path: string, params: Record<string, string>, kind: "api" | "page", work: WorkKind, t?: BdnsRequestTimer): Promise<Response> {
    const http = kind === "page" ? this.pageHttp : this.http;
    try {
      return await this.spacer.run(() => (t?.started(), http(this.url(path, params), { headers: { accept: "application/json", "user-agent": this.userAgent } })), this.workOf(work));
    } catch (cause) {
      throw networkError(path, cause, kind === "page" ? this.pageTimeoutMs : this.timeoutMs);
    }
  }

  /** Reads a JSON answer and turns every error shape BDNS uses into a BdnsError. 204 → undefined. */
  private async readJson(res: Response, path: string): Promise<unknown> {
    if (res.status === 429) throw new BdnsError("RATE_LIMITED", `${path}: BDNS answered 429 (too many requests)`, { status: 429, path, ...retryAfter(res) });
    if (res.status === 204) return undefined;
    const text = await res.text(); // buffered: a cut-off body already failed as TRUNCATED
    const status = res.status;
    if (/^\s*</.test(text) || (res.headers.get("content-type") ?? "").includes("text/html")) {
      if (status >= 500) throw new BdnsError("SERVER", `${path}: BDNS answered ${status} with an HTML page`, { status, path });
      throw new BdnsError("BROKEN_RECORD", `${path}: BDNS answered ${status} with an HTML page instead of JSON`, { status, path });
    }
    let body: unknown;
    try {
      body = text === "" ? null : JSON.parse(text);
    } catch (cause) {
      throw new BdnsError(status >= 500 ? "SERVER" : "TRUNCATED", `${path}: BDNS answered ${status} with incomplete JSON`, { status, path, cause });
    }
    const coded = errorBodySchema.safeParse(body);
    if (coded.success) throw codedError(coded.data, status, path);
    if (status >= 500) throw new BdnsError("SERVER", `${path}: BDNS answered ${status}`, { status, path, ...retryAfter(res) });
    if (status === 404) throw new BdnsError("NOT_FOUND", `${path}: BDNS answered 404`, { status, path });
    if (status >= 400) {
      const failure: BdnsFailure = /documento/i.test(text) ? "UNKNOWN_DOCUMENT" : "VALIDATION";
      throw new BdnsError(failure, `${path}: BDNS answered ${status}: ${text.slice(0, 200)}`, { status, path });
    }
    return body;
  }

  private parse<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } }, body: unknown, path: string): T {
    const r = schema.safeParse(body);
    if (r.success) return r.data;
    const issue = r.error.issues[0];
    throw new BdnsError("BROKEN_RECORD", `${path}: unexpected shape at ${issue?.path.join(".") || "(root)"}: ${issue?.message}`, { path });
  }

  /** Quick retries for transient failures, honouring Retry-After, before giving up to Inngest. */
  private async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (err) {
        if (!(err instanceof BdnsError) || !err.transient || n >= this.maxAttempts) throw err;
        const backoff = Math.min(10_000, err.retryAfterMs ?? this.backoffMs * 2 ** (n - 1));
        await sleep(backoff * (0.8 + Math.random() * 0.4));
      }
    }
  }
}

function codedError(body: { codigo: string; error?: string | null; errores?: string[] | null }, status: number, path: string): BdnsError {
  const detail = [body.error, ...(body.errores ?? [])].filter(Boolean).join("; ");
  const message = `${path}: BDNS error ${body.codigo}${detail ? `: ${detail}` : ""} (HTTP ${status})`;
  if (body.codigo === "ERR_MANTENIMIENTO_BBDD") return new BdnsError("MAINTENANCE", message, { status, path });
  if (body.codigo === "ERR_SIN_RESULTADOS") return new BdnsError("NOT_FOUND", message, { status, path });
  if (/documento/i.test(detail)) return new BdnsError("UNKNOWN_DOCUMENT", message, { status, path });
  if (status >= 500) return new BdnsError("SERVER", message, { status, path });
  return new BdnsError("VALIDATION", message, { status, path });
}

function networkError(path: string, cause: unknown, timeoutMs: number): BdnsError {
  if (cause instanceof TypeError && cause.message === "terminated") return new BdnsError("TRUNCATED", `${path}: the answer was cut off`, { path, cause: cause.cause });
  const root = cause instanceof TypeError && cause.cause instanceof Error ? cause.cause : cause; // "fetch failed" wraps the reason
  const timedOut = root instanceof Error && root.name === "TimeoutError";
  return new BdnsError(timedOut ? "TIMEOUT" : "NETWORK", `${path}: ${timedOut ? `no answer within ${timeoutMs} ms` : `BDNS unreachable (${whyUnreachable(root)})`}`, { path, cause: root });
}

function retryAfter(res: Response): { retryAfterMs?: number } {
  const h = res.headers.get("retry-after");
  if (!h) return {};
  const seconds = Number(h);
  if (Number.isFinite(seconds)) return { retryAfterMs: seconds * 1000 };
  const at = Date.parse(h);
  return Number.isNaN(at) ? {} : { retryAfterMs: Math.max(0, at - Date.now()) };
}

function describe(body: unknown): string {
  return body === undefined ? "an empty answer" : JSON.stringify(body).slice(0, 200);
}

/** BDNS takes request dates as dd/MM/yyyy. */
export function toBdnsDate(isoDate: string): string {
  const [y, m, d] = isoDate.split("-");
  return `${d}/${m}/${y}`;
}

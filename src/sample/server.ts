/**
 * A BDNS sample server: a small, fixed, synthetic data set for every dataset (bdns-sample.json, made
 * by scripts/make-sample-data.mjs from the test fixtures' shapes), answered the way BDNS answers —
 * lists, trees, Spring pages with paging, registration-date windows, sweeps, details and document
 * downloads — so `ayida-jobs dev --sample` runs the whole pipeline with no network.
 *
 * What each endpoint is comes from the dataset declarations (path, sweep, answer, window): the data
 * file only holds answers, keyed by path and sweep value. The windowed datasets' and convocatorias'
 * dates are shifted so that the sample's reference day is yesterday (UTC): a sync's default window,
 * the 7 days ending yesterday, finds every sample row whenever it runs.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { DATASETS } from "../datasets/index.js";
import type { Feed } from "../datasets/types.js";
import data from "./bdns-sample.json" with { type: "json" };

/** The path BDNS's API lives under; BDNS_API_URL points here. */
export const SAMPLE_API_PATH = "/bdnstrans/api";

export interface SampleBdns {
  /** The value for BDNS_API_URL. */
  url: string;
  /** Requests answered so far. */
  requests(): number;
  close(): Promise<void>;
}

type Row = Record<string, unknown>;
interface SampleData {
  reference: string;
  feeds: Record<string, Record<string, unknown>>;
  pageExtras: Record<string, Row>;
  convocatorias: Row[];
  details: Record<string, Record<string, Row>>;
  documents: Record<string, Record<string, { name: string | null; size: number }>>;
}

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Every `YYYY-MM-DD…` string inside `value`, moved by `days`. */
function shiftDates<T>(value: T, days: number): T {
  if (days === 0) return value;
  if (typeof value === "string") {
    const m = /^(\d{4}-\d{2}-\d{2})/.exec(value);
    return (m ? isoDay(Date.parse(`${m[1]}T00:00:00Z`) + days * DAY_MS) + value.slice(10) : value) as T;
  }
  if (Array.isArray(value)) return value.map((v) => shiftDates(v, days)) as T;
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shiftDates(v, days)])) as T;
  return value;
}

/** `dd/MM/yyyy` (how BDNS takes dates) → `YYYY-MM-DD`; anything else → undefined. */
function fromBdnsDate(s: string | null): string | undefined {
  const m = s ? /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(s) : null;
  return m ? `${m[3]}-${m[2]}-${m[1]}` : undefined;
}

/** A Spring page of `rows`, as BDNS answers its /busqueda endpoints. */
function page(rows: unknown[], params: URLSearchParams, extras: Row = {}): Row {
  const size = Math.max(1, Number(params.get("pageSize") ?? 50) || 50);
  const number = Math.max(0, Number(params.get("page") ?? 0) || 0);
  const content = rows.slice(number * size, (number + 1) * size);
  const totalPages = Math.ceil(rows.length / size);
  return { ...extras, content, totalPages, totalElements: rows.length, size, number, numberOfElements: content.length, first: number === 0, last: number >= totalPages - 1, empty: content.length === 0 };
}

/** Deterministic bytes of exactly `size`: what the document store checks against the announced size. */
function documentBytes(id: string, name: string | null, size: number): Buffer {
  const unit = Buffer.from(`ayida-jobs sample document ${id} (${name ?? "unnamed"}): synthetic, not from BDNS.\n`);
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i += unit.length) unit.copy(out, i, 0, Math.min(unit.length, size - i));
  return out;
}

interface Answer {
  status: number;
  body?: unknown;
  bytes?: Buffer;
}

/** Builds the answering function, dates shifted to `today` (UTC, YYYY-MM-DD). */
export function sampleAnswers(today: string = isoDay(Date.now())): (path: string, params: URLSearchParams) => Answer {
  const sample = data as unknown as SampleData;
  const shift = Math.round((Date.parse(`${today}T00:00:00Z`) - DAY_MS - Date.parse(`${sample.reference}T00:00:00Z`)) / DAY_MS);
  const feeds = new Map<string, { feed: Feed<any>; answers: Record<string, unknown> }>();
  for (const d of DATASETS) {
    for (const feed of d.feeds) {
      const answers = sample.feeds[feed.path] ?? {};
      feeds.set(feed.path, { feed, answers: feed.window ? shiftDates(answers, shift) : answers });
      if (feed.sweep && "discover" in feed.sweep) {
        const discover = feed.sweep.discover.path;
        feeds.set(discover, { feed: { ...feed, path: discover, answer: "list", sweep: undefined, window: undefined }, answers: sample.feeds[discover] ?? {} });
      }
    }
  }
  const details = new Map<string, { param: string; byId: Record<string, Row> }>();
  const documents = new Map<string, Record<string, { name: string | null; size: number }>>();
  for (const d of DATASETS) {
    if (!d.details) continue;
    details.set(d.details.path, { param: d.details.param, byId: sample.details[d.details.path] ?? {} });
    if (d.details.documents) documents.set(d.details.documents.path, sample.documents[d.details.documents.path] ?? {});
  }
  details.set("/convocatorias", { param: "numConv", byId: shiftDates(sample.details["/convocatorias"] ?? {}, shift) });
  documents.set("/convocatorias/documentos", sample.documents["/convocatorias/documentos"] ?? {});
  const convocatorias = shiftDates(sample.convocatorias, shift);

  return (path, params) => {
    if (path === "/convocatorias/busqueda") {
      const from = fromBdnsDate(params.get("fechaDesde"));
      const to = fromBdnsDate(params.get("fechaHasta"));
      if (!from || !to) return { status: 400, body: { codigo: "ERR_VALIDACION", error: "fechaDesde y fechaHasta son obligatorias (dd/MM/yyyy)" } };
      const rows = convocatorias.filter((r) => String(r.fechaRecepcion) >= from && String(r.fechaRecepcion) <= to);
      return { status: 200, body: page(rows, params, sample.pageExtras[path]) };
    }
    const detail = details.get(path);
    if (detail) {
      const found = detail.byId[params.get(detail.param) ?? ""];
      return found ? { status: 200, body: found } : { status: 204 };
    }
    const docs = documents.get(path);
    if (docs) {
      const id = params.get("idDocumento") ?? "";
      const doc = docs[id];
      return doc ? { status: 200, bytes: documentBytes(id, doc.name, doc.size) } : { status: 400, body: { codigo: "ERR_VALIDACION", error: "No existe el documento solicitado" } };
    }
    const entry = feeds.get(path);
    if (!entry) return { status: 404, body: { error: `${path}: not an endpoint of the sample` } };
    const { feed, answers } = entry;
    const answer = answers[feed.sweep ? (params.get(feed.sweep.param) ?? "") : ""] ?? (feed.answer === "page" ? [] : undefined);
    if (feed.answer !== "page") return Array.isArray(answer) && answer.length > 0 ? { status: 200, body: answer } : { status: 204 };
    let rows = (answer as Row[]) ?? [];
    const window = feed.window;
    const dateColumn = feed.table.registrationDate && feed.table.columns[feed.table.registrationDate];
    if (window && dateColumn) {
      const from = fromBdnsDate(params.get(window.fromParam));
      const to = fromBdnsDate(params.get(window.toParam));
      if (!from || !to) return { status: 400, body: { codigo: "ERR_VALIDACION", error: `${window.fromParam} y ${window.toParam} son obligatorias (dd/MM/yyyy)` } };
      rows = rows.filter((r) => {
        const day = String(dateColumn.value(r, { feed: feed.id }) ?? "");
        return day >= from && (window.toExclusive ? day < to : day <= to);
      });
    }
    return { status: 200, body: page(rows, params, sample.pageExtras[path]) };
  };
}

/** Starts the sample server on `host:port` (port 0: any free port). */
export async function startSampleBdns(o: { host?: string; port?: number } = {}): Promise<SampleBdns> {
  const answer = sampleAnswers();
  let answered = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://sample");
    const path = url.pathname.startsWith(SAMPLE_API_PATH) ? url.pathname.slice(SAMPLE_API_PATH.length) : url.pathname;
    const a = answer(path, url.searchParams);
    answered++;
    if (a.bytes) return void res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(a.bytes.length) }).end(a.bytes);
    if (a.body === undefined) return void res.writeHead(a.status).end();
    const body = JSON.stringify(a.body);
    res.writeHead(a.status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }).end(body);
  });
  const host = o.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}${SAMPLE_API_PATH}`,
    requests: () => answered,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

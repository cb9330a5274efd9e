/**
 * A loopback BDNS: serves the real API's shapes (from test/fixtures, synthetic values) for a generated
 * dataset, and misbehaves on purpose the ways the real one does: 429 to bursts of starts, 5xx,
 * ERR_MANTENIMIENTO_BBDD inside a 200, HTML instead of JSON, slow answers, cut-off bodies, and files
 * shorter than their announced size.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Readable } from "node:stream";
import { answerDatasets, standingFault, type DatasetsFixture } from "./bdns-datasets.js";

/** test/fixtures, found from here upwards (this file also runs bundled, from .bench/). */
const fixtures = (() => {
  for (let dir = import.meta.dirname; ; dir = resolve(dir, "..")) {
    if (existsSync(resolve(dir, "test/fixtures"))) return resolve(dir, "test/fixtures");
    if (dir === resolve(dir, "..")) throw new Error("test/fixtures not found");
  }
})();
const sampleDetail = JSON.parse(readFileSync(resolve(fixtures, "convocatoria-detalle.json"), "utf8")) as Record<string, unknown>;
const samplePage = JSON.parse(readFileSync(resolve(fixtures, "convocatorias-busqueda-page.json"), "utf8")) as Record<string, unknown>;
export const errorSamples = JSON.parse(readFileSync(resolve(fixtures, "error-responses.examples.json"), "utf8")) as Array<{
  case: string;
  httpStatus: number | string;
  contentType: string | null;
  body: unknown;
}>;

export interface FakeDocument {
  id: number;
  nombreFic: string;
  long: number;
  datMod: string;
  /** A new revision of the file: different bytes, same size (BDNS then announces a new datMod). */
  rev?: number;
}

export interface FakeConvocatoria {
  bdns: string;
  fechaRecepcion: string;
  detail: Record<string, unknown>;
  documents: FakeDocument[];
}

/** The bytes of a document: deterministic from its id and size. */
export function documentBytes(doc: Pick<FakeDocument, "id" | "long" | "rev">): Buffer {
  return Buffer.concat([...documentChunks(doc)]);
}

/** The same bytes as `documentBytes`, generated in 64 KiB pieces: a 200 MB file never sits in memory. */
export function* documentChunks(doc: Pick<FakeDocument, "id" | "long" | "rev">, upTo = doc.long): Generator<Buffer> {
  const unit = Buffer.from(`BDNS document ${doc.id}${doc.rev ? ` rev ${doc.rev}` : ""};`);
  const block = Buffer.alloc(unit.length * Math.ceil(65536 / unit.length));
  for (let i = 0; i < block.length; i += unit.length) unit.copy(block, i);
  for (let sent = 0; sent < upTo; sent += block.length) yield block.subarray(0, Math.min(block.length, upTo - sent));
}

/** n convocatorias, received one per day-slot from `firstDate`, each with `docs` documents. */
export function makeDataset(n: number, o: { firstDate?: string; perDay?: number; docs?: number; firstCode?: number; light?: boolean } = {}): FakeConvocatoria[] {
  const first = new Date(`${o.firstDate ?? "2026-09-01"}T00:00:00Z`);
  return Array.from({ length: n }, (_, i) => {
    const bdns = String((o.firstCode ?? 900000) + i);
    const day = new Date(first);
    day.setUTCDate(first.getUTCDate() + Math.floor(i / (o.perDay ?? n)));
    const fechaRecepcion = day.toISOString().slice(0, 10);
    const documents = Array.from({ length: o.docs ?? 2 }, (_, d) => ({ id: Number(bdns) * 10 + d, nombreFic: d === 0 ? `Resolució ${bdns}.pdf` : `../Anexo ${d}.docx`, long: 1000 + ((i * 37 + d * 11) % 3000), datMod: fechaRecepcion }));
    return {
      bdns,
      fechaRecepcion,
      documents,
      detail: {
        ...(o.light ? { organo: sampleDetail.organo } : sampleDetail),
        id: 1_100_000 + i,
        codigoBDNS: bdns,
        fechaRecepcion,
        descripcion: `Convocatoria de prueba ${bdns}`,
        documentos: documents.map((d) => ({ id: d.id, nombreFic: d.nombreFic, descripcion: "Documento", long: d.long, datMod: d.datMod, datPublicacion: d.datMod })),
      },
    };
  });
}

export type FaultReply =
  | { status: number; body?: unknown; contentType?: string; headers?: Record<string, string> }
  | "html"
  | "maintenance-200"
  | "truncated"
  | "short-file"
  | "hang"
  | { delayMs: number }
  /** A file download that starts (headers and the first n bytes) and then stalls, connection open. */
  | { stallAfterBytes: number };

export interface BdnsRequest {
  path: string;
  params: URLSearchParams;
  /**
   * Who asked, when the caller's base URL names itself in a first path segment before `/api`
   * (`http://127.0.0.1:P/serve-a/api`): two processes told apart by their BDNS_API_URL alone.
   */
  via?: string;
  /** performance.now() when the handler ran: at or after the arrival. */
  at: number;
  /**
   * The earliest the request can have arrived (performance.now()): before the event loop's last turn
   * it would have been handled then. `at` minus this is how long the stand-in may have kept it waiting.
   */
  earliest: number;
  status: number;
}

export interface FakeBdns {
  url: string;
  dataset: FakeConvocatoria[];
  requests: BdnsRequest[];
  /** Answer the next matching requests with these replies, in order. */
  fault(match: (path: string, params: URLSearchParams) => boolean, ...replies: FaultReply[]): void;
  count(path: string): number;
  tooMany(): number;
  close(): Promise<void>;
}

/**
 * `minGapMs`: a request starting less than this after the previous one gets 429, as BDNS does to
 * bursts (0 = off). `maxPerSecond`: 429 to a start that makes more than this many in any sliding
 * second. `latencyMs`: how long BDNS takes to answer a path (a 10,000-row page takes ~2.5 s). `datasets`: also serve the ten other datasets' endpoints (bdns-datasets.ts), with
 * the same faults, burst limit and request log.
 */
export async function startFakeBdns(
  o: { dataset?: FakeConvocatoria[]; minGapMs?: number; maxPerSecond?: number; latencyMs?: (path: string) => number; datasets?: DatasetsFixture } = {},
): Promise<FakeBdns> {
  const dataset = o.dataset ?? [];
  const byCode = new Map(dataset.map((c) => [c.bdns, c]));
  const docs = new Map(dataset.flatMap((c) => c.documents.map((d) => [String(d.id), d] as const)));
  const requests: BdnsRequest[] = [];
  const faults: Array<{ match: (p: string, q: URLSearchParams) => boolean; replies: FaultReply[] }> = [];
  let lastStart = -Infinity;
  // The burst rules judge arrivals, and a busy or descheduled stand-in stamps late: a late stamp on
  // the first request of a second squeezes that second into a 429 the client never caused. A
  // heartbeat says when the event loop last turned; a request handled now arrived after the turn
  // before that (else that turn's poll would have handled it) — or, on a new connection, after the
  // turn before its accept (Node accepts and reads in separate turns). The rules refuse only what certainly
  // broke them: a request's window counts those whose earliest arrival falls inside it. An idle
  // stand-in is uncertain by ~2–4 ms, well under the budget's margin (47 ms per eleven at 9.5/s).
  let turns = [performance.now(), performance.now()];
  const heartbeat = setInterval(() => (turns = [turns[1]!, performance.now()]), 2);
  heartbeat.unref();
  const acceptedAfter = new WeakMap<object, number>();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const via = /^\/([\w-]+)(?=\/api\/)/.exec(url.pathname)?.[1];
    const path = url.pathname.replace(/^\/[\w-]+(?=\/api\/)/, "").replace(/^\/api/, "");
    if (path === "/__stats") return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(stats()));
    const params = url.searchParams;
    const at = performance.now();
    const earliest = Math.min(at, turns[0]!, acceptedAfter.get(req.socket) ?? Infinity);
    acceptedAfter.delete(req.socket); // the next request on this connection arrives after this one
    const record: BdnsRequest = { path, params, at, earliest, status: 0, ...(via && { via }) };
    requests.push(record);
    let send = (status: number, body: string | Buffer, type = "application/json", headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { "content-type": type, "content-length": String(Buffer.byteLength(body)), ...headers }).end(body);
    };
    const sendFile = (doc: FakeDocument, length: number) => {
      record.status = 200;
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(length) });
      Readable.from(documentChunks(doc, length)).pipe(res);
    };

    const gap = at - lastStart; // at most: the previous one arrived no earlier than its `earliest`
    lastStart = earliest;
    if (o.minGapMs && gap < o.minGapMs) return send(429, "", "text/plain", { "retry-after": "1" });
    // BDNS's own rule: more than maxPerSecond starts within any sliding second (this one included).
    if (o.maxPerSecond && requests.filter((r) => r.earliest > at - 1000).length > o.maxPerSecond) return send(429, "", "text/plain", { "retry-after": "1" });
    const latency = o.latencyMs?.(path) ?? 0;
    if (latency > 0) {
      const answer = send;
      send = (...args) => void setTimeout(() => answer(...args), latency);
    }

    const fault = faults.find((f) => f.replies.length > 0 && f.match(path, params));
    const reply = fault?.replies.shift() ?? (o.datasets && standingFault(o.datasets, path, params));
    if (reply !== undefined) {
      if (reply === "hang") return;
      if (reply === "html") return send(200, "<html><body>Error interno del servidor</body></html>", "text/html");
      if (reply === "maintenance-200") return send(200, JSON.stringify({ codigo: "ERR_MANTENIMIENTO_BBDD", error: "Base de datos en mantenimiento" }));
      if (reply === "truncated") {
        record.status = 200;
        res.writeHead(200, { "content-type": "application/json", "content-length": "5000" });
        res.write('{"content":[{"id":1,');
        return void setTimeout(() => res.destroy(), 10);
      }
      if (typeof reply === "object" && "stallAfterBytes" in reply) {
        const doc = docs.get(params.get("idDocumento") ?? "");
        if (doc) {
          record.status = 200;
          res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(doc.long) });
          return void res.write(documentBytes(doc).subarray(0, reply.stallAfterBytes));
        }
        return serve(path, params, send, sendFile);
      }
      if (typeof reply === "object" && "delayMs" in reply) return void setTimeout(() => serve(path, params, send, sendFile), reply.delayMs);
      if (reply !== "short-file") {
        const body = reply.body === undefined || reply.body === null ? "" : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
        return send(reply.status, body, reply.contentType ?? "application/json", reply.headers);
      }
      const doc = docs.get(params.get("idDocumento") ?? "");
      if (doc) return sendFile(doc, Math.floor(doc.long / 2));
    }
    serve(path, params, send, sendFile);
  });

  function serve(path: string, params: URLSearchParams, send: (s: number, b: string | Buffer, t?: string) => void, sendFile: (d: FakeDocument, n: number) => void): void {
    if (path === "/convocatorias/busqueda") {
      const from = bdnsToIso(params.get("fechaDesde"));
      const to = bdnsToIso(params.get("fechaHasta"));
      const page = Number(params.get("page") ?? 0);
      const size = Number(params.get("pageSize") ?? 50);
      if (!from || !to || !(size > 0)) return send(400, JSON.stringify(errorSamples[0]!.body));
      const rows = dataset.filter((c) => c.fechaRecepcion >= from && c.fechaRecepcion <= to).sort((a, b) => (a.bdns < b.bdns ? -1 : 1));
      const content = rows.slice(page * size, (page + 1) * size).map(searchRow);
      const totalPages = Math.ceil(rows.length / size);
      return send(200, JSON.stringify({ ...samplePage, content, totalPages, totalElements: rows.length, number: page, size, numberOfElements: content.length, first: page === 0, last: page >= totalPages - 1, empty: content.length === 0 }));
    }
    if (path === "/convocatorias") {
      const c = byCode.get(params.get("numConv") ?? "");
      if (!c) return send(204, "");
      return send(200, JSON.stringify({ ...c.detail, advertencia: "Aviso legal." }));
    }
    if (path === "/convocatorias/documentos") {
      const doc = docs.get(params.get("idDocumento") ?? "");
      if (!doc) return send(400, JSON.stringify({ codigo: "ERR_VALIDACION", error: "No existe el documento solicitado" }));
      return sendFile(doc, doc.long);
    }
    const answer = o.datasets && answerDatasets(o.datasets, path, params);
    if (answer) return "file" in answer ? sendFile(answer.file, answer.file.long) : send(answer.status, answer.body, answer.contentType);
    send(404, JSON.stringify({ error: "not found" }));
  }

  /** For a fake in another process: what arrived, how far apart, how many were refused. */
  function stats() {
    const gaps = requests.slice(1).map((r, i) => r.at - requests[i]!.at).sort((a, b) => a - b);
    return { requests: requests.length, tooMany: requests.filter((r) => r.status === 429).length, minGapMs: gaps[0] ?? null, medianGapMs: gaps[gaps.length >> 1] ?? null };
  }

  server.on("connection", (socket) => acceptedAfter.set(socket, turns[0]!));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api`,
    dataset,
    requests,
    fault: (match, ...replies) => void faults.push({ match, replies }),
    count: (p) => requests.filter((r) => r.path === p).length,
    tooMany: () => requests.filter((r) => r.status === 429).length,
    close: () =>
      new Promise<void>((r) => {
        clearInterval(heartbeat);
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function searchRow(c: FakeConvocatoria) {
  const d = c.detail as { id: number; descripcion: string; organo: { nivel1: string; nivel2: string; nivel3: string } };
  return { id: d.id, mrr: false, numeroConvocatoria: c.bdns, descripcion: d.descripcion, descripcionLeng: null, fechaRecepcion: c.fechaRecepcion, nivel1: d.organo.nivel1, nivel2: d.organo.nivel2, nivel3: d.organo.nivel3, codigoInvente: null };
}

function bdnsToIso(d: string | null): string | undefined {
  const m = d?.match(/^(\d{2})\/(\d{2})\/(\d{4})$/);
  return m ? `${m[3]}-${m[2]}-${m[1]}` : undefined;
}

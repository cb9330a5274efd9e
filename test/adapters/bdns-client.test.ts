/** The BDNS client against a loopback BDNS that speaks the real shapes and misbehaves on purpose. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BdnsClient, toBdnsDate } from "../../src/adapters/bdns/client.js";
import { BdnsError } from "../../src/adapters/bdns/errors.js";
import { DEFAULT_RATE_PER_SECOND, StartSpacer } from "../../src/adapters/bdns/limiter.js";
import { parseEnv } from "../../src/config/env.js";
import { createJobDeps } from "../../src/functions/deps.js";
import pino from "pino";
import { searchRowSchema, detailSchema } from "../../src/adapters/bdns/schemas.js";
import { errorSamples, makeDataset, startFakeBdns, type FakeBdns } from "../support/bdns-server.js";

let bdns: FakeBdns;
afterEach(() => bdns?.close());

const client = (o: Partial<ConstructorParameters<typeof BdnsClient>[0]> = {}) => new BdnsClient({ baseUrl: bdns.url, spacer: new StartSpacer(1000), backoffMs: 5, ...o });

async function failure(p: Promise<unknown>): Promise<BdnsError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  if (!(e instanceof BdnsError)) throw new Error(`expected a BdnsError, got ${String(e)}`);
  return e;
}

describe("reading BDNS", () => {
  it("pages through /convocatorias/busqueda with dd/MM/yyyy dates and a stable order", async () => {
    bdns = await startFakeBdns({ dataset: makeDataset(7, { firstDate: "2026-09-14", perDay: 3 }) });
    const c = client();
    const pages = [];
    for (let page = 0; page < 3; page++) pages.push(await c.searchConvocatorias({ from: "2026-09-14", to: "2026-09-16", page, pageSize: 3 }));
    expect(pages.map((p) => p.content.length)).toEqual([3, 3, 1]);
    expect(pages[0]).toMatchObject({ totalPages: 3, totalElements: 7 });
    expect(pages.flatMap((p) => p.content.map((r) => r.numeroConvocatoria))).toEqual(bdns.dataset.map((d) => d.bdns));
    const q = bdns.requests[0]!.params;
    expect(Object.fromEntries(q)).toEqual({ fechaDesde: "14/09/2026", fechaHasta: "16/09/2026", page: "0", pageSize: "3", order: "numeroConvocatoria", direccion: "asc" });
  });

  it("reads a detail and drops the legal notice from the raw record", async () => {
    bdns = await startFakeBdns({ dataset: makeDataset(1) });
    const { detail, raw } = await client().getConvocatoria("900000");
    expect(detail).toMatchObject({ codigoBDNS: "900000", presupuestoTotal: 4250000.5, organo: { nivel1: "AUTONOMICA" } });
    expect(detail.documentos).toHaveLength(2);
    expect(raw).not.toHaveProperty("advertencia");
    expect(raw).toHaveProperty("anuncios");
  });

  it("sends a User-Agent naming ayida-jobs and its version", async () => {
    bdns = await startFakeBdns({ dataset: makeDataset(1) });
    const seen: string[] = [];
    const http = await import("node:http");
    const srv = http.createServer((req, res) => (seen.push(req.headers["user-agent"] ?? ""), res.writeHead(204).end()));
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as { port: number }).port;
    await new BdnsClient({ baseUrl: `http://127.0.0.1:${port}`, spacer: new StartSpacer(1000) }).searchConvocatorias({ from: "2026-01-01", to: "2026-01-01", page: 0, pageSize: 1 });
    srv.close();
    expect(seen[0]).toMatch(/^ayida-jobs\/\d+\.\d+\.\d+ /);
  });
});

describe("lenient schemas", () => {
  it("accepts old datetimes, '' for null, codigoINVENTE and unknown fields", () => {
    const row = searchRowSchema.parse({ id: 1, mrr: "", numeroConvocatoria: 123, descripcion: "x", descripcionLeng: "", fechaRecepcion: "2024-10-14T15:57:09+02:00", nivel1: "A", nivel2: null, nivel3: "", codigoINVENTE: "INV1", nuevoCampo: 7 });
    expect(row).toMatchObject({ numeroConvocatoria: "123", mrr: null, descripcionLeng: null, fechaRecepcion: "2024-10-14", nivel3: null, codigoInvente: "INV1", nuevoCampo: 7 });
    const detail = detailSchema.parse({ id: 1, codigoBDNS: "1", reglamento: "", documentos: [{ id: 5, nombreFic: "a.pdf", descripcion: "", long: 3, datMod: "2024-10-14T18:15:02.000+02:00", datPublicacion: "" }] });
    expect(detail.documentos![0]).toMatchObject({ datMod: "2024-10-14", datPublicacion: null, descripcion: null });
  });

  it("writes request dates as BDNS wants them", () => expect(toBdnsDate("2026-09-01")).toBe("01/09/2026"));
});

describe("every error shape BDNS uses (bdns-samples/error-responses.examples.json)", () => {
  const sample = (pattern: RegExp) => errorSamples.find((s) => pattern.test(s.case))!;

  it.each([
    ["bad parameter value", /bad parameter/, "VALIDATION", false],
    ["maintenance inside HTTP 200", /maintenance|overloaded/, "MAINTENANCE", true],
    ["bare array of strings on 400", /bare array/, "VALIDATION", false],
  ])("%s → %s", async (_name, pattern, expected, transient) => {
    bdns = await startFakeBdns();
    const s = sample(pattern);
    for (let i = 0; i < 3; i++) bdns.fault(() => true, { status: Number(s.httpStatus), body: s.body });
    const e = await failure(client().searchConvocatorias({ from: "2026-01-01", to: "2026-01-02", page: 0, pageSize: 10 }));
    expect(e.failure).toBe(expected);
    expect(e.transient).toBe(transient);
    expect(bdns.requests).toHaveLength(transient ? 3 : 1); // transient ones were retried
  });

  it("204 on a list → an empty page; on a detail → NOT_FOUND", async () => {
    bdns = await startFakeBdns();
    bdns.fault(() => true, { status: 204 });
    expect(await client().searchConvocatorias({ from: "2026-01-01", to: "2026-01-02", page: 0, pageSize: 10 })).toMatchObject({ content: [], totalPages: 0 });
    const e = await failure(client().getConvocatoria("424242"));
    expect([e.failure, e.transient]).toEqual(["NOT_FOUND", false]);
  });

  it("an HTML page instead of a record → BROKEN_RECORD, not retried", async () => {
    bdns = await startFakeBdns({ dataset: makeDataset(1) });
    bdns.fault(() => true, "html");
    const e = await failure(client().getConvocatoria("900000"));
    expect([e.failure, e.transient]).toEqual(["BROKEN_RECORD", false]);
    expect(bdns.requests).toHaveLength(1);
  });

  it("429 to a burst → RATE_LIMITED, retried after Retry-After", async () => {
    bdns = await startFakeBdns({ dataset: makeDataset(1) });
    bdns.fault(() => true, { status: 429, headers: { "retry-after": "0" } });
    const { detail } = await client().getConvocatoria("900000");
    expect(detail.codigoBDNS).toBe("900000");
    expect(bdns.requests.map((r) => r.status)).toEqual([429, 200]);
    bdns.fault(() => true, { status: 429 }, { status: 429 }, { status: 429 });
    const e = await failure(client({ backoffMs: 1 }).getConvocatoria("900000"));
    expect([e.failure, e.transient]).toEqual(["RATE_LIMITED", true]);
  });

  it("500 once is absorbed by a quick retry; 500 every time → SERVER", async () => {
    bdns = await startFakeBdns({ dataset: makeDataset(1) });
    bdns.fault(() => true, { status: 500, body: "oops", contentType: "text/plain" });
    expect((await client().getConvocatoria("900000")).detail.codigoBDNS).toBe("900000");
    bdns.fault(() => true, { status: 502 }, { status: 503 }, { status: 500 });
    const e = await failure(client().getConvocatoria("900000"));
    expect([e.failure, e.transient, e.status]).toEqual(["SERVER", true, 500]);
  });

  it("a body cut off mid-transfer → TRUNCATED (transient)", async () => {
    bdns = await startFakeBdns();
    bdns.fault(() => true, "truncated", "truncated", "truncated");
    const e = await failure(client().searchConvocatorias({ from: "2026-01-01", to: "2026-01-02", page: 0, pageSize: 10 }));
    expect([e.failure, e.transient]).toEqual(["TRUNCATED", true]);
  });

  it("a slow answer → TIMEOUT after the per-request timeout", async () => {
    bdns = await startFakeBdns({ dataset: makeDataset(1) });
    bdns.fault(() => true, { delayMs: 500 }, { delayMs: 500 });
    const e = await failure(client({ timeoutMs: 100, maxAttempts: 2 }).getConvocatoria("900000"));
    expect([e.failure, e.transient]).toEqual(["TIMEOUT", true]);
  });

  it("a refused connection → NETWORK (transient)", async () => {
    bdns = await startFakeBdns();
    const url = bdns.url;
    await bdns.close();
    const e = await failure(new BdnsClient({ baseUrl: url, spacer: new StartSpacer(1000), backoffMs: 1 }).getConvocatoria("1"));
    expect([e.failure, e.transient]).toEqual(["NETWORK", true]);
    expect(e.message).toBe("/convocatorias: BDNS unreachable (connection refused: nothing listens there)");
  });

  it("says why BDNS is unreachable: no such host, or TLS refused (an https URL at a plain http server)", async () => {
    const unknownHost = await failure(new BdnsClient({ baseUrl: "http://bdns.invalid/api", spacer: new StartSpacer(1000), backoffMs: 1, maxAttempts: 1 }).getConvocatoria("1"));
    expect([unknownHost.failure, unknownHost.message]).toEqual(["NETWORK", "/convocatorias: BDNS unreachable (no such host)"]);
    bdns = await startFakeBdns({ dataset: makeDataset(1) });
    const tls = await failure(new BdnsClient({ baseUrl: bdns.url.replace("http:", "https:"), spacer: new StartSpacer(1000), backoffMs: 1, maxAttempts: 1 }).getConvocatoria("900000"));
    expect(tls.failure).toBe("NETWORK");
    expect(tls.message).toBe("/convocatorias: BDNS unreachable (TLS: wrong version number)");
  });

  it("an unknown document → UNKNOWN_DOCUMENT (400 naming the documento)", async () => {
    bdns = await startFakeBdns({ dataset: makeDataset(1) });
    const e = await failure(client().downloadDocument("999"));
    expect([e.failure, e.transient, e.status]).toEqual(["UNKNOWN_DOCUMENT", false, 400]);
  });
});

describe("the limiter", () => {
  it("spaces request starts: no two closer than 1/rate, even when 12 calls start at once", async () => {
    // Arrival times are taken by a server sharing this (busy, test-loaded) process, so allow it 10 ms of
    // scheduling noise; without spacing the same burst arrives ~0 ms apart.
    bdns = await startFakeBdns({ dataset: makeDataset(12), minGapMs: 35 });
    const c = new BdnsClient({ baseUrl: bdns.url, spacer: new StartSpacer(20) }); // 50 ms apart
    await Promise.all(bdns.dataset.map((d) => c.getConvocatoria(d.bdns)));
    // From one request's earliest possible arrival to the next one's stamp (bdns-server.ts): what the
    // server's own late stamps cannot shrink.
    const gaps = bdns.requests.slice(1).map((r, i) => r.at - bdns.requests[i]!.earliest);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(40);
    expect(bdns.tooMany()).toBe(0);
  });

  it.each(["shared", "process"] as const)("the default rate, the one serve uses (budget %s), keeps a margin under BDNS's hard 10/s: starts ≥ 100 ms apart, 1/rate on average", async (budget) => {
    // Start times are taken inside the spacer's callback, where the request is written: no network or
    // scheduling noise. A limiter at exactly 10/s starts 100 ms apart on average and fails here; a
    // shared budget whose starts may come later after their slot than 1/rate − 100 ms fails the minimum.
    const DATABASE_URL = join(mkdtempSync(join(tmpdir(), "ayida-rate-")), "ayida.db");
    const deps = createJobDeps(parseEnv({ DATABASE_URL, BDNS_BUDGET: budget }), pino({ level: "silent" }));
    try {
      expect(deps.bdns.spacer.intervalMs).toBe(new StartSpacer(DEFAULT_RATE_PER_SECOND).intervalMs);
      const starts: number[] = [];
      await Promise.all(Array.from({ length: 12 }, () => deps.bdns.spacer.run(async () => void starts.push(performance.now()))));
      const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(100);
      // Slots are contiguous and a start is at most toleranceMs after its own: over n gaps, ≥ n/rate − 5 ms.
      expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(gaps.length * (1000 / 9.5) - 5);
    } finally {
      await deps.close();
    }
  });

  it("BDNS_RATE_LIMIT may not be 10 itself: starts need a margin under BDNS's limit", () => {
    expect(parseEnv({ BDNS_RATE_LIMIT: "9.9" }).BDNS_RATE_LIMIT).toBe(9.9);
    expect(() => parseEnv({ BDNS_RATE_LIMIT: "10" })).toThrow(/BDNS_RATE_LIMIT: must be below 10/);
    expect(() => parseEnv({ BDNS_BUDGET: "fleet" })).toThrow(/BDNS_BUDGET: must be shared .* or process/);
  });

  it("without spacing, the same burst draws 429s from BDNS (the fake is strict enough to tell)", async () => {
    bdns = await startFakeBdns({ dataset: makeDataset(12), minGapMs: 40 });
    const c = new BdnsClient({ baseUrl: bdns.url, spacer: new StartSpacer(100_000), maxAttempts: 1 });
    await Promise.allSettled(bdns.dataset.map((d) => c.getConvocatoria(d.bdns)));
    expect(bdns.tooMany()).toBeGreaterThan(0);
  });

  it("StartSpacer serves callers in order at the configured rate", async () => {
    const s = new StartSpacer(100);
    const t0 = performance.now();
    const at: number[] = [];
    const order: number[] = [];
    await Promise.all(Array.from({ length: 5 }, async (_, i) => (await s.wait(), at.push(performance.now() - t0), order.push(i))));
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(at[4]!).toBeGreaterThanOrEqual(40); // 4 intervals of 10 ms, each counted from the previous start
    expect(() => new StartSpacer(0)).toThrow(RangeError);
  });
});

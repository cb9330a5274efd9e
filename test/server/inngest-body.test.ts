/**
 * /api/inngest bounds what it reads to what Inngest can legitimately send (a run's state, ≤ 32 MB by
 * Inngest's documented limits, plus its event again): a larger body is answered 413 after at most the
 * bound has been read, a declared one at once, and in cloud mode an unsigned POST is refused (401)
 * before its body is read. Real chunked uploads over loopback; the memory bound is the process's peak
 * RSS (this file runs in its own worker, nothing else in it is large).
 */
import http from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "../../src/config/env.js";
import { MAX_INNGEST_BODY_BYTES } from "../../src/server/inngest-route.js";
import { startServer, type RunningServer } from "../../src/server/index.js";
import { startFakeEventApi, type FakeEventApi } from "../support/event-api.js";

const MiB = 1024 * 1024;
const SIGNING_KEY = "signkey-prod-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const PATH = "/api/inngest?fnId=ayida-portal-process-convocatoria-detail&stepId=step";

interface Upload {
  status: number;
  body: string;
  /** Bytes the client had handed to the socket when the answer's headers arrived. */
  sentBeforeAnswer: number;
}

/**
 * POSTs up to `total` bytes of a JSON-looking body in 1 MiB chunks (chunked, unless `declare` says
 * what Content-Length to claim), as fast as the server reads it, and stops at the answer.
 */
function upload(base: string, o: { total: number; headers?: Record<string, string>; declare?: number }): Promise<Upload> {
  const chunk = Buffer.alloc(MiB, "a");
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = http.request(`${base}${PATH}`, { method: "POST", headers: { "content-type": "application/json", ...(o.declare !== undefined && { "content-length": String(o.declare) }), ...o.headers } });
    req.on("response", (res) => {
      answered = true;
      const sentBeforeAnswer = sent;
      let body = "";
      res.setEncoding("utf8").on("data", (c) => (body += c));
      res.on("end", () => {
        resolve({ status: res.statusCode!, body, sentBeforeAnswer });
        req.destroy();
      });
    });
    req.on("error", (err) => {
      if (!answered) reject(err);
    });
    const pump = () => {
      while (!answered && sent < o.total) {
        const n = Math.min(chunk.length, o.total - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void req.once("drain", pump);
      }
      if (!answered && o.declare === undefined) req.end();
    };
    req.write("{");
    pump();
  });
}

const peakRss = () => process.resourceUsage().maxRSS * 1024;

let events: FakeEventApi;
beforeAll(async () => {
  events = await startFakeEventApi();
});
afterAll(() => events.close());

async function serve(env: Record<string, string>): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), "ayida-inngest-body-"));
  return startServer(parseEnv({ DATABASE_URL: join(dir, "a.db"), DOCUMENTS_DIR: join(dir, "docs"), BDNS_API_URL: "http://127.0.0.1:9/api", ...env }), { port: 0, host: "127.0.0.1", logger: pino({ level: "silent" }) });
}

describe("/api/inngest request bodies", () => {
  it("the bound is Inngest's 32 MB of run state plus the event repeated, not more", () => {
    expect(MAX_INNGEST_BODY_BYTES).toBeGreaterThanOrEqual(32 * MiB + 3 * MiB);
    expect(MAX_INNGEST_BODY_BYTES).toBeLessThanOrEqual(40 * MiB);
  });

  it("dev mode: a 256 MiB chunked POST is answered 413 once the bound is passed, without holding the body (peak RSS bounded)", async () => {
    const server = await serve({ INNGEST_DEV: events.url });
    try {
      const before = peakRss();
      const r = await upload(server.urls[0]!, { total: 256 * MiB });
      expect(r.status).toBe(413);
      expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: "BODY_TOO_LARGE", message: expect.stringContaining("36 MiB") } });
      expect(r.sentBeforeAnswer).toBeLessThan(256 * MiB);
      // Held: at most the bound, once; the old code held the whole body, twice (bytes, then a string).
      expect(peakRss() - before).toBeLessThan(MAX_INNGEST_BODY_BYTES + 64 * MiB);
      // And the server goes on answering.
      expect((await fetch(`${server.urls[0]}/health`)).status).toBe(200);
    } finally {
      await server.close(0);
    }
  }, 60_000);

  it("a Content-Length past the bound is answered 413 at once, before any of the body", async () => {
    const server = await serve({ INNGEST_DEV: events.url });
    try {
      const r = await upload(server.urls[0]!, { total: MiB, declare: 400 * MiB });
      expect(r.status).toBe(413);
      expect(JSON.parse(r.body)).toMatchObject({ error: { code: "BODY_TOO_LARGE" } });
    } finally {
      await server.close(0);
    }
  });

  it("cloud mode: a POST without X-Inngest-Signature is refused (401) before its body is read; with one, the bound still holds", async () => {
    const server = await serve({ INNGEST_SIGNING_KEY: SIGNING_KEY, INNGEST_EVENT_KEY: "event-key-for-tests-abcdef", INNGEST_BASE_URL: events.url });
    try {
      const unsigned = await upload(server.urls[0]!, { total: 256 * MiB });
      expect(unsigned.status).toBe(401);
      expect(JSON.parse(unsigned.body)).toEqual({ message: "Unauthorized" }); // the SDK's own answer
      expect(unsigned.sentBeforeAnswer).toBeLessThan(MAX_INNGEST_BODY_BYTES);
      const signed = await upload(server.urls[0]!, { total: 256 * MiB, headers: { "x-inngest-signature": `t=${Math.floor(Date.now() / 1000)}&s=${"0".repeat(64)}` } });
      expect(signed.status).toBe(413);
    } finally {
      await server.close(0);
    }
  }, 60_000);
});

/**
 * `ayida-jobs doctor`: every check with its dependency up and down — loopback servers (a stand-in
 * Inngest that answers as the Dev Server and `inngest start` were observed to, a real `serve`, the
 * loopback BDNS), a closed port, a server that never answers, a store missing a migration, a folder
 * that even root cannot write — and the command as a process: exit codes, --json, the time bound,
 * no secret ever printed.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { Readable } from "node:stream";
import { tmpdir } from "node:os";
import { join } from "node:path";
import http from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/adapters/store/db.js";
import { migrations } from "../../src/adapters/store/migrations.js";

/** Every migration this version applies, in order (their count moves as the schema grows). */
const MIGRATIONS = Object.keys(migrations("sqlite"));
import { parseEnv } from "../../src/config/env.js";
import { CHECKS, VERIFY_DOCUMENTS_CHECK, expectedFunctionIds, parseEnvLeniently, runDoctor, type CheckReport } from "../../src/doctor/index.js";
import { Store } from "../../src/adapters/store/store.js";
import { FolderDocumentStore } from "../../src/adapters/store/documents.js";
import { startServer, type RunningServer } from "../../src/server/index.js";
import { makeDataset, startFakeBdns, type FakeBdns } from "../support/bdns-server.js";
import { makeDatasetsFixture } from "../support/bdns-datasets.js";
import { runCli } from "../support/cli.js";
import { onFullDisk } from "../support/broken-store.js";
import { startFakeInngest, startSilentServer, type FakeInngest, type GqlApp } from "../support/inngest-api.js";
import { freePort } from "../support/ports.js";
import { startFakeS3, type FakeS3 } from "../support/s3-server.js";
import { usePostgres } from "../support/postgres.js";

const SECRET = "cron-secret-for-doctor-0123456789";
const EVENT_KEY = "event-key-for-doctor-abcdef012345";
const SIGNING_KEY = "signkey-prod-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const OTHER_SIGNING_KEY = "signkey-prod-fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

let dir: string;
let bdns: FakeBdns;
/** Like a Dev Server: takes any event key. */
let inngest: FakeInngest;
/** Like `inngest start --event-key … --signing-key …` (self-hosted, cloud mode for the SDK). */
let hosted: FakeInngest;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ayida-doctor-"));
  bdns = await startFakeBdns({ dataset: makeDataset(1), datasets: makeDatasetsFixture() });
  inngest = await startFakeInngest();
  hosted = await startFakeInngest({ eventKeys: [EVENT_KEY], signingKey: SIGNING_KEY });
});
afterAll(async () => {
  await bdns.close();
  await inngest.close();
  await hosted.close();
});

/** Run some checks (by id) with this environment, as the command does. */
async function check(ids: string[], env: Record<string, string>, o: { server?: string; timeoutMs?: number; cwd?: string } = {}): Promise<Record<string, CheckReport>> {
  const { env: parsed, problems, unknown } = parseEnvLeniently(env);
  const server = o.server ? { url: o.server, from: "--url" as const } : { url: `http://127.0.0.1:${await freePort()}`, from: "default" as const };
  const reports = await runDoctor({ env: parsed, problems, unknown, server, cwd: o.cwd ?? dir, timeoutMs: o.timeoutMs ?? 3000, checks: [...CHECKS, VERIFY_DOCUMENTS_CHECK].filter((c) => ids.includes(c.id)) });
  return Object.fromEntries(reports.map((r) => [r.id, r]));
}

async function serve(env: Record<string, string>): Promise<RunningServer> {
  const d = mkdtempSync(join(tmpdir(), "ayida-doctor-serve-"));
  return startServer(parseEnv({ DATABASE_URL: join(d, "a.db"), DOCUMENTS_DIR: join(d, "docs"), BDNS_API_URL: bdns.url, ...env }), { port: 0, host: "127.0.0.1", logger: pino({ level: "silent" }) });
}

/** A plain HTTP server answering every request with this status and body. */
async function answering(status: number, body: string): Promise<{ url: string; close(): Promise<void> }> {
  const s = http.createServer((req, res) => req.resume().on("end", () => res.writeHead(status, { "content-type": "application/json" }).end(body)));
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, close: () => new Promise((r) => (s.closeAllConnections(), s.close(() => r()))) };
}

describe("configuration", () => {
  it("ok: the mode and which keys are set, never a value", async () => {
    const r = (await check(["configuration"], { INNGEST_DEV: "1", CRON_SECRET: SECRET, DATABASE_URL: "postgres://u:pw-secret-123@db/x" })).configuration!;
    expect(r.status).toBe("ok");
    expect(r.message).toMatch(/^dev mode; set: INNGEST_DEV, CRON_SECRET, DATABASE_URL$/);
    expect(r.details).toMatchObject({ mode: "dev", set: ["INNGEST_DEV", "CRON_SECRET", "DATABASE_URL"], notSet: expect.arrayContaining(["INNGEST_EVENT_KEY", "INNGEST_SIGNING_KEY"]) });
    expect(JSON.stringify(r)).not.toMatch(/cron-secret-for|pw-secret/);
  });

  it("an invalid value fails, naming it, and the other checks still run on the rest", async () => {
    const r = await check(["configuration", "documents"], { INNGEST_DEV: "1", PORT: "http", BDNS_RATE_LIMIT: "50", DOCUMENTS_DIR: join(dir, "docs-a") });
    expect(r.configuration).toMatchObject({ status: "fail", message: expect.stringMatching(/^PORT: must be a port number.*\(and 1 more: BDNS_RATE_LIMIT\)$/), fix: expect.stringContaining("PORT") });
    expect(r.documents!.status).toBe("ok");
  });

  it("cloud mode: no event key fails (nothing can be sent); no signing key warns (serve needs it)", async () => {
    expect((await check(["configuration"], {})).configuration).toMatchObject({ status: "fail", message: expect.stringContaining("INNGEST_EVENT_KEY is not set"), fix: expect.stringContaining("INNGEST_DEV=1") });
    expect((await check(["configuration"], { INNGEST_EVENT_KEY: EVENT_KEY })).configuration).toMatchObject({ status: "warn", message: expect.stringContaining("INNGEST_SIGNING_KEY is not set") });
  });

  it("a CI variable that silently targets an Inngest branch environment warns", async () => {
    process.env.BRANCH = "feature-x";
    try {
      const r = (await check(["configuration"], { INNGEST_DEV: "1" })).configuration!;
      expect(r).toMatchObject({ status: "warn", message: expect.stringContaining('branch environment "feature-x", taken from BRANCH') });
    } finally {
      delete process.env.BRANCH;
    }
  });
});

describe("short secrets", () => {
  it("a CRON_SECRET or METRICS_TOKEN under 16 characters fails the configuration check, legibly (not scrubbed into ***)", async () => {
    const r = await runCli(["doctor", "--json", "--timeout", "2"], { env: { INNGEST_DEV: "1", CRON_SECRET: "must", METRICS_TOKEN: "short", BDNS_API_URL: bdns.url } });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.checks.find((c: CheckReport) => c.id === "configuration")).toMatchObject({ status: "fail", message: expect.stringMatching(/^CRON_SECRET: must be at least 16 characters.*\(and 1 more: METRICS_TOKEN\)$/), details: { invalid: ["CRON_SECRET", "METRICS_TOKEN"] } });
    expect(r.stdout).not.toContain("***");
  });
});

describe("schedules", () => {
  it("off by default; listed with their next tick when set; a bad one fails naming its variable", async () => {
    expect((await check(["schedules"], { INNGEST_DEV: "1" })).schedules).toMatchObject({ status: "ok", message: expect.stringMatching(/^off: no SCHEDULE_<DATASET> is set/) });
    const on = (await check(["schedules"], { INNGEST_DEV: "1", SCHEDULE_CONVOCATORIAS: "TZ=Europe/Madrid 0 3 * * *" })).schedules!;
    expect(on).toMatchObject({ status: "ok", message: expect.stringMatching(/^1 scheduled on serve: convocatorias "TZ=Europe\/Madrid 0 3 \* \* \*" \(next 20\d\d-/) });
    const bad = await check(["configuration", "schedules"], { INNGEST_DEV: "1", SCHEDULE_MINIMIS: "0 25 * * *" });
    expect(bad.schedules).toMatchObject({ status: "fail", message: 'SCHEDULE_MINIMIS: hour "25" is outside 0–23' });
    expect(bad.configuration!.status).toBe("ok"); // reported once, where it belongs
  });

  it("a SCHEDULE_ variable that names no dataset (a misspelling serve ignores) warns, naming the closest one", async () => {
    const stray = (await check(["schedules"], { INNGEST_DEV: "1", SCHEDULE_CONVOCATORIA: "TZ=Europe/Madrid 0 3 * * *", SCHEDULE_ORGANOS: "0 4 * * *" })).schedules!;
    expect(stray).toMatchObject({
      status: "warn",
      message: expect.stringMatching(/^SCHEDULE_CONVOCATORIA matches no dataset, so nothing is scheduled by it \(did you mean SCHEDULE_CONVOCATORIAS\?\); 1 scheduled on serve: organos/),
      fix: expect.stringContaining("rename SCHEDULE_CONVOCATORIA to SCHEDULE_CONVOCATORIAS"),
      details: { unknown: ["SCHEDULE_CONVOCATORIA"] },
    });
    const two = (await check(["schedules"], { INNGEST_DEV: "1", SCHEDULE_PLANES_ESTRATEGICO: "0 3 * * *", SCHEDULE_AYUDAS_DE_ESTADO: "0 3 * * *" })).schedules!;
    expect(two.status).toBe("warn");
    expect(two.message).toContain("SCHEDULE_PLANES_ESTRATEGICO matches no dataset, so nothing is scheduled by it (did you mean SCHEDULE_PLANES_ESTRATEGICOS?)");
    expect(two.message).toContain("SCHEDULE_AYUDAS_DE_ESTADO matches no dataset, so nothing is scheduled by it (did you mean SCHEDULE_AYUDAS_ESTADO?)");
    expect(two.message).toContain("off: no SCHEDULE_<DATASET> is set");
  });

  it("a schedule that can never fire (31 February) warns, naming its variable", async () => {
    const never = (await check(["schedules"], { INNGEST_DEV: "1", SCHEDULE_SANCIONES: "0 3 31 2 *", SCHEDULE_CONVOCATORIAS: "0 3 * * *" })).schedules!;
    expect(never).toMatchObject({ status: "warn", message: expect.stringContaining('SCHEDULE_SANCIONES "TZ=UTC 0 3 31 2 *" never fires'), fix: expect.stringContaining("SCHEDULE_SANCIONES") });
  });
});

describe("event API", () => {
  it("dev: the Dev Server answers an empty batch (nothing sent)", async () => {
    const r = (await check(["event-api"], { INNGEST_DEV: inngest.url }))["event-api"]!;
    expect(r).toMatchObject({ status: "ok", message: expect.stringContaining("answers (tested with an empty batch: nothing was sent)") });
    expect(inngest.requests.at(-1)).toMatchObject({ method: "POST", path: "/e/NO_EVENT_KEY_SET", body: "[]" });
  });

  it("dev: no Dev Server (a closed port) fails with the command that starts one", async () => {
    const port = await freePort();
    const r = (await check(["event-api"], { INNGEST_DEV: `http://127.0.0.1:${port}` }))["event-api"]!;
    expect(r).toMatchObject({ status: "fail", message: expect.stringContaining("connection refused"), fix: `start it: npx inngest-cli@latest dev -p ${port}; if it listens elsewhere, set INNGEST_DEV to its URL` });
  });

  it("cloud: the key accepted, or rejected (401) with what to do", async () => {
    const ok = (await check(["event-api"], { INNGEST_BASE_URL: hosted.url, INNGEST_EVENT_KEY: EVENT_KEY }))["event-api"]!;
    expect(ok).toMatchObject({ status: "ok", message: expect.stringContaining("INNGEST_EVENT_KEY accepted") });
    expect(hosted.requests.at(-1)).toMatchObject({ path: `/e/${EVENT_KEY}`, body: "[]" });
    const bad = (await check(["event-api"], { INNGEST_BASE_URL: hosted.url, INNGEST_EVENT_KEY: "wrong-key-0000" }))["event-api"]!;
    expect(bad).toMatchObject({ status: "fail", message: expect.stringContaining("rejected INNGEST_EVENT_KEY (HTTP 401: Event key not found)"), fix: expect.stringContaining("Manage → Event keys") });
    expect(JSON.stringify(bad)).not.toContain("wrong-key-0000");
  });

  it("an event API that never answers fails at the check's time limit, not later", async () => {
    const silent = await startSilentServer();
    try {
      const t0 = performance.now();
      const r = (await check(["event-api"], { INNGEST_DEV: silent.url }, { timeoutMs: 800 }))["event-api"]!;
      expect(performance.now() - t0).toBeLessThan(2000);
      expect(r).toMatchObject({ status: "fail", message: "no answer within 0.8 s", fix: expect.stringContaining("INNGEST_DEV") });
    } finally {
      await silent.close();
    }
  });
});

describe("signing key (cloud)", () => {
  it("Inngest's API accepts the key; a wrong one fails; dev mode skips", async () => {
    const base = { INNGEST_BASE_URL: hosted.url, INNGEST_EVENT_KEY: EVENT_KEY };
    expect((await check(["signing-key"], { ...base, INNGEST_SIGNING_KEY: SIGNING_KEY }))["signing-key"]).toMatchObject({ status: "ok" });
    expect(hosted.requests.at(-1)!.authorization).toMatch(/^Bearer signkey-prod-[0-9a-f]{64}$/);
    expect(hosted.requests.at(-1)!.authorization).not.toContain(SIGNING_KEY.slice(13));
    expect((await check(["signing-key"], { ...base, INNGEST_SIGNING_KEY: OTHER_SIGNING_KEY }))["signing-key"]).toMatchObject({ status: "fail", message: expect.stringContaining("rejected INNGEST_SIGNING_KEY (HTTP 401: Authentication failed)") });
    expect((await check(["signing-key"], { ...base, INNGEST_SIGNING_KEY: OTHER_SIGNING_KEY, INNGEST_SIGNING_KEY_FALLBACK: SIGNING_KEY }))["signing-key"]).toMatchObject({ status: "warn", fix: expect.stringContaining("rotation") });
    expect((await check(["signing-key"], { INNGEST_DEV: "1" }))["signing-key"]!.status).toBe("skip");
  });
});

describe("the app's /api/inngest and its registration", () => {
  let dev: RunningServer;
  let expected: string[];
  beforeAll(async () => {
    dev = await serve({ INNGEST_DEV: inngest.url });
    expected = await expectedFunctionIds(parseEnv({ INNGEST_DEV: "1" }));
  });
  afterAll(() => dev.close(0));

  const app = (slugs: string[], extra: Partial<GqlApp> = {}): GqlApp => ({ name: "ayida-portal", externalID: "ayida-portal", functionCount: slugs.length, url: `${dev.urls[0]}/api/inngest`, error: null, functions: slugs.map((slug) => ({ slug })), ...extra });

  it("dev: reachable, with as many functions as this configuration serves (each function and its failure handler)", async () => {
    const r = (await check(["app"], { INNGEST_DEV: inngest.url }, { server: dev.urls[0] })).app!;
    expect(r).toMatchObject({ status: "ok", message: `reachable at ${dev.urls[0]}/api/inngest (dev mode, ${expected.length} functions)`, details: { functionCount: expected.length } });
    expect(expected.length).toBe(dev.functionIds.length * 2);
  });

  it("the Dev Server registered them all: ok; none, fewer, an error, more: fail/warn with how to re-sync", async () => {
    const env = { INNGEST_DEV: inngest.url };
    inngest.apps = [app(expected)];
    expect((await check(["app", "functions-registered"], env, { server: dev.urls[0] }))["functions-registered"]).toMatchObject({ status: "ok", message: expect.stringContaining(`registered all ${expected.length} functions of ayida-portal`) });

    inngest.apps = [];
    const none = (await check(["app", "functions-registered"], env, { server: dev.urls[0] }))["functions-registered"]!;
    expect(none).toMatchObject({ status: "fail", message: expect.stringContaining("has not registered the app ayida-portal: events sent now are stored but never run"), fix: expect.stringContaining(`curl -X PUT ${dev.urls[0]}/api/inngest`) });

    inngest.apps = [app(expected.slice(0, 10))];
    expect((await check(["app", "functions-registered"], env, { server: dev.urls[0] }))["functions-registered"]).toMatchObject({ status: "fail", message: expect.stringContaining(`registered 10 of the app's ${expected.length} functions`) });

    inngest.apps = [app(expected, { error: "At least one function is invalid" })];
    expect((await check(["app", "functions-registered"], env, { server: dev.urls[0] }))["functions-registered"]).toMatchObject({ status: "fail", message: expect.stringContaining("At least one function is invalid") });

    inngest.apps = [app([...expected, "ayida-portal-schedule-organos"])];
    expect((await check(["app", "functions-registered"], env, { server: dev.urls[0] }))["functions-registered"]!.status).toBe("warn");
    inngest.apps = [];
  });

  it("no Dev Server to ask (a closed port) fails with the command that starts and syncs one", async () => {
    const port = await freePort();
    const r = (await check(["app", "functions-registered"], { INNGEST_DEV: `http://127.0.0.1:${port}` }, { server: dev.urls[0] }))["functions-registered"]!;
    expect(r).toMatchObject({ status: "fail", fix: `start it: npx inngest-cli@latest dev -p ${port} -u ${dev.urls[0]}/api/inngest --no-discovery` });
  });

  it("other SCHEDULE_* here than on the app: a warning that the counts differ", async () => {
    const r = (await check(["app"], { INNGEST_DEV: inngest.url, SCHEDULE_ORGANOS: "0 3 * * *" }, { server: dev.urls[0] })).app!;
    expect(r).toMatchObject({ status: "warn", message: expect.stringContaining(`this version and configuration serve ${expected.length + 1}`) });
  });

  it("unreachable: a warning on the default port (nothing to check), a failure where it was said to be, a time-out when it hangs, a failure when it is not serve", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    expect((await check(["app"], { INNGEST_DEV: "1" })).app).toMatchObject({ status: "warn", fix: expect.stringContaining("AYIDA_SERVER_URL") });
    expect((await check(["app"], { INNGEST_DEV: "1" }, { server: closed })).app).toMatchObject({ status: "fail", message: expect.stringContaining("connection refused") });
    const silent = await startSilentServer();
    const notServe = await answering(404, '{"error":"nope"}');
    try {
      expect((await check(["app"], { INNGEST_DEV: "1" }, { server: silent.url, timeoutMs: 500 })).app).toMatchObject({ status: "fail", message: "no answer within 0.5 s" });
      expect((await check(["app"], { INNGEST_DEV: "1" }, { server: notServe.url })).app).toMatchObject({ status: "fail", message: expect.stringContaining("without the Inngest SDK's introspection") });
    } finally {
      await silent.close();
      await notServe.close();
    }
  });

  it("behind a proxy whose serve is down (502, 503 or 504 from the proxy, not from serve): says serve is down, not that the address or the secret is wrong", async () => {
    for (const [status, body] of [
      [502, "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"],
      [503, "no healthy upstream"],
      [504, "<html><body><h1>504 Gateway Time-out</h1></body></html>"],
    ] as const) {
      const proxy = await answering(status, body);
      try {
        const r = await check(["app", "cron-secret"], { INNGEST_DEV: "1", CRON_SECRET: SECRET }, { server: proxy.url });
        expect(r.app, String(status)).toMatchObject({ status: "fail", message: expect.stringContaining(`answered ${status} for serve`), fix: expect.stringContaining("start serve") });
        expect(r.app!.message).toContain("serve is down or unreachable behind it");
        expect(r.app!.fix).not.toContain("must be the address");
        expect(r["cron-secret"], String(status)).toMatchObject({ status: "skip", message: expect.stringContaining("serve is down") });
      } finally {
        await proxy.close();
      }
    }
  });

  it("cloud: the SDK's signed introspection says whether the signing key authenticates", async () => {
    const cloud = await serve({ INNGEST_BASE_URL: hosted.url, INNGEST_EVENT_KEY: EVENT_KEY, INNGEST_SIGNING_KEY: SIGNING_KEY });
    try {
      const env = { INNGEST_BASE_URL: hosted.url, INNGEST_EVENT_KEY: EVENT_KEY };
      expect((await check(["app"], { ...env, INNGEST_SIGNING_KEY: SIGNING_KEY }, { server: cloud.urls[0] })).app).toMatchObject({ status: "ok", message: expect.stringContaining("cloud mode, "), details: { authenticationSucceeded: true } });
      expect((await check(["app"], { ...env, INNGEST_SIGNING_KEY: SIGNING_KEY }, { server: cloud.urls[0] })).app!.message).toContain("the signing key authenticates");
      expect((await check(["app"], { ...env, INNGEST_SIGNING_KEY: OTHER_SIGNING_KEY }, { server: cloud.urls[0] })).app).toMatchObject({ status: "fail", message: expect.stringContaining("its signing key is not this one") });
      expect((await check(["app"], env, { server: cloud.urls[0] })).app).toMatchObject({ status: "warn", message: expect.stringContaining("no INNGEST_SIGNING_KEY here") });
      // The app is cloud, this configuration dev: said.
      expect((await check(["app"], { INNGEST_DEV: "1" }, { server: cloud.urls[0] })).app).toMatchObject({ status: "warn", message: expect.stringMatching(/^the app runs in cloud mode .*this configuration is dev mode$/) });
    } finally {
      await cloud.close(0);
    }
  });
});

describe("CRON_SECRET and the batch routes", () => {
  it("set, refused without it, accepted with it: ok, and no sync was requested", async () => {
    const s = await serve({ INNGEST_DEV: inngest.url, CRON_SECRET: SECRET });
    try {
      const before = inngest.requests.filter((r) => r.path.startsWith("/e/")).length;
      const r = (await check(["app", "cron-secret"], { INNGEST_DEV: inngest.url, CRON_SECRET: SECRET }, { server: s.urls[0] }))["cron-secret"]!;
      expect(r).toMatchObject({ status: "ok", details: { withoutSecret: 401, withSecret: 400 } });
      expect(inngest.requests.filter((x) => x.path.startsWith("/e/")).length).toBe(before); // nothing sent
      const wrong = (await check(["app", "cron-secret"], { INNGEST_DEV: inngest.url, CRON_SECRET: "another-secret-value" }, { server: s.urls[0] }))["cron-secret"]!;
      expect(wrong).toMatchObject({ status: "fail", message: expect.stringContaining("refuses this CRON_SECRET (401)") });
      const unset = (await check(["app", "cron-secret"], { INNGEST_DEV: inngest.url }, { server: s.urls[0] }))["cron-secret"]!;
      expect(unset).toMatchObject({ status: "warn", message: expect.stringContaining("not set here") });
    } finally {
      await s.close(0);
    }
  });

  it("serve without CRON_SECRET: its routes answer 503, which fails when callers have one", async () => {
    const s = await serve({ INNGEST_DEV: inngest.url });
    try {
      expect((await check(["app", "cron-secret"], { INNGEST_DEV: inngest.url, CRON_SECRET: SECRET }, { server: s.urls[0] }))["cron-secret"]).toMatchObject({ status: "fail", message: expect.stringContaining("closed (503)") });
    } finally {
      await s.close(0);
    }
  });

  it("a route that does not refuse a request without the secret fails", async () => {
    const open = await answering(400, '{"ok":false,"error":{"code":"INVALID_INPUT","message":"body.doctorProbe: is not a known field"}}');
    try {
      const r = (await check(["app", "cron-secret"], { INNGEST_DEV: "1", CRON_SECRET: SECRET }, { server: open.url }))["cron-secret"]!;
      expect(r).toMatchObject({ status: "fail", message: expect.stringContaining("did not refuse a request without Authorization (HTTP 400") });
    } finally {
      await open.close();
    }
  });

  it("no serve reachable: not probed", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    expect((await check(["app", "cron-secret"], { INNGEST_DEV: "1", CRON_SECRET: SECRET }, { server: closed }))["cron-secret"]!.status).toBe("skip");
    expect((await check(["app", "cron-secret"], { INNGEST_DEV: "1" }, { server: closed }))["cron-secret"]!.status).toBe("warn");
  });
});

describe("BDNS", () => {
  it("one request to /finalidades, through the limiter: ok with what it answered", async () => {
    const before = bdns.requests.length;
    const r = (await check(["bdns"], { INNGEST_DEV: "1", BDNS_API_URL: bdns.url })).bdns!;
    expect(r).toMatchObject({ status: "ok", message: expect.stringMatching(/answered \/finalidades \(\d+ entries\) in \d+ ms, through the request limiter/) });
    expect(bdns.requests.slice(before).map((x) => x.path)).toEqual(["/finalidades"]);
  });

  it("down (a closed port): fail; 429: warn (the budget); maintenance: warn; hanging: the time limit", async () => {
    const closed = `http://127.0.0.1:${await freePort()}/bdnstrans/api`;
    expect((await check(["bdns"], { INNGEST_DEV: "1", BDNS_API_URL: closed })).bdns).toMatchObject({ status: "fail", message: expect.stringContaining("unreachable (connection refused: nothing listens there)"), details: { failure: "NETWORK" }, fix: expect.stringContaining("BDNS_API_URL") });
    bdns.fault((p) => p === "/finalidades", ...Array(3).fill({ status: 429, body: "", headers: { "retry-after": "0" } }));
    expect((await check(["bdns"], { INNGEST_DEV: "1", BDNS_API_URL: bdns.url })).bdns).toMatchObject({ status: "warn", details: { failure: "RATE_LIMITED" } });
    bdns.fault((p) => p === "/finalidades", ...Array(3).fill("maintenance-200"));
    expect((await check(["bdns"], { INNGEST_DEV: "1", BDNS_API_URL: bdns.url })).bdns).toMatchObject({ status: "warn", details: { failure: "MAINTENANCE" } });
    bdns.fault((p) => p === "/finalidades", "hang");
    expect((await check(["bdns"], { INNGEST_DEV: "1", BDNS_API_URL: bdns.url }, { timeoutMs: 700 })).bdns).toMatchObject({ status: "fail", message: "no answer within 0.7 s" });
  });
});

describe("store", () => {
  it("SQLite: migrated → ok; missing → warn (serve creates it); a migration missing → fail naming it; not a database → fail", async () => {
    const full = join(dir, "full.db");
    await (await openDatabase(full)).db.destroy();
    expect((await check(["store"], { DATABASE_URL: full })).store).toMatchObject({ status: "ok", message: expect.stringContaining(`all ${MIGRATIONS.length} migrations applied`) });

    expect((await check(["store"], { DATABASE_URL: join(dir, "nope", "x.db") })).store).toMatchObject({ status: "warn", message: expect.stringContaining("serve creates and migrates it") });

    const old = join(dir, "old.db");
    await (await openDatabase(old, { upTo: MIGRATIONS.at(-2)! })).db.destroy();
    const r = (await check(["store"], { DATABASE_URL: old })).store!;
    expect(r).toMatchObject({ status: "fail", message: expect.stringContaining(`1 of ${MIGRATIONS.length} migrations are not applied (${MIGRATIONS.at(-1)})`), fix: expect.stringContaining("serve --check"), details: { missing: [MIGRATIONS.at(-1)] } });

    const junk = join(dir, "junk.db");
    writeFileSync(junk, "this is not a database, it is text long enough to be read as a header by SQLite...........");
    expect((await check(["store"], { DATABASE_URL: junk })).store!.status).toBe("fail");
    const underFile = join(junk, "x.db");
    expect((await check(["store"], { DATABASE_URL: underFile })).store).toMatchObject({ status: "fail", message: expect.stringContaining("is not a folder") });
  });

  it("doctor never creates or migrates a store", async () => {
    const old = join(dir, "old2.db");
    await (await openDatabase(old, { upTo: "0002_runs_items_datasets" })).db.destroy();
    await check(["store"], { DATABASE_URL: old });
    expect((await check(["store"], { DATABASE_URL: old })).store!.details).toMatchObject({ missing: MIGRATIONS.slice(2) });
  });

  it("nor does its BDNS request: the shared BDNS budget would open (create, migrate) the store", async () => {
    const fresh = mkdtempSync(join(tmpdir(), "ayida-doctor-nostore-"));
    const missing = join(fresh, "data", "ayida-jobs.db");
    expect((await check(["bdns", "store"], { INNGEST_DEV: "1", BDNS_API_URL: bdns.url, DATABASE_URL: missing })).bdns!.status).toBe("ok");
    expect(existsSync(join(fresh, "data")), "doctor created the store's folder or file").toBe(false);
    const old = join(fresh, "old.db");
    await (await openDatabase(old, { upTo: "0002_runs_items_datasets" })).db.destroy();
    const files = readdirSync(fresh).sort();
    expect((await check(["bdns"], { INNGEST_DEV: "1", BDNS_API_URL: bdns.url, DATABASE_URL: old })).bdns!.status).toBe("ok");
    expect(readdirSync(fresh).sort(), "no budget file beside it").toEqual(files);
    expect((await check(["store"], { DATABASE_URL: old })).store!.details).toMatchObject({ missing: MIGRATIONS.slice(2) });
  });

  describe("PostgreSQL", () => {
    const pg = usePostgres();

    it("migrated → ok; a migration missing → fail; a closed port → fail without the password", async () => {
      const url = await pg().createDatabase();
      await (await openDatabase(url)).db.destroy();
      expect((await check(["store"], { DATABASE_URL: url })).store).toMatchObject({ status: "ok", message: expect.stringMatching(new RegExp(`^postgres at 127\\.0\\.0\\.1:\\d+/t\\w+ reachable; all ${MIGRATIONS.length} migrations applied; writable$`)) });
      const old = await pg().createDatabase();
      await (await openDatabase(old, { upTo: "0001_initial" })).db.destroy();
      expect((await check(["store"], { DATABASE_URL: old })).store).toMatchObject({ status: "fail", details: { missing: MIGRATIONS.slice(1) } });
      const down = (await check(["store"], { DATABASE_URL: `postgres://ayida:pg-pass-9876@127.0.0.1:${await freePort()}/x` })).store!;
      expect(down).toMatchObject({ status: "fail", message: expect.stringContaining("cannot reach PostgreSQL at 127.0.0.1:") });
      expect(JSON.stringify(down)).not.toContain("pg-pass-9876");
    });
  });
});

describe("documents folder", () => {
  it("writable: ok with the free space; not there yet: ok, created by serve in a writable parent", async () => {
    const docs = join(dir, "docs-ok");
    mkdirSync(docs);
    const r = (await check(["documents"], { DOCUMENTS_DIR: docs })).documents!;
    expect(r).toMatchObject({ status: "ok", message: expect.stringMatching(new RegExp(`^${docs} writable, [\\d.]+ (GiB|MiB) free$`)), details: { freeBytes: expect.any(Number) } });
    expect((r.details!.freeBytes as number) > 0).toBe(true);
    expect((await check(["documents"], { DOCUMENTS_DIR: join(dir, "later", "docs") })).documents).toMatchObject({ status: "ok", message: expect.stringContaining("does not exist yet; serve creates it") });
  });

  it("room: under 100 MiB free fails (some documents are 200 MB), under 1 GiB warns — on a real small disk", async () => {
    for (const [sizeMiB, status, says] of [
      [64, "fail", "too little for documents"],
      [300, "warn", "less than 1 GiB left"],
    ] as const) {
      const docs = mkdtempSync(join(tmpdir(), "ayida-doctor-docs-"));
      const r = await runCli(["doctor", "--json", "--timeout", "2"], { env: { INNGEST_DEV: "1", DOCUMENTS_DIR: docs, BDNS_API_URL: "http://127.0.0.1:9/api" }, wrap: onFullDisk(docs, { sizeMiB }) });
      const check = (JSON.parse(r.stdout) as { checks: CheckReport[] }).checks.find((c) => c.id === "documents")!;
      expect(check, `${sizeMiB} MiB`).toMatchObject({ status, message: expect.stringContaining(says) });
      expect(check.details!.freeBytes as number).toBeLessThanOrEqual(sizeMiB * 1024 * 1024);
    }
  });

  it("fails where even root cannot write: a path under a file, and /sys", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    expect((await check(["documents"], { DOCUMENTS_DIR: join(file, "docs") })).documents).toMatchObject({ status: "fail", message: expect.stringContaining(`${file} is a file`) });
    const sys = (await check(["documents"], { DOCUMENTS_DIR: "/sys" })).documents!;
    expect(sys).toMatchObject({ status: "fail", message: expect.stringMatching(/^\/sys is not writable \((EACCES|EPERM|EROFS)\)/), fix: expect.stringContaining("DOCUMENTS_DIR") });
  });
});

describe("--verify-documents: every stored document re-hashed", () => {
  it("every file the one recorded: ok with how many and how much; one replaced, one cut, one gone: fail naming each, with how to fetch them again", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "ayida-doctor-verify-"));
    const env = { DATABASE_URL: join(cwd, "a.db"), DOCUMENTS_DIR: join(cwd, "docs") };
    const store = await Store.open(env.DATABASE_URL);
    const files = new FolderDocumentStore(env.DOCUMENTS_DIR);
    const docs = ["11", "12", "13", "14"].map((id) => ({ id: Number(id), nombreFic: `doc ${id}.pdf`, descripcion: null, long: 5, datMod: "2026-11-01", datPublicacion: "2026-11-01" }));
    await store.upsertDocuments("900000", docs);
    for (const d of docs) {
      const stored = await files.store(files.relativePath("900000", String(d.id), d.nombreFic), Readable.from([Buffer.from(`doc${d.id}`)]), 5);
      await store.markDocumentStored(String(d.id), { ...stored, datMod: d.datMod });
    }
    await store.close();
    try {
      const ok = (await check(["documents-verified"], env, { cwd }))["documents-verified"]!;
      expect(ok).toMatchObject({ status: "ok", message: "4 stored documents re-hashed (20 bytes): every file is the one recorded", details: { checked: 4, mismatches: [] } });

      writeFileSync(join(env.DOCUMENTS_DIR, "900000", "11-doc_11.pdf"), "XXXXX"); // same size, other bytes
      writeFileSync(join(env.DOCUMENTS_DIR, "900000", "12-doc_12.pdf"), "doc"); // cut
      rmSync(join(env.DOCUMENTS_DIR, "900000", "13-doc_13.pdf")); // gone
      const bad = (await check(["documents-verified"], env, { cwd }))["documents-verified"]!;
      expect(bad).toMatchObject({ status: "fail", message: expect.stringMatching(/^3 of 4 stored documents are not the files recorded: /), fix: expect.stringContaining("ayida-jobs document 900000 11") });
      expect(bad.details!.mismatches).toEqual([
        { table: "documentos", id: "11", bdns: "900000", path: "900000/11-doc_11.pdf", problem: "sha256 differs" },
        { table: "documentos", id: "12", bdns: "900000", path: "900000/12-doc_12.pdf", problem: "3 bytes, 5 recorded" },
        { table: "documentos", id: "13", bdns: "900000", path: "900000/13-doc_13.pdf", problem: "missing" },
      ]);
      // The command: only with the flag, and then not bound by --timeout's 4 s (reading every file takes its time).
      const plain = await runCli(["doctor", "--json"], { cwd, env: { INNGEST_DEV: "1", ...env } });
      expect(JSON.parse(plain.stdout).checks.map((c: CheckReport) => c.id)).not.toContain("documents-verified");
      const verified = await runCli(["doctor", "--verify-documents", "--json"], { cwd, env: { INNGEST_DEV: "1", ...env } });
      expect(verified.code).toBe(1);
      expect(JSON.parse(verified.stdout).checks.find((c: CheckReport) => c.id === "documents-verified")).toMatchObject({ status: "fail", details: { checked: 4 } });
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe("documents bucket (DOCUMENTS_URL)", () => {
  let s3: FakeS3;
  const AWS_SECRET = "bucket-secret-do-not-print/0123456789";
  beforeAll(async () => {
    s3 = await startFakeS3({ buckets: ["ayida-docs"], credentials: [{ accessKeyId: "AKIADOCTOR", secretAccessKey: AWS_SECRET }, { accessKeyId: "AKIAREADONLY", secretAccessKey: AWS_SECRET }], readOnly: ["AKIAREADONLY"] });
  });
  afterAll(() => s3?.close());

  /** `doctor --json` as an operator runs it (the AWS SDK reads the real environment), its documents report. */
  const doctor = async (env: Record<string, string>) => {
    const aws = { AWS_ENDPOINT_URL: s3.url, AWS_REGION: s3.region, AWS_ACCESS_KEY_ID: "AKIADOCTOR", AWS_SECRET_ACCESS_KEY: AWS_SECRET, AWS_S3_FORCE_PATH_STYLE: "true", AWS_EC2_METADATA_DISABLED: "true", DOCUMENTS_URL: "s3://ayida-docs/bdns", INNGEST_DEV: "1", BDNS_API_URL: bdns.url };
    const r = await runCli(["doctor", "--json", "--timeout", "10"], { env: Object.fromEntries(Object.entries({ ...aws, ...env }).filter(([, v]) => v !== "")) });
    expect(r.stdout + r.stderr).not.toContain(AWS_SECRET);
    expect(r.stdout + r.stderr).not.toContain("AKIADOCTOR");
    return (JSON.parse(r.stdout) as { checks: CheckReport[] }).checks.find((c) => c.id === "documents")!;
  };

  it("writes and deletes a probe object, and says which bucket, endpoint, region and addressing — never the credentials", async () => {
    const before = s3.requests().length;
    const [ok, both] = await Promise.all([doctor({}), doctor({ DOCUMENTS_DIR: join(dir, "ignored") })]);
    expect(ok).toMatchObject({ status: "ok", message: `s3://ayida-docs/bdns at ${s3.url}, region ${s3.region}, path-style: a probe object written and deleted`, details: { bucket: "ayida-docs", prefix: "bdns", endpoint: s3.url, region: s3.region } });
    expect(both).toMatchObject({ status: "warn", message: expect.stringContaining("DOCUMENTS_DIR is set too and ignored") });
    const probes = s3.requests().slice(before).filter((r) => r.key.startsWith("bdns/.ayida-doctor-"));
    expect(probes.map((r) => `${r.op} ${r.status}`).sort()).toEqual(["DeleteObject 204", "DeleteObject 204", "PutObject 200", "PutObject 200"]);
    expect(s3.keys("ayida-docs")).toEqual([]);
  });

  it("fails naming the cause: no bucket, refused credentials, a read-only key, the wrong region, no region, nothing listening", async () => {
    const [noBucket, badSecret, readOnly, wrongRegion, noRegion, down] = await Promise.all([
      doctor({ DOCUMENTS_URL: "s3://no-such-bucket" }),
      doctor({ AWS_SECRET_ACCESS_KEY: "wrong-secret-value" }),
      doctor({ AWS_ACCESS_KEY_ID: "AKIAREADONLY" }),
      doctor({ AWS_REGION: "us-west-1" }),
      doctor({ AWS_REGION: "" }),
      doctor({ AWS_ENDPOINT_URL: `http://127.0.0.1:${await freePort()}` }),
    ]);
    expect(noBucket).toMatchObject({ status: "fail", message: expect.stringContaining("s3://no-such-bucket at"), fix: expect.stringContaining("create the bucket") });
    expect(noBucket.message).toContain("the bucket does not exist");
    expect(badSecret).toMatchObject({ status: "fail", message: expect.stringContaining("refused the credentials (SignatureDoesNotMatch)"), fix: expect.stringContaining("AWS_SECRET_ACCESS_KEY") });
    expect(readOnly).toMatchObject({ status: "fail", message: expect.stringContaining("refused (AccessDenied)"), fix: expect.stringContaining("s3:PutObject") });
    expect(wrongRegion).toMatchObject({ status: "fail", message: expect.stringContaining("wrong region"), fix: expect.stringContaining("AWS_REGION") });
    expect(noRegion).toMatchObject({ status: "fail", message: "s3://ayida-docs/bdns: no region configured", fix: expect.stringContaining("AWS_REGION") });
    expect(down).toMatchObject({ status: "fail", message: expect.stringContaining("cannot reach the endpoint (ECONNREFUSED)") });
  });
});

describe("ayida-jobs doctor (the command)", () => {
  it("everything up: exit 0, one JSON document, every check, no secret printed", async () => {
    const s = await serve({ INNGEST_DEV: inngest.url, CRON_SECRET: SECRET });
    const cwd = mkdtempSync(join(tmpdir(), "ayida-doctor-cli-"));
    const db = join(cwd, "a.db");
    await (await openDatabase(db)).db.destroy();
    inngest.apps = [{ name: "ayida-portal", externalID: "ayida-portal", functionCount: s.functionIds.length * 2, url: `${s.urls[0]}/api/inngest`, error: null, functions: [] }];
    try {
      const r = await runCli(["doctor", "--json"], { cwd, env: { INNGEST_DEV: inngest.url, AYIDA_SERVER_URL: s.urls[0]!, CRON_SECRET: SECRET, BDNS_API_URL: bdns.url, DATABASE_URL: db } });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc).toMatchObject({ ok: true, command: "doctor", server: { url: s.urls[0], from: "AYIDA_SERVER_URL" }, summary: { fail: 0 } });
      expect(doc.checks.map((c: CheckReport) => [c.id, c.status])).toEqual([
        ["configuration", "ok"],
        ["schedules", "ok"],
        ["event-api", "ok"],
        ["signing-key", "skip"],
        ["app", "ok"],
        ["functions-registered", "ok"],
        ["cron-secret", "ok"],
        ["bdns", "ok"],
        ["store", "ok"],
        ["documents", "ok"],
      ]);
      expect(r.stdout + r.stderr).not.toContain(SECRET);
    } finally {
      inngest.apps = [];
      await s.close(0);
    }
  });

  it("text: one line per check (ok / warn / fail / skip), the fix under each warn and fail; exit 1 when one fails", async () => {
    const port = await freePort();
    const r = await runCli(["doctor", "--url", `http://127.0.0.1:${port}`], { env: { INNGEST_DEV: `http://127.0.0.1:${port}`, CRON_SECRET: SECRET, BDNS_API_URL: bdns.url } });
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split("\n");
    const checks = lines.filter((l) => /^(ok|warn|fail|skip)\s/.test(l));
    expect(checks).toHaveLength(CHECKS.length);
    for (const [i, line] of lines.entries()) {
      if (/^(warn|fail)\s/.test(line)) expect(lines[i + 1], line).toMatch(/^\s+fix: \S/);
    }
    expect(r.stdout).toMatch(/^fail\s+event API\s+no Dev Server at/m);
    expect(r.stdout).toMatch(/^\d+ ok, \d+ warn, [1-9]\d* fail, \d+ skipped \(\d+\.\d s\)$/m);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it("a configuration error is a failed check, not an exit 78: the other checks still run", async () => {
    const r = await runCli(["doctor", "--json"], { env: { INNGEST_DEV: "1", BDNS_RATE_LIMIT: "99", SCHEDULE_ORGANOS: "nope", BDNS_API_URL: bdns.url } });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.checks.find((c: CheckReport) => c.id === "configuration")).toMatchObject({ status: "fail", message: expect.stringContaining("BDNS_RATE_LIMIT") });
    expect(doc.checks.find((c: CheckReport) => c.id === "schedules")).toMatchObject({ status: "fail", message: expect.stringContaining("SCHEDULE_ORGANOS") });
    expect(doc.checks.find((c: CheckReport) => c.id === "bdns").status).toBe("ok");
  });

  it("every dependency hanging: the whole still ends within ~10 s (each check's limit, chains of two)", async () => {
    const silent = await startSilentServer();
    bdns.fault((p) => p === "/finalidades", "hang");
    try {
      const t0 = performance.now();
      const r = await runCli(["doctor", "--json"], { env: { INNGEST_DEV: silent.url, AYIDA_SERVER_URL: silent.url, CRON_SECRET: SECRET, BDNS_API_URL: bdns.url } });
      const took = performance.now() - t0;
      expect(r.code).toBe(1);
      expect(took).toBeLessThan(10_000);
      const doc = JSON.parse(r.stdout);
      for (const id of ["event-api", "app", "bdns"]) expect(doc.checks.find((c: CheckReport) => c.id === id)).toMatchObject({ status: "fail", message: "no answer within 4 s" });
      expect(doc.durationMs).toBeLessThan(9_000);
    } finally {
      await silent.close();
      bdns.fault(() => false);
    }
  }, 20_000);

  it("usage errors: --timeout and --url are checked", async () => {
    expect((await runCli(["doctor", "--timeout", "0"])).code).toBe(2);
    expect((await runCli(["doctor", "--url", "localhost:3000"])).code).toBe(2);
  });

  it("a --url that is not a URL (a port past 65535, an unclosed [) is a usage error naming it, not three checks failing as bugs", async () => {
    for (const url of ["http://127.0.0.1:99999", "http://[::1", "http://[::1]:3000x", "https://ops:pw-for-doctor-123@host:70000/"]) {
      for (const json of [false, true]) {
        const r = await runCli(["doctor", "--url", url, ...(json ? ["--json"] : [])], { env: { INNGEST_DEV: "1" } });
        expect(r.code, `${url}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(/^error: --url: .* must be an http\(s\) URL/m);
        expect(r.stdout + r.stderr).not.toContain("this is a bug");
        expect(r.stdout + r.stderr).not.toContain("pw-for-doctor-123");
        if (json) expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, command: "doctor", error: { code: "USAGE" } });
      }
    }
  });
});

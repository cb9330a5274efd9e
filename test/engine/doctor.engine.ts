/**
 * doctor and the schedules against the real Inngest Dev Server (the engine suite's binary: see
 * support/inngest-binary.ts): doctor's event API and registration checks read what it really answers,
 * and the schedules register as it accepts them. Before the app is synced doctor says so (an event
 * sent then never runs); after `PUT /api/inngest` the Dev Server holds every function, the cron ones
 * with their time zone. And against the same binary's self-hosted mode (`inngest start --event-key …
 * --signing-key …`, cloud mode for the SDK): the event key and the signing key, right and wrong.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "../../src/config/env.js";
import { CHECKS, parseEnvLeniently, runDoctor } from "../../src/doctor/index.js";
import { startServer, type RunningServer } from "../../src/server/index.js";
import { startDevServer, type DevServer } from "./support/dev-server.js";

const dir = mkdtempSync(join(tmpdir(), "ayida-engine-doctor-"));
let dev: DevServer;
let devUrl: string;
let server: RunningServer;

beforeAll(async () => {
  // No -u: the app is not synced until the test PUTs its /api/inngest.
  dev = await startDevServer({ dir: join(dir, "dev") });
  devUrl = dev.url;
  server = await startServer(parseEnv({ INNGEST_DEV: devUrl, DATABASE_URL: join(dir, "a.db"), SCHEDULE_CONVOCATORIAS: "TZ=Europe/Madrid 0 3 * * *", SCHEDULE_CATALOGOS: "30 4 * * MON" }), { port: 0, host: "127.0.0.1", logger: pino({ level: "silent" }) });
}, 60_000);

afterAll(async () => {
  await server?.close(0);
  await dev?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function doctor(ids: string[]) {
  const { env, problems } = parseEnvLeniently({ INNGEST_DEV: devUrl, SCHEDULE_CONVOCATORIAS: "TZ=Europe/Madrid 0 3 * * *", SCHEDULE_CATALOGOS: "30 4 * * MON" });
  const reports = await runDoctor({ env, problems, server: { url: server.urls[0]!, from: "--url" }, cwd: tmpdir(), timeoutMs: 4000, checks: CHECKS.filter((c) => ids.includes(c.id)) });
  return Object.fromEntries(reports.map((r) => [r.id, r]));
}

describe("doctor and schedules against the real Dev Server", () => {
  it("the event API answers the empty test batch, and stores no event for it", async () => {
    const r = (await doctor(["event-api"]))["event-api"]!;
    expect(r).toMatchObject({ status: "ok", details: { status: 200 } });
    const events = (await (await fetch(`${devUrl}/v1/events?limit=10`)).json()) as { data: unknown[] };
    expect(events.data).toEqual([]);
  });

  it("before the app is synced: functions registered fails, saying events would never run", async () => {
    const r = await doctor(["app", "functions-registered"]);
    expect(r.app!.status).toBe("ok");
    expect(r["functions-registered"]).toMatchObject({ status: "fail", message: expect.stringContaining("has not registered the app ayida-portal") });
  });

  it("after PUT /api/inngest: every function registered, the schedules as cron triggers with their time zone", async () => {
    const put = await fetch(`${server.urls[0]}/api/inngest`, { method: "PUT" });
    expect(put.status, await put.text()).toBe(200);
    const r = await doctor(["app", "functions-registered"]);
    expect(r["functions-registered"], dev.proc.output().slice(-2000)).toMatchObject({ status: "ok", details: { registered: server.functionIds.length * 2 - 2 } });

    const gql = await fetch(`${devUrl}/v0/gql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ apps { functions { slug triggers { type value } } } }" }) });
    const apps = ((await gql.json()) as { data: { apps: Array<{ functions: Array<{ slug: string; triggers: Array<{ type: string; value: string }> }> }> } }).data.apps;
    const crons = apps[0]!.functions.filter((f) => f.slug.includes("schedule")).sort((a, b) => a.slug.localeCompare(b.slug));
    expect(crons).toEqual([
      { slug: "ayida-portal-schedule-catalogos", triggers: [{ type: "CRON", value: "TZ=UTC 30 4 * * MON" }] },
      { slug: "ayida-portal-schedule-convocatorias", triggers: [{ type: "CRON", value: "TZ=Europe/Madrid 0 3 * * *" }] },
    ]);
  });
});

describe("doctor against a self-hosted Inngest (inngest start, with keys)", () => {
  const EVENT_KEY = "event-key-selfhosted-0123";
  const SIGNING_KEY = "signkey-prod-00112233445566778899aabbccddeeff";
  let hosted: DevServer;
  beforeAll(async () => {
    hosted = await startDevServer({ dir: join(dir, "hosted"), selfHosted: { eventKey: EVENT_KEY, signingKey: SIGNING_KEY.replace(/^signkey-prod-/, "") } });
  }, 60_000);
  afterAll(() => hosted?.stop());

  const run = async (env: Record<string, string>) => {
    const { env: parsed, problems } = parseEnvLeniently({ INNGEST_BASE_URL: hosted.url, ...env });
    const reports = await runDoctor({ env: parsed, problems, server: { url: "http://127.0.0.1:9", from: "default" }, cwd: tmpdir(), timeoutMs: 4000, checks: CHECKS.filter((c) => ["event-api", "signing-key"].includes(c.id)) });
    return Object.fromEntries(reports.map((r) => [r.id, r.status]));
  };

  it("the right keys are accepted; a wrong event key or signing key fails (401)", async () => {
    expect(await run({ INNGEST_EVENT_KEY: EVENT_KEY, INNGEST_SIGNING_KEY: SIGNING_KEY })).toEqual({ "event-api": "ok", "signing-key": "ok" });
    expect(await run({ INNGEST_EVENT_KEY: "not-the-key-000", INNGEST_SIGNING_KEY: "signkey-prod-ffeeddccbbaa99887766554433221100" })).toEqual({ "event-api": "fail", "signing-key": "fail" });
    const events = (await (await fetch(`${hosted.url}/v1/events?limit=10`, { headers: { authorization: `Bearer ${(await import("../../src/doctor/inngest.js")).hashedSigningKey(SIGNING_KEY)}` } })).json()) as { data: unknown[] };
    expect(events.data).toEqual([]); // the test batches stored nothing
  });
});

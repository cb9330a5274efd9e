/**
 * Against the real Inngest Dev Server (shared/tools/inngest-dev, v1.43): doctor's event API and
 * registration checks read what it really answers, and the schedules register as it accepts them.
 * Before the app is synced doctor says so (an event sent then never runs); after `PUT /api/inngest` the
 * Dev Server holds every function, the cron ones with their time zone. And against the same binary's
 * self-hosted mode (`inngest start --event-key … --signing-key …`, cloud mode for the SDK): the event
 * key and the signing key, right and wrong.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "../../src/config/env.js";
import { CHECKS, parseEnvLeniently, runDoctor } from "../../src/doctor/index.js";
import { startServer, type RunningServer } from "../../src/server/index.js";
import { freePort } from "../support/ports.js";

/** shared/ sits beside the repository (here and in CI). */
const WRAPPER = resolve(import.meta.dirname, "../../../shared/tools/inngest-dev/inngest-dev");

let dev: Awaited<ReturnType<typeof startInngest>>;
let devUrl: string;
let server: RunningServer;

beforeAll(async () => {
  if (!existsSync(WRAPPER)) throw new Error(`the Inngest Dev Server is not at ${WRAPPER}: shared/tools/inngest-dev must sit beside the repository`);
  dev = await startInngest("dev", ["--host", "127.0.0.1", "--no-discovery"]);
  devUrl = dev.url;
  const dir = mkdtempSync(join(tmpdir(), "ayida-devserver-app-"));
  server = await startServer(parseEnv({ INNGEST_DEV: devUrl, DATABASE_URL: join(dir, "a.db"), SCHEDULE_CONVOCATORIAS: "TZ=Europe/Madrid 0 3 * * *", SCHEDULE_CATALOGOS: "30 4 * * MON" }), { port: 0, host: "127.0.0.1", logger: pino({ level: "silent" }) });
}, 60_000);

afterAll(async () => {
  await server?.close(0);
  dev?.child.kill("SIGTERM");
});

/** Start the binary with these arguments on free ports; resolves with its URL once /health answers. */
async function startInngest(command: "dev" | "start", args: string[]): Promise<{ url: string; child: ChildProcess; log: () => string }> {
  const [port, gateway, grpc1, grpc2] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const home = mkdtempSync(join(tmpdir(), "ayida-inngest-"));
  let out = "";
  const child = spawn(WRAPPER, [command, "--port", String(port), "--connect-gateway-port", String(gateway), "--connect-gateway-grpc-port", String(grpc1), "--connect-executor-grpc-port", String(grpc2), ...args], { env: { ...process.env, HOME: home }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (c) => (out += c));
  child.stderr!.on("data", (c) => (out += c));
  for (let i = 0; ; i++) {
    if (await fetch(`${url}/health`).then((r) => r.ok, () => false)) return { url, child, log: () => out };
    if (i > 150 || child.exitCode !== null) {
      child.kill("SIGTERM");
      throw new Error(`inngest ${command} did not start: ${out.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

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
    expect(r["functions-registered"], dev.log().slice(-2000)).toMatchObject({ status: "ok", details: { registered: server.functionIds.length * 2 - 2 } });

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
  let hosted: Awaited<ReturnType<typeof startInngest>>;
  beforeAll(async () => {
    const sqlite = mkdtempSync(join(tmpdir(), "ayida-inngest-sqlite-"));
    hosted = await startInngest("start", ["--host", "127.0.0.1", "--event-key", EVENT_KEY, "--signing-key", SIGNING_KEY.replace(/^signkey-prod-/, ""), "--sqlite-dir", sqlite]);
  }, 60_000);
  afterAll(() => void hosted?.child.kill("SIGTERM"));

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

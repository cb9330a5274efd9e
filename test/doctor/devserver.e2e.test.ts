/**
 * Against the real Inngest Dev Server (shared/tools/inngest-dev, v1.43): doctor's event API and
 * registration checks read what it really answers, and the schedules register as it accepts them.
 * Before the app is synced doctor says so (an event sent then never runs); after `PUT /api/inngest` the
 * Dev Server holds every function, the cron ones with their time zone.
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

let dev: ChildProcess;
let devUrl: string;
let server: RunningServer;
let log = "";

beforeAll(async () => {
  if (!existsSync(WRAPPER)) throw new Error(`the Inngest Dev Server is not at ${WRAPPER}: shared/tools/inngest-dev must sit beside the repository`);
  const [port, gateway, grpc1, grpc2] = [await freePort(), await freePort(), await freePort(), await freePort()];
  devUrl = `http://127.0.0.1:${port}`;
  const home = mkdtempSync(join(tmpdir(), "ayida-devserver-"));
  dev = spawn(WRAPPER, ["dev", "--host", "127.0.0.1", "--port", String(port), "--no-discovery", "--connect-gateway-port", String(gateway), "--connect-gateway-grpc-port", String(grpc1), "--connect-executor-grpc-port", String(grpc2)], { env: { ...process.env, HOME: home }, stdio: ["ignore", "pipe", "pipe"] });
  dev.stdout!.on("data", (c) => (log += c));
  dev.stderr!.on("data", (c) => (log += c));
  for (let i = 0; ; i++) {
    const up = await fetch(`${devUrl}/health`).then((r) => r.ok, () => false);
    if (up) break;
    if (i > 150 || dev.exitCode !== null) throw new Error(`the Dev Server did not start: ${log.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const dir = mkdtempSync(join(tmpdir(), "ayida-devserver-app-"));
  server = await startServer(parseEnv({ INNGEST_DEV: devUrl, DATABASE_URL: join(dir, "a.db"), SCHEDULE_CONVOCATORIAS: "TZ=Europe/Madrid 0 3 * * *", SCHEDULE_CATALOGOS: "30 4 * * MON" }), { port: 0, host: "127.0.0.1", logger: pino({ level: "silent" }) });
}, 60_000);

afterAll(async () => {
  await server?.close(0);
  dev?.kill("SIGTERM");
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
    expect(r["functions-registered"], log.slice(-2000)).toMatchObject({ status: "ok", details: { registered: server.functionIds.length * 2 - 2 } });

    const gql = await fetch(`${devUrl}/v0/gql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ apps { functions { slug triggers { type value } } } }" }) });
    const apps = ((await gql.json()) as { data: { apps: Array<{ functions: Array<{ slug: string; triggers: Array<{ type: string; value: string }> }> }> } }).data.apps;
    const crons = apps[0]!.functions.filter((f) => f.slug.includes("schedule")).sort((a, b) => a.slug.localeCompare(b.slug));
    expect(crons).toEqual([
      { slug: "ayida-portal-schedule-catalogos", triggers: [{ type: "CRON", value: "TZ=UTC 30 4 * * MON" }] },
      { slug: "ayida-portal-schedule-convocatorias", triggers: [{ type: "CRON", value: "TZ=Europe/Madrid 0 3 * * *" }] },
    ]);
  });
});

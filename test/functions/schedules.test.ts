/**
 * Schedules: the variables and their validation, the cron functions as Inngest receives them at
 * registration (over real HTTP: `PUT /api/inngest` → the body POSTed to `/fn/register`), and what a
 * tick does (with @inngest/test): send exactly the event `ayida-jobs sync <dataset>` sends.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InngestTestEngine, mockCtx } from "@inngest/test";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createInngestClient } from "../../src/config/client.js";
import { ConfigError } from "../../src/config/errors.js";
import { parseEnv } from "../../src/config/env.js";
import { SCHEDULE_VARIABLES, nextRun, parseSchedule, parseSchedules, scheduleVariable } from "../../src/config/schedules.js";
import { buildSyncRequests } from "../../src/contracts/sync-requests.js";
import { SYNCABLE_DATASETS } from "../../src/contracts/datasets.js";
import { createScheduleFunctions, scheduledRunId } from "../../src/functions/schedules.js";
import { startServer } from "../../src/server/index.js";
import { Store } from "../../src/adapters/store/store.js";
import { startPostgres } from "../support/postgres.js";
import { runCli } from "../support/cli.js";
import { startFakeEventApi, type FakeEventApi } from "../support/event-api.js";

describe("the variables", () => {
  it("one per dataset sync accepts, named after it", () => {
    expect(SCHEDULE_VARIABLES.map((s) => s.dataset)).toEqual(SYNCABLE_DATASETS);
    expect(scheduleVariable("convocatorias")).toBe("SCHEDULE_CONVOCATORIAS");
    expect(scheduleVariable("planes-estrategicos")).toBe("SCHEDULE_PLANES_ESTRATEGICOS");
    expect(scheduleVariable("ayudas-estado")).toBe("SCHEDULE_AYUDAS_ESTADO");
  });

  it("off by default: no variable, no schedule", () => {
    expect(parseSchedules(parseEnv({}))).toEqual([]);
    expect(parseSchedules(parseEnv({ SCHEDULE_MINIMIS: "" }))).toEqual([]);
  });

  it.each([
    ["TZ=Europe/Madrid 0 3 * * *", "TZ=Europe/Madrid 0 3 * * *"],
    ["0 3 * * *", "TZ=UTC 0 3 * * *"],
    ["  TZ=Europe/Madrid   30 4  *  * MON ", "TZ=Europe/Madrid 30 4 * * MON"],
    ["CRON_TZ=America/New_York */15 8-18 * * MON-FRI", "TZ=America/New_York */15 8-18 * * MON-FRI"],
    ["0 3 1,15 JAN-JUN ?", "TZ=UTC 0 3 1,15 JAN-JUN ?"],
    ["0 0-23/6 * * 0", "TZ=UTC 0 0-23/6 * * 0"],
  ])("%j is the cron trigger %j", (value, cron) => {
    const [s] = parseSchedules(parseEnv({ SCHEDULE_ORGANOS: value }));
    expect(s).toMatchObject({ dataset: "organos", variable: "SCHEDULE_ORGANOS", cron });
  });

  it.each([
    ["TZ=Mars/Olympus 0 3 * * *", /SCHEDULE_CONCESIONES: "Mars\/Olympus" is not a time zone/],
    ["TZ=europe/madrid 0 3 * * *", /must be spelled "Europe\/Madrid"/],
    ["TZ= 0 3 * * *", /names no time zone/],
    ["0 3 * *", /has 4 fields; a cron expression has five/],
    ["0 3 * * * *", /has 6 fields/],
    ["60 3 * * *", /minute "60" is outside 0–59/],
    ["0 24 * * *", /hour "24" is outside 0–23/],
    ["0 3 0 * *", /day of month "0" is outside 1–31/],
    ["0 3 * 13 *", /month "13" is outside 1–12 \(or JAN–DEC\)/],
    ["0 3 * * 7", /day of week "7" is outside 0–6/],
    ["0 3 L * *", /day of month "L"/],
    ["0 3 * * MON#2", /day of week "MON#2" is not a number/],
    ["5/15 * * * *", /steps only follow \* or a range/],
    ["*/0 * * * *", /step of 0/],
    ["0 5-3 * * *", /runs backwards/],
    ["? 3 * * *", /minute "\?" uses \?/],
    ["@daily", /has 1 field/],
    ["FOO=1 0 3 * * *", /a time zone is given as TZ=<zone>/],
  ])("%j is a configuration error naming the variable", (value, message) => {
    let err: unknown;
    try {
      parseEnv({ SCHEDULE_CONCESIONES: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe("SCHEDULE_CONCESIONES");
    expect((err as ConfigError).message).toMatch(/^SCHEDULE_CONCESIONES: /);
    expect((err as ConfigError).message).toMatch(message);
    expect((err as ConfigError).hint).toContain("TZ=Europe/Madrid 0 3 * * *");
  });

  it("next run follows the time zone across a DST change", async () => {
    const s = parseSchedule("convocatorias", "SCHEDULE_CONVOCATORIAS", "TZ=Europe/Madrid 0 3 * * *");
    expect((await nextRun(s, new Date("2026-03-28T12:00:00Z")))?.toISOString()).toBe("2026-03-29T01:00:00.000Z"); // CEST: UTC+2
    expect((await nextRun(s, new Date("2026-01-10T12:00:00Z")))?.toISOString()).toBe("2026-01-11T02:00:00.000Z"); // CET: UTC+1
    expect(await nextRun(parseSchedule("minimis", "SCHEDULE_MINIMIS", "0 3 31 2 *"))).toBeUndefined(); // 31 February
  });
});

describe("registration, as Inngest receives it (PUT /api/inngest over HTTP)", () => {
  let api: FakeEventApi;
  beforeAll(async () => {
    api = await startFakeEventApi();
  });
  afterAll(() => api.close());
  beforeEach(() => {
    api.requests.length = 0;
  });

  async function register(env: Record<string, string>) {
    api.requests.length = 0;
    const dir = mkdtempSync(join(tmpdir(), "ayida-sched-"));
    const server = await startServer(parseEnv({ INNGEST_DEV: api.url, DATABASE_URL: join(dir, "a.db"), ...env }), { port: 0, host: "127.0.0.1", logger: pino({ level: "silent" }) });
    try {
      const res = await fetch(`${server.urls[0]}/api/inngest`, { method: "PUT" });
      expect(res.status).toBe(200);
      const body = api.requests.find((r) => r.path === "/fn/register")!.body as { functions: Array<{ id: string; name: string; triggers: Array<{ event?: string; cron?: string }> }> };
      return { body, functionIds: server.functionIds };
    } finally {
      await server.close(0);
    }
  }

  it("each schedule is a cron function whose trigger carries the expression and its time zone", async () => {
    const { body, functionIds } = await register({ SCHEDULE_CONVOCATORIAS: "TZ=Europe/Madrid 0 3 * * *", SCHEDULE_CATALOGOS: "30 4 * * MON" });
    const crons = body.functions.filter((f) => f.triggers.some((t) => t.cron !== undefined));
    expect(crons.map((f) => ({ id: f.id, triggers: f.triggers }))).toEqual([
      { id: "ayida-portal-schedule-convocatorias", triggers: [{ cron: "TZ=Europe/Madrid 0 3 * * *" }] },
      { id: "ayida-portal-schedule-catalogos", triggers: [{ cron: "TZ=UTC 30 4 * * MON" }] },
    ]);
    expect(functionIds).toEqual(expect.arrayContaining(["ayida-portal-schedule-convocatorias", "ayida-portal-schedule-catalogos"]));
    // Everything else is as without schedules.
    const { body: plain } = await register({});
    expect(body.functions.length).toBe(plain.functions.length + 2);
  });

  it("without SCHEDULE_* no cron function is registered", async () => {
    const { body } = await register({});
    expect(body.functions.filter((f) => f.triggers.some((t) => t.cron !== undefined || (t.event ?? "").startsWith("inngest/scheduled")))).toEqual([]);
    expect(body.functions.some((f) => f.id.includes("schedule"))).toBe(false);
  });
});

describe("a tick (@inngest/test)", () => {
  let api: FakeEventApi;
  let store: Store;
  const deps = () => ({ store: async () => store, logger: pino({ level: "silent" }) });
  beforeAll(async () => {
    api = await startFakeEventApi();
    store = await Store.open(join(mkdtempSync(join(tmpdir(), "ayida-tick-")), "ayida.db"));
  });
  afterAll(async () => {
    await api.close();
    await store.close();
  });

  it.each(["convocatorias", "concesiones", "organos"])("%s: sends <dataset>/sync.requested exactly as `ayida-jobs sync` builds it, under the tick's runId", async (dataset) => {
    api.requests.length = 0;
    const schedule = parseSchedule(dataset, scheduleVariable(dataset), "TZ=Europe/Madrid 0 3 * * *");
    const client = createInngestClient(parseEnv({ INNGEST_DEV: api.url }), { logger: pino({ level: "silent" }) });
    const [fn] = createScheduleFunctions(client, [schedule], deps());
    const tick = Date.parse("2026-11-29T02:00:00.000Z");
    // One engine run: the same run id in every execution of it, as Inngest gives (the test engine makes a new one per execution).
    const t = new InngestTestEngine({ function: fn as never, events: [{ name: "inngest/scheduled.timer", data: { cron: schedule.cron }, ts: tick } as never], transformCtx: (ctx) => ({ ...mockCtx(ctx), runId: `01ENGINE-${dataset}` }) });
    const { result, error } = await t.execute();
    expect(error).toBeUndefined();

    const runId = "scheduled-" + dataset + "-20261129T0200Z";
    expect(scheduledRunId(dataset, new Date(tick))).toBe(runId);
    const expected = buildSyncRequests({ dataset }, { runId, timestamp: "2026-11-29T02:00:00.000Z" });
    expect(api.events()).toEqual(expected.map((e) => expect.objectContaining({ name: `${dataset}/sync.requested`, id: e.id, data: e.data })));
    expect(api.events()[0]!.data).toEqual({ runId, timestamp: "2026-11-29T02:00:00.000Z" }); // the default window, as `sync` without --from/--to
    expect(result).toMatchObject({ dataset, schedule: "TZ=Europe/Madrid 0 3 * * *", runId });
  });

  it("the same tick retried by its engine sends the same event id again (Inngest drops the repeat)", async () => {
    api.requests.length = 0;
    const schedule = parseSchedule("regiones", "SCHEDULE_REGIONES", "0 5 * * 1");
    const client = createInngestClient(parseEnv({ INNGEST_DEV: api.url }), { logger: pino({ level: "silent" }) });
    const [fn] = createScheduleFunctions(client, [schedule], deps());
    const event = { name: "inngest/scheduled.timer", data: { cron: schedule.cron }, ts: Date.parse("2026-11-30T05:00:00Z") };
    // One engine run, attempted twice (its send's answer lost): the claim is its own both times.
    for (let i = 0; i < 2; i++) await new InngestTestEngine({ function: fn as never, events: [event as never], transformCtx: (ctx) => ({ ...mockCtx(ctx), runId: "01ENGINE-RUN-A" }) }).execute();
    const [a, b] = api.events();
    expect(a!.id).toBe(b!.id);
    expect(a!.data.runId).toBe("scheduled-regiones-20261130T0500Z");
  });

  it.each(["sqlite", "postgres"] as const)("two engines sharing one database (%s) run a tick once: the first to claim it in the store sends, the other sends nothing", async (dialect) => {
    const other = await startFakeEventApi();
    const pgServer = dialect === "postgres" ? await startPostgres() : undefined;
    const shared = pgServer ? await Store.open(await pgServer.createDatabase()) : store;
    try {
      api.requests.length = 0;
      const schedule = parseSchedule("convocatorias", "SCHEDULE_CONVOCATORIAS", "* * * * *");
      const engines = [api, other].map((e) => createScheduleFunctions(createInngestClient(parseEnv({ INNGEST_DEV: e.url }), { logger: pino({ level: "silent" }) }), [schedule], { store: async () => shared, logger: pino({ level: "silent" }) })[0]!);
      const event = { name: "inngest/scheduled.timer", data: { cron: schedule.cron }, ts: Date.parse(`2026-12-01T10:0${dialect === "sqlite" ? 1 : 2}:00Z`) };
      // Both engines fire the same minute, each with its own run (staging and production on one database).
      const results = await Promise.all(
        engines.map((fn, i) => new InngestTestEngine({ function: fn as never, events: [event as never], transformCtx: (ctx) => ({ ...mockCtx(ctx), runId: `01ENGINE-${i}` }) }).execute()),
      );
      expect(results.map((r) => r.error)).toEqual([undefined, undefined]);
      const sent = [...api.events(), ...other.events()];
      expect(sent).toHaveLength(1);
      expect(sent[0]!.data.runId).toBe(scheduledRunId("convocatorias", new Date(event.ts)));
      const skipped = results.map((r) => r.result as { skipped?: string }).filter((r) => r.skipped);
      expect(skipped).toHaveLength(1);
      expect(skipped[0]!.skipped).toMatch(/already claimed by engine run 01ENGINE-[01]/);
    } finally {
      await other.close();
      if (pgServer) {
        await shared.close();
        await pgServer.stop();
      }
    }
  }, 60_000);
});

describe("the CLI", () => {
  it("serve: a bad schedule is configuration, exit 78, naming the variable, before listening", async () => {
    const r = await runCli(["serve", "--port", "0"], { env: { INNGEST_DEV: "1", SCHEDULE_CONVOCATORIAS: "TZ=Europe/Madird 0 3 * * *" } });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('SCHEDULE_CONVOCATORIAS: "Europe/Madird" is not a time zone');
    expect(r.stderr).not.toContain("serving on");
  });

  it("serve --check lists the schedule functions", async () => {
    const r = await runCli(["serve", "--check", "--json"], { env: { INNGEST_DEV: "1", SCHEDULE_SANCIONES: "0 6 * * SUN" } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).functions).toContain("ayida-portal-schedule-sanciones");
  });

  it("datasets lists each dataset's schedule: a column, and a field in --json with the next tick", async () => {
    const env = { SCHEDULE_CONVOCATORIAS: "TZ=Europe/Madrid 0 3 * * *", SCHEDULE_CATALOGOS: "TZ=Europe/Madrid 30 4 * * 1" };
    const json = await runCli(["datasets", "--json"], { env });
    expect(json.code, json.stderr).toBe(0);
    const datasets = JSON.parse(json.stdout).datasets as Array<{ name: string; schedule: { variable: string; cron: string | null; next: string | null } }>;
    expect(datasets.find((d) => d.name === "convocatorias")!.schedule).toEqual({ variable: "SCHEDULE_CONVOCATORIAS", cron: "TZ=Europe/Madrid 0 3 * * *", next: expect.stringMatching(/T0[12]:00:00\.000Z$/) });
    expect(datasets.find((d) => d.name === "minimis")!.schedule).toEqual({ variable: "SCHEDULE_MINIMIS", cron: null, next: null });
    const text = await runCli(["datasets"], { env });
    expect(text.stdout.split("\n")[0]).toMatch(/^DATASET\s+STRATEGY\s+EVENT\s+SCHEDULE\s+TABLES$/);
    expect(text.stdout).toMatch(/^catalogos\s.*TZ=Europe\/Madrid 30 4 \* \* 1/m);
    expect(text.stdout).toMatch(/^minimis\s.*\soff\s/m);
  });

  it("any command refuses a bad schedule (exit 78): the environment is wrong", async () => {
    const r = await runCli(["sync", "organos", "--dry-run"], { env: { INNGEST_DEV: "1", SCHEDULE_ORGANOS: "every day" } });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain("SCHEDULE_ORGANOS:");
  });
});

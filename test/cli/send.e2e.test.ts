/**
 * The built binary as a real process against a loopback Inngest event API: what arrived on the
 * wire, stdout, stderr and the exit code.
 */
import { spawn } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { errorResultSchema, sendResultSchema } from "../../src/cli/output-schemas.js";
import { BIN, runCli } from "../support/cli.js";
import { startFakeEventApi, type FakeEventApi } from "../support/event-api.js";
import { freePort } from "../support/ports.js";

const KEY = "evtkey-super-secret-0123456789";
let api: FakeEventApi;
let dev: Record<string, string>;
let cloud: Record<string, string>;

beforeAll(async () => {
  api = await startFakeEventApi();
  dev = { INNGEST_DEV: api.url };
  cloud = { INNGEST_EVENT_KEY: KEY, INNGEST_BASE_URL: api.url };
});
afterAll(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
  api.setFault(undefined);
});

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe("sending", () => {
  it("detail: one event, exactly the seed's payload, over POST /e/:key", async () => {
    const r = await runCli(["detail", "123456", "--run-id", "ci-1"], { env: cloud });
    expect(r.code).toBe(0);
    expect(api.requests).toHaveLength(1);
    const [req] = api.requests;
    expect(req!.method).toBe("POST");
    expect(req!.path).toBe(`/e/${KEY}`);
    expect(req!.headers["content-type"]).toBe("application/json");
    const body = req!.body as Array<Record<string, unknown>>;
    expect(body).toHaveLength(1);
    expect(body[0]).toMatchObject({
      name: "convocatorias/detail.requested",
      data: { bdns: "123456", runId: "ci-1", timestamp: expect.stringMatching(ISO) },
      id: "convocatorias/detail.requested?bdns=123456&runId=ci-1",
      ts: expect.any(Number),
    });
    expect(Object.keys(body[0]!.data as object).sort()).toEqual(["bdns", "runId", "timestamp"]);
    expect(r.stdout).toBe(`sent convocatorias/detail.requested  bdns=123456  runId=ci-1  id=${req!.ids![0]}\n`);
    expect(r.stderr).toContain("1 event(s) sent, runId ci-1");
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it("--json: one document on stdout with events and Inngest's ids", async () => {
    const r = await runCli(["detail", "1", "22", "--json", "--run-id", "ci-2"], { env: dev });
    expect(r.code).toBe(0);
    const doc = sendResultSchema.parse(JSON.parse(r.stdout));
    expect(doc).toMatchObject({ ok: true, command: "detail", dryRun: false, runId: "ci-2", target: { mode: "dev" } });
    expect(doc.events.map((e) => e.data.bdns)).toEqual(["1", "22"]);
    expect(doc.ids).toEqual(api.requests[0]!.ids);
    expect(doc.ids).toHaveLength(2);
    expect(r.stderr).toBe(""); // no spinner, no progress under --json
    // dev mode without a key posts to the Dev Server's placeholder key
    expect(api.requests[0]!.path).toBe("/e/NO_EVENT_KEY_SET");
  });

  it("sync: the window and full flag travel in the event", async () => {
    const r = await runCli(["sync", "convocatorias", "--from", "2026-11-01", "--to", "2026-11-07", "--full", "--run-id", "bf"], { env: dev });
    expect(r.code).toBe(0);
    expect(api.events()).toEqual([
      {
        name: "convocatorias/sync.requested",
        data: { runId: "bf", timestamp: expect.stringMatching(ISO), from: "2026-11-01", to: "2026-11-07", full: true },
        id: "convocatorias/sync.requested?from=2026-11-01&to=2026-11-07&full=true&runId=bf",
        ts: expect.any(Number),
      },
    ]);
  });

  it("sync --allow-removal: the flag travels in the event and its id (a forced sync is not deduplicated against a normal one)", async () => {
    const r = await runCli(["sync", "catalogos", "--allow-removal", "--run-id", "force"], { env: dev });
    expect(r.code).toBe(0);
    expect(api.events()).toEqual([expect.objectContaining({ name: "catalogos/sync.requested", data: { runId: "force", timestamp: expect.stringMatching(ISO), allowRemoval: true }, id: "catalogos/sync.requested?allowRemoval=true&runId=force" })]);
    expect(r.stdout).toMatch(/allowRemoval=true/);
    const c = await runCli(["sync", "convocatorias", "--allow-removal", "--full", "--run-id", "force-c"], { env: dev });
    expect(c.code).toBe(0);
    expect(api.events()[1]).toMatchObject({ name: "convocatorias/sync.requested", data: { runId: "force-c", full: true, allowRemoval: true }, id: "convocatorias/sync.requested?full=true&allowRemoval=true&runId=force-c" });
  });

  it("document: the storage event", async () => {
    const r = await runCli(["document", "123456", "doc-789", "--json"], { env: dev });
    expect(r.code).toBe(0);
    const doc = sendResultSchema.parse(JSON.parse(r.stdout));
    expect(api.events()).toEqual([
      expect.objectContaining({ name: "documents/storage.requested", data: { bdns: "123456", documentId: "doc-789", runId: doc.runId, timestamp: expect.stringMatching(ISO) } }),
    ]);
  });

  it("the same --run-id gives the same event ids (Inngest deduplicates the re-run)", async () => {
    await runCli(["detail", "5", "6", "--run-id", "same"], { env: dev });
    await runCli(["detail", "5", "6", "--run-id", "same"], { env: dev });
    const ids = api.events().map((e) => e.id);
    expect(ids.slice(0, 2)).toEqual(ids.slice(2));
    const fresh = await runCli(["detail", "5", "--json"], { env: dev });
    expect(JSON.parse(fresh.stdout).runId).not.toBe("same");
  });

  it("--file and stdin: one code per line, blanks and comments ignored", async () => {
    const dir = mkdtempSync(join(tmpdir(), "codes-"));
    writeFileSync(join(dir, "codes.txt"), "# pending\n111\n\n  222  # trailing note\n333\n");
    const r = await runCli(["detail", "--file", "codes.txt", "444", "--json"], { env: dev, cwd: dir });
    expect(r.code).toBe(0);
    expect(api.events().map((e) => e.data.bdns)).toEqual(["444", "111", "222", "333"]);
    const s = await runCli(["detail", "--file", "-", "--json"], { env: dev, stdin: "7\n8\n" });
    expect(s.code).toBe(0);
    expect(api.events().slice(4).map((e) => e.data.bdns)).toEqual(["7", "8"]);
  });

  it("sends 10,000 codes in batches of 500 and reports each batch", async () => {
    const codes = Array.from({ length: 10_000 }, (_, i) => String(100000 + i)).join("\n");
    const r = await runCli(["detail", "--file", "-", "--json"], { env: dev, stdin: codes });
    expect(r.code).toBe(0);
    expect(api.requests).toHaveLength(20);
    expect(api.requests.every((q) => (q.body as unknown[]).length === 500)).toBe(true);
    expect(new Set(api.events().map((e) => e.data.bdns)).size).toBe(10_000);
    expect(sendResultSchema.parse(JSON.parse(r.stdout)).ids).toHaveLength(10_000);
  });
});

describe("refusing bad input: exit 2, nothing sent", () => {
  it.each([
    [["detail", "12a"], /bdns \(argument 1\): "12a" must be a BDNS code: 1–10 digits/],
    [["detail", "1", "2", "x"], /bdns \(argument 3\): "x" must be a BDNS code/],
    [["detail"], /bdns: no BDNS code given/],
    [["document", "123", "../../etc"], /documentId: "..\/..\/etc" must be a document id/],
    [["sync", "subvenciones"], /dataset: "subvenciones" is not a dataset that can be synced; valid: convocatorias, catalogos, .*, or all/],
    [["sync", "organos", "--from", "2026-11-01"], /from: "2026-11-01" does not apply: organos is not windowed/],
    [["sync", "convocatorias", "--from", "2026-02-30"], /from: "2026-02-30" must be a real calendar date/],
    [["sync", "convocatorias", "--from", "2026-11-07", "--to", "2026-11-01"], /from: "2026-11-07" must not be after to \(2026-11-01\)/],
    [["sync", "convocatorias", "--to", "2999-01-01"], /to: "2999-01-01" must not be in the future/],
    [["sync", "convocatorias", "--from", "0000-01-01"], /from: "0000-01-01" must not be before 2013-01-01/],
    [["detail", "1", "--run-id", "has space"], /runId: "has space" must be a run id/],
    [["detail", "--file", "missing.txt"], /--file: cannot read missing.txt: ENOENT/],
    [["detail", "1", "--bogus"], /unknown option '--bogus'/],
    [["frobnicate"], /unknown command 'frobnicate'/],
    [[], /no command given/],
  ])("%j", async (args, message) => {
    const r = await runCli(args, { env: cloud });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
    expect(api.requests).toHaveLength(0);
  });

  // commander takes the word after an option that needs a value as that value, even "--dry-run":
  // `--run-id --dry-run` used to send for real, with a run id called "--dry-run".
  it.each([
    [["detail", "1", "--run-id", "--dry-run"], "--run-id", "--dry-run"],
    [["detail", "1", "--run-id", "-q"], "--run-id", "-q"],
    [["document", "1", "d", "--run-id", "--dry-run"], "--run-id", "--dry-run"],
    [["sync", "convocatorias", "--run-id", "--full", "--dry-run"], "--run-id", "--full"],
    [["sync", "convocatorias", "--run-id", "--dry-run"], "--run-id", "--dry-run"],
    [["sync", "convocatorias", "--from", "--dry-run"], "--from", "--dry-run"],
    [["sync", "convocatorias", "--to", "-q"], "--to", "-q"],
    // the value taken leaves a word over: still named as the missing value, not as "too many arguments"
    [["sync", "convocatorias", "--from", "--to", "2024-01-01", "--dry-run"], "--from", "--to"],
    [["document", "1", "--run-id", "--dry-run", "d", "x"], "--run-id", "--dry-run"],
    [["detail", "--file", "--dry-run", "1"], "--file", "--dry-run"],
    [["detail", "1", "--env-file", "--dry-run"], "--env-file", "--dry-run"],
    [["--env-file", "--json", "detail", "1"], "--env-file", "--json"],
    [["detail", "1", "--timeout", "--dry-run"], "--timeout", "--dry-run"],
  ])("%j: an option's value that looks like an option is refused, naming both", async (args, option, value) => {
    const r = await runCli(args, { env: cloud });
    expect(r.code).toBe(2);
    // (commander itself already refuses a value that is one of the command's own short flags)
    const ours = `${option}: "${value}" looks like an option, not a value for ${option}`;
    expect(r.stderr.includes(ours) || r.stderr.includes(`option '${option} <`)).toBe(true);
    expect(r.stderr).toMatch(new RegExp(`${option}\\b`));
    expect(api.requests).toHaveLength(0);
  });

  it("the same under --json, as one error document", async () => {
    const r = await runCli(["detail", "1", "--json", "--run-id", "--dry-run"], { env: cloud });
    expect(r.code).toBe(2);
    expect(errorResultSchema.parse(JSON.parse(r.stdout)).error).toMatchObject({ code: "USAGE", message: expect.stringContaining("--run-id") });
    expect(api.requests).toHaveLength(0);
  });

  it("a file may still be stdin ('-')", async () => {
    const r = await runCli(["detail", "--file", "-", "--dry-run"], { env: cloud, stdin: "5\n" });
    expect(r.code).toBe(0);
  });

  it("a file with one bad line sends none of the good ones, and names the line", async () => {
    const r = await runCli(["detail", "--file", "-", "--json"], { env: cloud, stdin: "1\n2\nthree\n4\n" });
    expect(r.code).toBe(2);
    const doc = errorResultSchema.parse(JSON.parse(r.stdout));
    expect(doc.error.code).toBe("INVALID_INPUT");
    expect(doc.issues).toEqual([{ field: "bdns (line 3 of stdin)", value: "three", rule: "must be a BDNS code: 1–10 digits, not 0 (leading zeros are dropped)" }]);
    expect(api.requests).toHaveLength(0);
  });
});

describe("bounded error output", () => {
  it("100,000 bad lines: the first 10 problems and a count on stderr; nothing sent", async () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => `bad-${i}`).join("\n");
    const r = await runCli(["detail", "--file", "-"], { env: cloud, stdin: lines });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bdns (line 1 of stdin): "bad-0" must be a BDNS code');
    expect(r.stderr).toContain('bdns (line 10 of stdin): "bad-9"');
    expect(r.stderr).not.toContain('"bad-10"');
    expect(r.stderr).toContain("… and 99990 more problems");
    expect(r.stderr.length).toBeLessThan(4000);
    expect(api.requests).toHaveLength(0);
  });

  it("--json lists every problem, each value cut to a bounded length, and a bounded message", async () => {
    const long = "x".repeat(1_000_000);
    const lines = [long, ...Array.from({ length: 999 }, (_, i) => `bad-${i}`)].join("\n");
    const r = await runCli(["detail", "--file", "-", "--json"], { env: cloud, stdin: lines });
    expect(r.code).toBe(2);
    const doc = errorResultSchema.parse(JSON.parse(r.stdout));
    expect(doc.issues).toHaveLength(1000);
    expect(String(doc.issues![0]!.value)).toMatch(/^x{60}… \(1000000 characters\)$/);
    expect(doc.issues![1]).toEqual({ field: "bdns (line 2 of stdin)", value: "bad-0", rule: expect.any(String) });
    expect(doc.error.message.length).toBeLessThan(2000);
    expect(r.stdout.length).toBeLessThan(200_000);
    expect(r.stderr.length).toBeLessThan(4000);
  });

  it.each([
    ["a binary file", Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x10, 0x31, 0x0a]), /--file: codes\.bin looks like a binary file, not a list of codes/],
    ["UTF-16 with a BOM", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("123\n456\n", "utf16le")]), /--file: codes\.bin is UTF-16 text; save it as UTF-8/],
    ["UTF-16 without a BOM", Buffer.from("123\n456\n", "utf16le"), /--file: codes\.bin is UTF-16 text; save it as UTF-8/],
  ])("%s is reported as such, not echoed", async (_what, bytes, message) => {
    const dir = mkdtempSync(join(tmpdir(), "codes-"));
    writeFileSync(join(dir, "codes.bin"), bytes);
    const r = await runCli(["detail", "--file", "codes.bin"], { env: cloud, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain("\u0000");
    expect(api.requests).toHaveLength(0);
  });

  it("a UTF-8 file with a BOM (as spreadsheets save it) is read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "codes-"));
    writeFileSync(join(dir, "codes.txt"), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("123\n456\n")]));
    const r = await runCli(["detail", "--file", "codes.txt", "--dry-run", "--json"], { env: cloud, cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).events.map((e: { data: { bdns: string } }) => e.data.bdns)).toEqual(["123", "456"]);
  });
});

describe("dry run", () => {
  it("validates and prints the payloads, sends nothing, needs no key", async () => {
    const r = await runCli(["detail", "123456", "--dry-run", "--json", "--run-id", "d"]);
    expect(r.code).toBe(0);
    const doc = sendResultSchema.parse(JSON.parse(r.stdout));
    expect(doc).toMatchObject({ dryRun: true, ids: [], target: { mode: "cloud", url: "https://inn.gs/e/***", eventKey: "not set" } });
    expect(doc.events[0]).toEqual({ name: "convocatorias/detail.requested", data: { bdns: "123456", runId: "d", timestamp: expect.stringMatching(ISO) }, id: "convocatorias/detail.requested?bdns=123456&runId=d" });
    expect(api.requests).toHaveLength(0);
  });

  it("sync shows the window it resolves to: the default one, and a long one's 7-day pieces", async () => {
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const weekAgo = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10);
    const d = await runCli(["sync", "convocatorias", "--dry-run"], { env: cloud });
    expect(d.code).toBe(0);
    expect(d.stderr).toContain(`window: ${weekAgo} to ${yesterday} (7 days, the default: the 7 days ending yesterday, UTC)`);
    const long = await runCli(["sync", "convocatorias", "--from", "2013-01-01", "--to", "2013-03-01", "--dry-run"], { env: cloud });
    expect(long.stderr).toContain("window: 2013-01-01 to 2013-03-01 (60 days, fanned out as 9 pieces of at most 7 days)");
    const json = await runCli(["sync", "convocatorias", "--from", "2013-01-01", "--to", "2013-03-01", "--dry-run", "--json"], { env: cloud });
    expect(JSON.parse(json.stdout).window).toEqual({ from: "2013-01-01", to: "2013-03-01", days: 60, pieces: 9 });
    const today = new Date().toISOString().slice(0, 10);
    const fromToday = await runCli(["sync", "convocatorias", "--from", today, "--dry-run"], { env: cloud });
    expect(fromToday.stderr).toContain(`window: ${today} to ${today} (1 day, today only: the default end, yesterday, is before it)`);
    const fromWeekAgo = await runCli(["sync", "convocatorias", "--from", weekAgo, "--dry-run"], { env: cloud });
    expect(fromWeekAgo.stderr).toContain(`window: ${weekAgo} to ${yesterday} (7 days, to yesterday, UTC, by default)`);
    expect(api.requests).toHaveLength(0);
  });

  it("in human form prints each payload as a JSON line and the target on stderr", async () => {
    const r = await runCli(["document", "1", "doc-1", "--dry-run"], { env: cloud });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ name: "documents/storage.requested" });
    expect(r.stderr).toContain(`dry run: nothing sent. Would send 1 event(s) to ${api.url}e/***`);
    expect(r.stderr).not.toContain(KEY);
    expect(api.requests).toHaveLength(0);
  });
});

describe("configuration and failures", () => {
  it("cloud mode without an event key: exit 78, says how to fix it, nothing sent", async () => {
    const r = await runCli(["detail", "1", "--json"], { env: { INNGEST_BASE_URL: api.url } });
    expect(r.code).toBe(78);
    const doc = errorResultSchema.parse(JSON.parse(r.stdout));
    expect(doc.error).toMatchObject({ code: "CONFIG", message: expect.stringContaining("INNGEST_EVENT_KEY is not set"), hint: expect.stringContaining("INNGEST_DEV=1") });
    expect(api.requests).toHaveLength(0);
  });

  it("an invalid variable: exit 78 naming it, never echoing its value", async () => {
    const r = await runCli(["detail", "1"], { env: { ...cloud, PORT: "seventy" } });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain("PORT: must be a port number");
    expect(r.stderr).not.toContain("seventy");
  });

  it("--env-file is loaded, real env vars win, a missing one is exit 78", async () => {
    const dir = mkdtempSync(join(tmpdir(), "envfile-"));
    writeFileSync(join(dir, "ci.env"), `INNGEST_EVENT_KEY=${KEY}\nINNGEST_BASE_URL=http://127.0.0.1:1/\n`);
    const r = await runCli(["--env-file", "ci.env", "detail", "9", "--json"], { env: { INNGEST_BASE_URL: api.url }, cwd: dir });
    expect(r.code).toBe(0);
    expect(api.requests[0]!.path).toBe(`/e/${KEY}`);
    const missing = await runCli(["detail", "9", "--env-file", "nope.env"], { cwd: dir });
    expect(missing.code).toBe(78);
    expect(missing.stderr).toContain("--env-file: nope.env does not exist");
  });

  it(".env.local and .env are both read, .env.local first; real variables win over both", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dotenv-local-"));
    writeFileSync(join(dir, ".env.local"), `INNGEST_DEV=${api.url}\n`);
    writeFileSync(join(dir, ".env"), "INNGEST_DEV=http://127.0.0.1:1/\nINNGEST_ENV=from-dotenv\n");
    const r = await runCli(["detail", "10", "--json", "--debug"], { cwd: dir });
    expect(r.code).toBe(0);
    const doc = sendResultSchema.parse(JSON.parse(r.stdout));
    expect(doc.target).toMatchObject({ mode: "dev", branchEnv: { name: "from-dotenv", from: "INNGEST_ENV" } });
    expect(api.events()).toHaveLength(1); // .env.local's INNGEST_DEV, not .env's
    expect(r.stderr).toContain(`env files loaded: ${join(dir, ".env.local")}, ${join(dir, ".env")}`);
    const real = await runCli(["detail", "10", "--json"], { cwd: dir, env: { INNGEST_ENV: "real" } });
    expect(JSON.parse(real.stdout).target.branchEnv).toEqual({ name: "real", from: "INNGEST_ENV" });
  });

  it(".env in the working directory is read quietly", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dotenv-"));
    writeFileSync(join(dir, ".env"), `INNGEST_DEV=${api.url}\n`);
    const r = await runCli(["detail", "10", "--json"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).target.mode).toBe("dev");
    expect(api.events()).toHaveLength(1);
  });

  it("connection refused: exit 69 after the SDK's retries; nothing left the process, so it says nothing was sent", async () => {
    const port = await freePort(); // nothing listens there
    const r = await runCli(["detail", "1", "--json"], { env: { INNGEST_EVENT_KEY: KEY, INNGEST_BASE_URL: `http://127.0.0.1:${port}/` } });
    expect(r.code).toBe(69);
    const doc = errorResultSchema.parse(JSON.parse(r.stdout));
    expect(doc.error.code).toBe("EVENT_API_UNAVAILABLE");
    expect(doc.error.message).toContain("fetch failed");
    expect(doc.error.hint).toContain("nothing was sent");
    expect(doc).toMatchObject({ events: [], ids: [], unsent: [expect.objectContaining({ data: expect.objectContaining({ bdns: "1" }) })] });
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it("INNGEST_DEV with no Dev Server listening: says so and how to start one, no event-key hint", async () => {
    const port = await freePort();
    const r = await runCli(["detail", "1"], { env: { INNGEST_DEV: `http://127.0.0.1:${port}` } });
    expect(r.code).toBe(69);
    expect(r.stderr).toContain(`no Dev Server at http://127.0.0.1:${port}/`);
    expect(r.stderr).toContain(`npx inngest-cli@latest dev -p ${port}`);
    expect(r.stderr).not.toContain("INNGEST_EVENT_KEY");
    expect(r.stderr).not.toContain("fetch failed");
  });

  it("HTTP 500 on every attempt: exit 69 with the API's reason; requests left, so it never claims nothing was sent", async () => {
    api.setFault(() => ({ status: 500, body: '{"error":"boom"}' }));
    const r = await runCli(["detail", "1", "--run-id", "r500"], { env: cloud });
    expect(r.code).toBe(69);
    expect(r.stderr).toContain("500 boom");
    expect(api.requests.length).toBe(5); // the SDK's own attempts
    expect(r.stderr).not.toContain("nothing was sent");
    expect(r.stderr).toContain("same --run-id r500");
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it.each([401, 403])("HTTP %i: a rejected event key is configuration: exit 78 at once (no retries), saying how to fix it", async (status) => {
    api.setFault(() => ({ status, body: '{"error":"Event key not found"}' }));
    const r = await runCli(["detail", "1", "--json"], { env: cloud });
    expect(r.code).toBe(78);
    const doc = errorResultSchema.parse(JSON.parse(r.stdout));
    expect(doc.error).toMatchObject({ code: "EVENT_KEY_REJECTED", message: expect.stringContaining(`${status}`), hint: expect.stringContaining("INNGEST_EVENT_KEY") });
    expect(doc.error.message).toContain("Event key not found");
    expect(doc.unsent).toHaveLength(1);
    expect(api.requests).toHaveLength(1); // not the SDK's 5 attempts
  });

  it("a key echoed back by the event API is masked in every output", async () => {
    api.setFault(() => ({ status: 401, body: JSON.stringify({ error: `event key ${KEY} is not valid in this environment` }) }));
    const human = await runCli(["detail", "1"], { env: cloud });
    expect(human.stderr).toContain("event key *** is not valid in this environment");
    expect(human.stdout + human.stderr).not.toContain(KEY);
    const json = await runCli(["detail", "1", "--json"], { env: cloud });
    expect(JSON.parse(json.stdout).error.message).toContain("event key *** is not valid");
    expect(json.stdout + json.stderr).not.toContain(KEY);
  });

  it("a hung event API: --timeout ends the whole send, exit 69, and the events MAY have arrived", async () => {
    api.setFault(() => "hang");
    const r = await runCli(["detail", "1", "2", "--run-id", "t-1", "--timeout", "1500ms", "--json"], { env: cloud });
    expect(r.code).toBe(69);
    expect(api.requests.length).toBeGreaterThanOrEqual(1); // the request did leave
    const doc = errorResultSchema.parse(JSON.parse(r.stdout));
    expect(doc.error.code).toBe("EVENT_API_TIMEOUT");
    expect(doc.error.message).toContain("no answer from the event API within 1500ms");
    expect(doc.error.hint).toMatch(/MAY have arrived/);
    expect(doc.error.hint).toContain("same --run-id t-1");
    expect(doc.unsent).toHaveLength(2);
    expect(r.stdout + r.stderr).not.toContain("nothing was sent");
  });

  it.each(["abc", "0s", "10", "2h", "1.5s", "30 s"])("--timeout %j is a usage error naming the rule", async (value) => {
    const r = await runCli(["detail", "1", `--timeout=${value}`], { env: cloud });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--timeout: "${value}" must be a duration from 1ms to 1h, like 30s, 2m or 1500ms`);
    expect(api.requests).toHaveLength(0);
  });

  it("a batch that fails part-way says which events were sent and which were not", async () => {
    api.setFault((n) => (n >= 1 ? { status: 500, body: '{"error":"down"}' } : undefined));
    const codes = Array.from({ length: 700 }, (_, i) => String(i + 1)).join("\n");
    const r = await runCli(["detail", "--file", "-", "--json", "--run-id", "p"], { env: cloud, stdin: codes });
    expect(r.code).toBe(69);
    const doc = errorResultSchema.parse(JSON.parse(r.stdout));
    expect(doc.runId).toBe("p");
    expect(doc.events).toHaveLength(500);
    expect(doc.ids).toHaveLength(500);
    expect(doc.unsent).toHaveLength(200);
    expect(doc.unsent![0]!.data.bdns).toBe("501");
    expect(doc.error.message).toContain("batch 2 of 2");
    expect(doc.error.hint).toContain("500 events were sent before the failure and 200 were not");
    expect(doc.error.hint).toContain("same --run-id p");
  });
});

describe("help, version, color", () => {
  it("--help on the program and every command, with examples and env vars", async () => {
    for (const args of [["--help"], ["detail", "--help"], ["sync", "--help"], ["document", "--help"]]) {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Examples:");
    }
    expect((await runCli(["detail", "--help"])).stdout).toContain("INNGEST_EVENT_KEY");
    for (const command of ["detail", "sync", "document"]) {
      expect((await runCli([command, "--help"])).stdout.replace(/\s+/g, " ")).toMatch(/--timeout <duration> give up on the send after this long, every retry included .* \(default: "30s"\)/);
    }
  });

  it("every command's --help shows the global options too (--json, --quiet, --env-file …)", async () => {
    for (const command of ["datasets", "runs", "status", "doctor", "serve", "detail"]) {
      const help = (await runCli([command, "--help"])).stdout;
      expect(help, command).toContain("Global Options:");
      for (const flag of ["--json", "-q, --quiet", "--no-color", "--env-file <path>"]) expect(help, `${command} ${flag}`).toContain(flag);
    }
  });

  it.each(["--version", "-v", "-V"])("%s prints the package version", async (flag) => {
    const r = await runCli([flag]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("a reader that stops early (| head) ends it quietly, no EPIPE crash, with 141 (the output was cut, as SIGPIPE would)", async () => {
    const child = spawn(process.execPath, ["--", BIN, "detail", "--file", "-", "--dry-run"], { env: { PATH: process.env.PATH ?? "", CI: "1" }, stdio: ["pipe", "pipe", "pipe"] });
    child.stdin.end(Array.from({ length: 20_000 }, (_, i) => String(i + 1)).join("\n")); // ~4 MB of dry-run lines
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    child.stdout.once("data", () => child.stdout.destroy()); // as `head -1` does after its line
    const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
    expect(stderr).not.toContain("EPIPE");
    expect(stderr).not.toContain("stdout was closed"); // nothing was being followed or sent: nothing to say
    expect(code).toBe(141);
  });

  it("NO_COLOR wins over FORCE_COLOR; FORCE_COLOR alone colors", async () => {
    const colored = await runCli(["detail", "1"], { env: { ...dev, FORCE_COLOR: "1" } });
    expect(colored.stdout).toContain("\u001b[");
    const plain = await runCli(["detail", "1"], { env: { ...dev, FORCE_COLOR: "1", NO_COLOR: "1" } });
    expect(plain.stdout).not.toContain("\u001b[");
    const flag = await runCli(["detail", "1", "--no-color"], { env: { ...dev, FORCE_COLOR: "1" } });
    expect(flag.stdout).not.toContain("\u001b[");
  });

  it("--quiet leaves only the result lines, and they carry the runId a CI step needs", async () => {
    const r = await runCli(["detail", "1", "2", "-q", "--run-id", "q-1"], { env: dev });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim().split("\n")).toEqual([expect.stringMatching(/^sent \S+  bdns=1  runId=q-1  id=\S+$/), expect.stringMatching(/^sent \S+  bdns=2  runId=q-1  id=\S+$/)]);
  });
});

describe("interrupt", () => {
  function startSend(args: string[]) {
    const child = spawn(process.execPath, ["--", BIN, ...args], {
      cwd: mkdtempSync(join(tmpdir(), "ayida-int-")),
      env: { PATH: process.env.PATH ?? "", CI: "1", FORCE_COLOR: "0", ...dev },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    const exit = new Promise<number | null>((r) => child.once("close", (c) => r(c)));
    return { child, exit, out: () => ({ stdout, stderr }) };
  }

  it("Ctrl-C while sending: exit 130, saying how many events were sent", async () => {
    api.setFault(() => "hang");
    const run = startSend(["detail", "1", "2", "--run-id", "int-1"]);
    while (api.requests.length === 0) await new Promise((r) => setTimeout(r, 20)); // the send is under way
    run.child.kill("SIGINT");
    expect(await run.exit).toBe(130);
    expect(run.out().stderr).toContain("interrupted by SIGINT: 0 of 2 events were sent (runId int-1)");
  });

  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)("--json and %s while sending: exit %i and exactly one JSON document with what was and was not sent", async (signal, code) => {
    // The first batch is accepted, the second hangs: a signal then, with one batch in and one out.
    api.setFault((n) => (n >= 1 ? "hang" : undefined));
    const codes = Array.from({ length: 600 }, (_, i) => String(i + 1)).join("\n");
    const run = startSend(["detail", "--file", "-", "--json", "--run-id", "int-json"]);
    run.child.stdin?.end(codes);
    while (api.requests.length < 2) await new Promise((r) => setTimeout(r, 20));
    run.child.kill(signal);
    expect(await run.exit).toBe(code);
    const doc = errorResultSchema.parse(JSON.parse(run.out().stdout)); // one document, nothing else
    expect(doc).toMatchObject({ ok: false, command: "detail", runId: "int-json", error: { code: "INTERRUPTED", message: expect.stringContaining(signal) } });
    expect(doc.events).toHaveLength(500);
    expect(doc.ids).toEqual(api.requests[0]!.ids);
    expect(doc.unsent).toHaveLength(100);
    expect(doc.unsentMayHaveArrived).toBe(true); // their request left and had no answer yet
  });
});

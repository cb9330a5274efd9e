/**
 * `--wait` as a real process: the built CLI sends to the loopback event API, then follows the run in a
 * real SQLite store whose rows this test advances the way the functions do (the same Store methods),
 * or that the real functions advance (@inngest/test on the events that arrived). Success, one failure,
 * a timeout, never picked up (and busy, which is not that), Ctrl-C, `sync all`, and what is refused
 * before anything is sent.
 */
import { existsSync, mkdtempSync } from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RunQueries } from "../../src/adapters/store/run-queries.js";
import { Store, workItem } from "../../src/adapters/store/store.js";
import { readRunState } from "../../src/runs/state.js";
import { errorResultSchema, sendResultSchema } from "../../src/cli/output-schemas.js";
import { SYNCABLE_DATASETS } from "../../src/contracts/datasets.js";
import { makeDataset } from "../support/bdns-server.js";
import { runCli, startCli, until, type RunningCli } from "../support/cli.js";
import { startFakeEventApi, type FakeEventApi } from "../support/event-api.js";
import { startJobsHarness } from "../support/jobs.js";

let api: FakeEventApi;
beforeAll(async () => {
  api = await startFakeEventApi();
});
afterAll(() => api.close());

let dir: string;
let file: string;
let store: Store;
let env: Record<string, string>;
let running: RunningCli | undefined;
beforeEach(async () => {
  api.requests.length = 0;
  api.setFault(undefined);
  api.setRuns(undefined);
  dir = mkdtempSync(join(tmpdir(), "ayida-wait-"));
  file = join(dir, "ayida.db");
  store = await Store.open(file); // what `serve` creates; the CLI only reads it
  env = { INNGEST_DEV: api.url, DATABASE_URL: file };
});
afterEach(async () => {
  if (running && !running.exited()) running.signal("SIGKILL");
  running = undefined;
  await store.close();
});

const wait = (args: string[], extra: Record<string, string> = {}) => (running = startCli([...args, "--poll", "100ms"], { env: { ...env, ...extra }, cwd: dir }));
const arrived = (n: number) => until(`${n} event(s) at the event API`, () => api.events().length >= n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const oneDocument = (stdout: string) => {
  expect(stdout.trim().split("\n")).toHaveLength(1);
  return JSON.parse(stdout) as Record<string, unknown>;
};

describe("--wait", () => {
  it("success: waits for every item the request sent, then exits 0 with the run in the one JSON document", async () => {
    const cli = wait(["detail", "900000", "900001", "--run-id", "w-ok", "--wait", "--json"]);
    await arrived(2);
    await store.ensureRun("w-ok", "detail");
    await store.itemDone("w-ok", workItem.detail("900000"), "stored");
    await sleep(400);
    expect(cli.exited()).toBe(false); // 900001 not picked up yet: the store alone would call this run done
    await store.itemDone("w-ok", workItem.detail("900001"), "unchanged");
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(0);
    const doc = sendResultSchema.parse(oneDocument(r.stdout));
    expect(doc).toMatchObject({ ok: true, command: "detail", runId: "w-ok", dryRun: false, run: { runId: "w-ok", state: "succeeded", done: true, awaiting: [], totals: { items: { stored: 1, unchanged: 1, total: 2 } } } });
    expect(doc.ids).toHaveLength(2);
    expect(r.stderr).toBe("");
  });

  it("one failure: exit 1, the failure listed on stderr and in the JSON document, with how to retry", async () => {
    const cli = wait(["sync", "convocatorias", "--from", "2026-11-21", "--to", "2026-11-27", "--run-id", "w-fail", "--wait", "--json"]);
    await arrived(1);
    await store.ensureRun("w-fail", "sync", { from: "2026-11-21", to: "2026-11-27" });
    await store.setPieces("w-fail", 1);
    await store.count("w-fail", "listed", 2);
    await store.queueItems("w-fail", [workItem.detail("11"), workItem.detail("12")]);
    await store.itemDone("w-fail", workItem.piece({ from: "2026-11-21", to: "2026-11-27" }), "stored");
    await store.completePiece("w-fail");
    await store.itemDone("w-fail", workItem.detail("11"), "stored");
    await sleep(300);
    expect(cli.exited()).toBe(false);
    await store.recordFailure("w-fail", workItem.detail("12"), { failure: "NOT_FOUND", reason: "convocatoria 12 not found in BDNS" });
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(1);
    const doc = errorResultSchema.parse(oneDocument(r.stdout));
    expect(doc).toMatchObject({ ok: false, command: "sync", runId: "w-fail", error: { code: "RUN_FAILED", hint: expect.stringContaining("ayida-jobs retry w-fail") } });
    expect(doc.run).toMatchObject({ state: "failed", failures: [expect.objectContaining({ kind: "detail", item: "12", failure: "NOT_FOUND" })] });
    expect(doc.events).toHaveLength(1);
    expect(r.stderr).toContain("run w-fail failed: 1 item failed for good:\n  convocatorias detail 12  NOT_FOUND: convocatoria 12 not found in BDNS");
  });

  it("people get progress on stderr and the outcome on stdout; -q keeps only the result lines", async () => {
    const cli = wait(["document", "900000", "77", "--run-id", "w-text", "--wait"]);
    await arrived(1);
    await store.ensureRun("w-text", "document");
    await store.itemFailing("w-text", workItem.document("900000", "77"), { attempt: 1, maxAttempts: 5, failure: "SERVER", reason: "HTTP 503", nextAttemptAt: new Date(Date.now() + 60_000).toISOString() });
    await until("progress", () => cli.stderr().includes("failing 1 (attempt 1 of 5"));
    await store.itemDone("w-text", workItem.document("900000", "77"), "stored");
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("1 event(s) sent, runId w-text; waiting for the run (store ");
    expect(r.stderr).toMatch(/convocatorias · rows 0 · queued 0 · stored 0 · unchanged 0 · failing 1 \(attempt 1 of 5, next \d\d:\d\d:\d\dZ\) · failed 0/);
    expect(r.stdout).toMatch(/^sent documents\/storage.requested .*\nrun w-text succeeded in \d+(ms|s): rows 0 · queued 0 · stored 1 · unchanged 0 · failing 0 · failed 0\n$/);

    const q = wait(["detail", "5", "--run-id", "w-quiet", "--wait", "-q"]);
    await arrived(2);
    await store.ensureRun("w-quiet", "detail");
    await store.itemDone("w-quiet", workItem.detail("5"), "stored");
    const rq = await q.done;
    expect(rq.code).toBe(0);
    expect(rq.stderr).toBe("");
    expect(rq.stdout.split("\n").filter(Boolean).map((l) => l.split(" ")[0])).toEqual(["sent", "run"]);
  });

  it("timeout: exit 124 at --wait-timeout, saying what is still pending; the work goes on", async () => {
    const cli = wait(["detail", "7", "--run-id", "w-slow", "--wait-timeout", "1500ms", "--json"]);
    await arrived(1);
    await store.ensureRun("w-slow", "detail");
    await store.itemFailing("w-slow", workItem.detail("7"), { attempt: 2, maxAttempts: 6, failure: "SERVER", reason: "HTTP 500", nextAttemptAt: "2030-01-01T00:00:30.000Z" });
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(124);
    const doc = errorResultSchema.parse(oneDocument(r.stdout));
    expect(doc).toMatchObject({ error: { code: "WAIT_TIMEOUT" }, run: { state: "running", failing: [expect.objectContaining({ item: "7", attempt: 2, maxAttempts: 6 })] } });
    expect(r.stderr).toContain("run w-slow is not done after 1s (--wait-timeout); still pending: convocatorias: failing 1 (attempt 2 of 6, next 00:00:30Z)");
    expect(r.stderr).toContain("hint: the work goes on (do not send it again); follow it with: ayida-jobs status w-slow --watch");
  });

  it("never picked up: nothing in the store and nothing else running after the grace period → exit 75 with the likely causes", async () => {
    const started = Date.now();
    const cli = wait(["detail", "8", "--run-id", "w-lost", "--wait", "--pickup-timeout", "1s", "--json"]);
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(75);
    expect(Date.now() - started).toBeLessThan(8000);
    const doc = errorResultSchema.parse(oneDocument(r.stdout));
    expect(doc).toMatchObject({ error: { code: "NOT_PICKED_UP" }, run: { state: "pending", awaiting: [{ dataset: "convocatorias", kind: "detail", expected: 1, seen: 0 }] } });
    expect(r.stderr).toContain("no function picked up run w-lost within 1s, and nothing else ran meanwhile: the events reached Inngest, but it started no function run for 1 of the 1 asked about");
    expect(r.stderr).toMatch(/not synced with Inngest .*ayida-jobs doctor.*send again with a new --run-id/s);
    // Where to look is the Dev Server this CLI sends to, not the default one.
    expect(r.stderr).toContain(`the Inngest Dev Server at ${new URL(api.url).href} (Apps) lists the app and its functions`);
    expect(r.stderr).not.toContain("localhost:8288");
  });

  it("nothing in the store, but Inngest ran the functions and they failed: exit 1 saying what they failed on, not 'not synced'", async () => {
    // A store serve cannot write (read-only, a full disk): every attempt fails before anything is recorded.
    api.setRuns(() => [{ run_id: "01RUNRO", status: "Failed", ended_at: new Date().toISOString(), output: { error: { name: "SqliteError", message: "attempt to write a readonly database" } } }]);
    const r = await wait(["detail", "8", "--run-id", "w-ro", "--wait", "--pickup-timeout", "1s", "--json"]).done;
    expect(r.code, r.stderr).toBe(1);
    const doc = errorResultSchema.parse(oneDocument(r.stdout));
    expect(doc).toMatchObject({ error: { code: "RUN_FAILED" }, events: [{ name: "convocatorias/detail.requested" }], run: { state: "pending" } });
    expect(doc.engine).toEqual({ checked: 1, of: 1, going: 0, completed: 0, none: 0, ended: [{ name: "convocatorias/detail.requested", id: "convocatorias/detail.requested?bdns=8&runId=w-ro", status: "failed", runId: "01RUNRO", error: "attempt to write a readonly database" }] });
    expect(doc.error.message).toContain("they failed before the store could record anything: attempt to write a readonly database");
    expect(doc.error.message).toContain("convocatorias/detail.requested?bdns=8&runId=w-ro: Inngest ended its function run 01RUNRO as failed (attempt to write a readonly database)");
    expect(r.stderr).not.toContain("not synced");
    // It asked the engine about the event it sent, by the id the event API gave it.
    const [sentId] = api.requests.find((q) => q.key !== undefined)!.ids!;
    expect(api.requests.map((q) => q.path)).toContain(`/v1/events/${sentId}/runs`);
  });

  it("nothing in the store while Inngest still runs the functions: not 'never picked up', it says so and keeps waiting", async () => {
    api.setRuns(() => [{ run_id: "01RUNGO", status: "Running" }]);
    const cli = wait(["detail", "12", "--run-id", "w-going", "--wait", "--pickup-timeout", "700ms"]);
    await until("the note", () => cli.stderr().includes("but Inngest is running 1 of the 1 function run(s) asked about"), 10_000);
    expect(cli.exited()).toBe(false);
    await store.ensureRun("w-going", "detail");
    await store.itemDone("w-going", workItem.detail("12"), "stored");
    expect((await cli.done).code).toBe(0);
  });

  it("an event the store never shows while the rest of the run is done: once Inngest says its run ended, it fails the run, named", async () => {
    api.setRuns((e) => (e.data.bdns === "14" ? [{ run_id: "01RUN14", status: "Failed", ended_at: new Date().toISOString(), output: { error: { message: "Unable to reach SDK URL" } } }] : [{ run_id: "01RUN13", status: "Completed" }]));
    const cli = wait(["detail", "13", "14", "--run-id", "w-half", "--wait", "--pickup-timeout", "700ms", "--json"]);
    await arrived(2);
    await store.ensureRun("w-half", "detail");
    await store.itemDone("w-half", workItem.detail("13"), "stored");
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(1);
    const doc = errorResultSchema.parse(oneDocument(r.stdout));
    expect(doc).toMatchObject({ error: { code: "RUN_FAILED" }, run: { state: "failed", done: true, failures: [{ dataset: "convocatorias", kind: "detail", item: "14", bdns: "14", failure: "ENGINE_FAILED", reason: expect.stringContaining("(Unable to reach SDK URL)") }] } });
    expect(r.stderr).toContain("convocatorias detail 14  ENGINE_FAILED");
  });

  it("queued behind other work is not 'never picked up': it keeps waiting while other runs move", async () => {
    await store.ensureRun("busy", "sync");
    const cli = wait(["detail", "9", "--run-id", "w-queued", "--wait", "--pickup-timeout", "700ms"]);
    await arrived(1);
    for (let i = 0; i < 12; i++) {
      await store.itemDone("busy", workItem.detail(String(100 + i)), "stored"); // another run, moving
      await sleep(150);
    }
    expect(cli.exited()).toBe(false);
    expect(cli.stderr()).toContain("run w-queued is not picked up yet after 700ms, but other work is moving: it is queued behind it; still waiting");
    await store.ensureRun("w-queued", "detail");
    await store.itemDone("w-queued", workItem.detail("9"), "stored");
    expect((await cli.done).code).toBe(0);
  });

  it("Ctrl-C: exit 130, one JSON document, the work goes on and `status --watch` follows it", async () => {
    const cli = wait(["detail", "10", "11", "--run-id", "w-int", "--wait", "--json"]);
    await arrived(2);
    await store.ensureRun("w-int", "detail");
    await store.itemDone("w-int", workItem.detail("10"), "stored");
    await sleep(1000); // reads every 100 ms: it has read the run since
    cli.signal("SIGINT");
    const r = await cli.done;
    expect(r.code).toBe(130);
    const doc = errorResultSchema.parse(oneDocument(r.stdout));
    expect(doc).toMatchObject({ ok: false, command: "detail", runId: "w-int", error: { code: "INTERRUPTED", hint: "follow it with: ayida-jobs status w-int --watch" } });
    expect(doc.error.message).toMatch(/^interrupted by SIGINT: stopped waiting for run w-int; the work goes on \(running: /);
    expect(doc.run).toMatchObject({ runId: "w-int", state: "running", awaiting: [{ kind: "detail", expected: 2, seen: 1 }] });
    expect(doc.events).toHaveLength(2);
  });

  it("sync all: one runId over every dataset; done only when every dataset's sync is", async () => {
    const cli = wait(["sync", "all", "--run-id", "w-all", "--wait", "--json"]);
    await arrived(SYNCABLE_DATASETS.length);
    for (const d of SYNCABLE_DATASETS.slice(0, -1)) {
      await store.ensureRun("w-all", "sync", {}, d);
      await store.setPieces("w-all", 1, d);
      await store.itemDone("w-all", { dataset: d, kind: "piece", key: "p" }, "stored");
      await store.completePiece("w-all", d);
    }
    await sleep(400);
    expect(cli.exited()).toBe(false);
    const last = SYNCABLE_DATASETS.at(-1)!;
    await store.ensureRun("w-all", "sync", {}, last);
    await store.finishRun("w-all", "succeeded", last);
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(0);
    const doc = sendResultSchema.parse(oneDocument(r.stdout));
    expect(doc.run!.datasets.map((d) => d.dataset).sort()).toEqual([...SYNCABLE_DATASETS].sort());
    expect(doc.run).toMatchObject({ state: "succeeded", totals: { pieces: { total: SYNCABLE_DATASETS.length - 1, done: SYNCABLE_DATASETS.length - 1 } } });
  });

  it("with the real functions running what arrived: a detail and the documents it fans out", async () => {
    const h = await startJobsHarness(makeDataset(1, { docs: 2 }), { databaseUrl: file });
    try {
      const cli = wait(["detail", "900000", "--run-id", "w-real", "--wait", "--json"]);
      await arrived(1);
      const runs = await h.runAll(api.events()[0]!);
      expect(runs.map((x) => [x.name, x.error])).toEqual([
        ["convocatorias/detail.requested", undefined],
        ["documents/storage.requested", undefined],
        ["documents/storage.requested", undefined],
      ]);
      const r = await cli.done;
      expect(r.code, r.stderr).toBe(0);
      expect(sendResultSchema.parse(JSON.parse(r.stdout)).run).toMatchObject({
        state: "succeeded",
        datasets: [expect.objectContaining({ kind: "detail", counters: expect.objectContaining({ new: 1, documentsStored: 2 }), itemsByKind: { detail: expect.objectContaining({ stored: 1 }), document: expect.objectContaining({ stored: 2 }) } })],
      });
    } finally {
      await h.close();
    }
  });
});

describe("--wait refuses before sending", () => {
  it("nowhere to read the run from: exit 78, nothing sent", async () => {
    const r = await runCli(["detail", "1", "--wait"], { env: { INNGEST_DEV: api.url } });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain("nowhere to read runs from: AYIDA_SERVER_URL and DATABASE_URL are not set, and there is no store at ./data/ayida-jobs.db");
    expect(api.requests).toHaveLength(0);
  });

  it("a DATABASE_URL file that does not exist is not created: exit 78, nothing sent", async () => {
    const missing = join(dir, "nope", "x.db");
    const r = await runCli(["detail", "1", "--wait"], { env: { INNGEST_DEV: api.url, DATABASE_URL: missing } });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`the store ${missing} does not exist`);
    expect(api.requests).toHaveLength(0);
  });

  it("--timeout bounds the send: a wait-sized value says to use --wait-timeout", async () => {
    const r = await runCli(["sync", "convocatorias", "--wait", "--timeout", "2h"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--timeout: "2h" must be a duration from 1ms to 1h');
    expect(r.stderr).toContain("hint: --timeout bounds only the send; to bound the wait, use --wait-timeout 2h (it implies --wait)");
    expect(api.requests).toHaveLength(0);
  });

  it("without --wait the store is never opened: a send with a DATABASE_URL that cannot be opened just sends", async () => {
    const missing = join(dir, "nope", "x.db");
    const r = await runCli(["detail", "1", "--json"], { env: { INNGEST_DEV: api.url, DATABASE_URL: missing } });
    expect(r.code, r.stderr).toBe(0);
    expect(api.events()).toHaveLength(1);
    expect(existsSync(join(dir, "nope"))).toBe(false);
    const pg = await runCli(["detail", "2"], { env: { INNGEST_DEV: api.url, DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" } });
    expect(pg.code, pg.stderr).toBe(0);
  });

  it("Ctrl-C while the server that runs are read from hangs: exit 130, one JSON document saying nothing was sent", async () => {
    let asked = 0;
    const hung = net.createServer((socket) => void (asked++, socket.on("data", () => {}))); // accepts, never answers
    await new Promise<void>((r) => hung.listen(0, "127.0.0.1", r));
    try {
      const cli = wait(["sync", "organos", "--run-id", "w-hung", "--wait", "--json"], { DATABASE_URL: "", AYIDA_SERVER_URL: `http://127.0.0.1:${(hung.address() as AddressInfo).port}`, CRON_SECRET: "cron-secret-for-wait-0123" });
      await until("the CLI asking the server", () => asked > 0 || cli.exited(), 10_000);
      cli.signal("SIGINT");
      const r = await cli.done;
      expect(r.code, r.stderr).toBe(130);
      const doc = errorResultSchema.parse(oneDocument(r.stdout));
      expect(doc).toMatchObject({ error: { code: "INTERRUPTED", message: expect.stringContaining("nothing was sent") }, events: [], ids: [], unsent: [{ name: "organos/sync.requested" }] });
      expect(doc).not.toHaveProperty("unsentMayHaveArrived");
      expect(r.stderr).toContain("nothing was sent");
      expect(api.requests).toHaveLength(0);
    } finally {
      await new Promise((r) => hung.close(r));
    }
  });

  it("where runs are read from fails after the send: the failure document still carries what was sent and the run, and says the events were delivered", async () => {
    // A deployment's serve that answers the first reads (the run not picked up yet), then refuses the
    // secret: a rotated CRON_SECRET, a proxy gone wrong. Any failure after the send is the same case.
    let reads = 0;
    const pending = await readRunState(new RunQueries(store.db), "w-lost-store"); // what serve answers for a run it does not know yet
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      if (url.pathname === "/api/runs") return void res.end(JSON.stringify({ ok: true, runs: [], lastActivityAt: null }));
      if (++reads > 2) return void res.writeHead(401).end(JSON.stringify({ ok: false, error: { code: "UNAUTHORIZED", message: "bad secret" } }));
      res.end(JSON.stringify({ ok: true, run: pending }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const r = await wait(["detail", "900003", "--run-id", "w-lost-store", "--wait", "--json"], { DATABASE_URL: "", AYIDA_SERVER_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, CRON_SECRET: "cron-secret-for-wait-0123" }).done;
      expect(r.code, r.stderr).toBe(78);
      const doc = errorResultSchema.parse(oneDocument(r.stdout));
      expect(doc).toMatchObject({ runId: "w-lost-store", error: { code: "RUNS_REFUSED" }, events: [{ name: "convocatorias/detail.requested", data: { bdns: "900003" } }], ids: [expect.any(String)], run: { runId: "w-lost-store", state: "pending" } });
      expect(doc.error.hint).toMatch(/^the 1 event was delivered \(runId w-lost-store\): the work goes on; do not send it again\. /);
      expect(r.stderr).toContain("the 1 event was delivered (runId w-lost-store)");
      expect(api.events()).toHaveLength(1);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("bad wait durations are usage errors; --dry-run ignores --wait and opens nothing", async () => {
    const r = await runCli(["detail", "1", "--wait-timeout", "soon"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--wait-timeout: "soon" must be a duration from 1ms to 7d');
    const d = await runCli(["detail", "1", "--wait", "--dry-run", "--json"], { env: { INNGEST_DEV: api.url } });
    expect(d.code).toBe(0);
    expect(sendResultSchema.parse(JSON.parse(d.stdout))).toMatchObject({ dryRun: true });
    expect(api.requests).toHaveLength(0);
  });

  it("--dry-run validates the wait options as a send does (the dry run is how a CI step checks its command line)", async () => {
    const cases: Array<[string[], string]> = [
      [["detail", "1", "--wait-timeout", "8d", "--dry-run"], '--wait-timeout: "8d" must be a duration from 1ms to 7d'],
      [["sync", "organos", "--wait", "--pickup-timeout", "soon", "--dry-run"], '--pickup-timeout: "soon" must be a duration'],
      [["document", "1", "d", "--pickup-timeout", "0s", "--dry-run", "--json"], '--pickup-timeout: "0s" must be a duration'],
      [["detail", "1", "--pickup-timeout", "soon"], '--pickup-timeout: "soon" must be a duration'], // given without --wait: still checked
    ];
    for (const [args, says] of cases) {
      const r = await runCli(args, { env: { INNGEST_DEV: api.url } });
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(says);
      if (args.includes("--json")) expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: "USAGE" } });
    }
    expect(api.requests).toHaveLength(0);
  });
});

/**
 * Following runs on a real terminal (util-linux `script` gives the CLI a pty, as tty.e2e.test.ts does):
 * `--wait` draws its progress as the spinner does and clears it; `status --watch` redraws the status in
 * place until the run ends; Ctrl-C stops watching with 130; `runs` fits a narrow terminal.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Store, workItem } from "../../src/adapters/store/store.js";
import { BIN, until } from "../support/cli.js";
import { startFakeEventApi, type FakeEventApi } from "../support/event-api.js";
import { Screen } from "../support/screen.js";

const HIDE_CURSOR = "\u001b[?25l";
const SHOW_CURSOR = "\u001b[?25h";
const plain = (s: string) => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "");

let api: FakeEventApi;
beforeAll(async () => {
  api = await startFakeEventApi();
});
afterAll(() => api.close());

let dir: string;
let store: Store;
beforeEach(async () => {
  api.requests.length = 0;
  dir = mkdtempSync(join(tmpdir(), "ayida-runs-pty-"));
  store = await Store.open(join(dir, "data", "ayida-jobs.db")); // the default store, in the working directory
});
afterEach(() => store.close());

interface PtyRun {
  code: number | null;
  output: string;
}

function runInPty(stty: string, args: string[], o: { during?: (p: { type: (s: string) => void; output: () => string }) => Promise<void> } = {}): Promise<PtyRun> {
  const command = `stty ${stty}; echo $$ > cli.pid; exec ${process.execPath} -- ${BIN} ${args.map((a) => `'${a}'`).join(" ")}`;
  const child = spawn("script", ["-qefc", command, "/dev/null"], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", TERM: "xterm-256color", FORCE_COLOR: "1", INNGEST_DEV: api.url },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (output += c.toString("utf8")));
  const done = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const limit = setTimeout(() => {
    try {
      process.kill(Number(readFileSync(join(dir, "cli.pid"), "utf8")), "SIGKILL");
    } catch {
      child.kill("SIGKILL");
    }
  }, 15_000);
  void o.during?.({ type: (s) => child.stdin.write(s), output: () => output });
  return done.then((code) => {
    clearTimeout(limit);
    return { code, output };
  });
}

describe("on a terminal", () => {
  it("status --watch redraws the status in place and ends with the run", async () => {
    await store.ensureRun("tw", "detail");
    await store.queueItems("tw", [workItem.detail("1"), workItem.detail("2")]);
    const r = await runInPty("cols 100 rows 30", ["status", "tw", "--watch", "--poll", "100ms"], {
      during: async ({ output }) => {
        await until("the first drawing", () => plain(output()).includes("queued 2"));
        await store.itemDone("tw", workItem.detail("1"), "stored");
        await until("a redraw", () => plain(output()).includes("queued 1 · stored 1"));
        await store.itemDone("tw", workItem.detail("2"), "stored");
      },
    });
    expect(r.code, plain(r.output)).toBe(0);
    expect(r.output).toMatch(/\u001b\[\d+F\u001b\[0J/); // up to the block's first line, clear below: drawn again in place
    expect(plain(r.output)).toContain("Ctrl-C stops watching");
    const lastDrawing = plain(r.output).split("run tw: ").at(-1)!;
    expect(lastDrawing).toMatch(/^succeeded/);
    for (const line of plain(r.output).split(/\r?\n/)) expect(line.length).toBeLessThanOrEqual(100);
  });

  it("status --watch re-reads the width when the terminal narrows (SIGWINCH): the redraw fits and leaves nothing behind", async () => {
    await store.ensureRun("tn", "detail");
    await store.queueItems("tn", [workItem.detail("1"), workItem.detail("2")]);
    const screen = new Screen(40, 30);
    let fed = 0;
    let scrolledWhileUnchanged = -1;
    const feed = (all: string) => {
      screen.write(all.slice(fed));
      fed = all.length;
    };
    const r = await runInPty("cols 40 rows 30", ["status", "tn", "--watch", "--poll", "100ms"], {
      during: async ({ output }) => {
        await until("the first drawing", () => plain(output()).includes("queued 2"));
        await new Promise((res) => setTimeout(res, 300)); // a few redraws at 40 columns
        feed(output());
        // What `tmux resize-pane` or a dragged window edge does: the pty's size changes, the kernel
        // sends SIGWINCH to the CLI. From here the terminal is 15 columns wide.
        const tty = readlinkSync(`/proc/${readFileSync(join(dir, "cli.pid"), "utf8").trim()}/fd/1`);
        execFileSync("stty", ["-F", tty, "cols", "15"]);
        screen.resize(15);
        await new Promise((res) => setTimeout(res, 1000)); // ~10 polls at 15 columns, nothing changing
        feed(output());
        scrolledWhileUnchanged = screen.scrolled;
        await store.itemDone("tn", workItem.detail("1"), "stored");
        await store.itemDone("tn", workItem.detail("2"), "stored");
      },
    });
    expect(scrolledWhileUnchanged).toBeGreaterThanOrEqual(0);
    expect(scrolledWhileUnchanged).toBeLessThanOrEqual(2); // ten redraws in place: the screen does not run away
    feed(r.output);
    expect(r.code, plain(r.output)).toBe(0);
    const rows = screen.lines();
    for (const row of rows) expect(row.length, JSON.stringify(rows)).toBeLessThanOrEqual(15);
    // The last drawing is on the screen once, whole, every line cut to the new width — no leftovers of
    // earlier drawings (a redraw that counted wrapped rows as one leaves them behind).
    expect(rows.filter((l) => l.startsWith("run tn: "))).toEqual(["run tn: succe…"]);
    expect(rows.filter((l) => l.startsWith("  convocatori")), JSON.stringify(rows)).toHaveLength(1);
    expect(screen.scrolled).toBeLessThanOrEqual(4);
  });

  it("Ctrl-C stops watching: exit 130, saying the work goes on and how to follow it", async () => {
    await store.ensureRun("tc", "detail");
    await store.queueItems("tc", [workItem.detail("1")]);
    const r = await runInPty("cols 100 rows 30", ["status", "tc", "--watch", "--poll", "100ms"], {
      during: async ({ type, output }) => {
        await until("the first drawing", () => plain(output()).includes("queued 1"));
        type("\u0003");
      },
    });
    expect(r.code).toBe(130);
    expect(plain(r.output)).toContain("error: interrupted by SIGINT: stopped watching run tc; the work goes on");
    expect(plain(r.output)).toContain("hint: follow it with: ayida-jobs status tc --watch");
  });

  it("--wait draws its progress on one line, clears it, and shows the cursor again", async () => {
    const r = await runInPty("cols 120 rows 30", ["detail", "900000", "--run-id", "tp", "--wait", "--poll", "100ms"], {
      during: async ({ output }) => {
        await until("the event", () => api.events().length > 0);
        await store.ensureRun("tp", "detail");
        await store.itemFailing("tp", workItem.detail("900000"), { attempt: 1, maxAttempts: 6, failure: "SERVER", reason: "HTTP 500", nextAttemptAt: "2030-01-01T00:00:10.000Z" });
        await until("progress", () => plain(output()).includes("failing 1 (attempt 1 of 6, next 00:00:10Z)"));
        await store.itemDone("tp", workItem.detail("900000"), "stored");
      },
    });
    expect(r.code, plain(r.output)).toBe(0);
    expect(r.output).toContain(HIDE_CURSOR);
    expect(r.output.lastIndexOf(SHOW_CURSOR)).toBeGreaterThan(r.output.lastIndexOf(HIDE_CURSOR));
    expect(plain(r.output)).toContain("run tp succeeded in");
  });

  it("runs: a table on a wide terminal, one block per run on a narrow one", async () => {
    await store.ensureRun("a-rather-long-run-id-from-ci-4711", "sync", { from: "2026-11-21", to: "2026-11-27" });
    await store.setPieces("a-rather-long-run-id-from-ci-4711", 1);
    const wide = await runInPty("cols 200 rows 30", ["runs"]);
    expect(wide.code).toBe(0);
    expect(plain(wide.output)).toMatch(/RUN ID +DATASET +WINDOW +STARTED/);
    const narrow = await runInPty("cols 50 rows 30", ["runs"]);
    expect(narrow.code).toBe(0);
    const lines = plain(narrow.output).split(/\r?\n/).filter(Boolean);
    expect(lines[0]).toBe("a-rather-long-run-id-from-ci-4711  running");
    expect(lines.slice(1, 3)).toEqual(["  convocatorias · 2026-11-21..2026-11-27", expect.stringMatching(/^  started 2026-\d\d-\d\d \d\d:\d\dZ · \d+(ms|s|m \d\ds)…$/)]);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(50);
  });
});

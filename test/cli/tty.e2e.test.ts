/**
 * The CLI on a real terminal: util-linux `script` gives it a pty (the way `docker -t`, `kubectl exec -t`
 * and CI log viewers do), so progress, its cleanup and Ctrl-C are what a person would see.
 * Progress must never outlive or block the work: no spinner on a terminal without a usable width,
 * and a spinner that was drawn is always cleared and the cursor shown again, whatever ends the run.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BIN } from "../support/cli.js";
import { startFakeEventApi, type FakeEventApi } from "../support/event-api.js";

let api: FakeEventApi;
beforeAll(async () => {
  api = await startFakeEventApi();
});
afterAll(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
  api.setFault(undefined);
});

const HIDE_CURSOR = "\u001b[?25l";
const SHOW_CURSOR = "\u001b[?25h";
/** A hang would write hundreds of MB; a whole normal run on a terminal is a few KB. */
const MAX_OUTPUT = 200_000;

interface PtyRun {
  code: number | null;
  output: string;
  /** Ended by us after `limitMs`: the process hung. */
  hung: boolean;
}

/**
 * Runs the CLI inside `script` with the terminal set by `stty`. `during` may act while it runs (type
 * Ctrl-C, send a signal); the run is ended after `limitMs` if it has not ended by itself.
 */
function runInPty(stty: string, args: string[], o: { during?: (p: { type: (s: string) => void; cliPid: () => number; output: () => string }) => Promise<void>; limitMs?: number } = {}): Promise<PtyRun> {
  const cwd = mkdtempSync(`${tmpdir()}/ayida-pty-`);
  // `exec` keeps the shell's pid for the CLI, which it writes down first: the test can signal it.
  const command = `stty ${stty}; echo $$ > cli.pid; exec ${process.execPath} -- ${BIN} ${args.map((a) => `'${a}'`).join(" ")}`;
  const child = spawn("script", ["-qefc", command, "/dev/null"], {
    cwd,
    // No CI variable here: CI turns the spinner off by itself, and this is a person at a terminal.
    env: { PATH: process.env.PATH ?? "", TERM: "xterm-256color", FORCE_COLOR: "1", INNGEST_DEV: api.url },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  let hung = false;
  const take = (c: Buffer) => {
    if (output.length < MAX_OUTPUT * 5) output += c.toString("utf8");
  };
  child.stdout.on("data", take);
  child.stderr.on("data", take);
  const done = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const cliPid = () => Number(readFileSync(`${cwd}/cli.pid`, "utf8").trim());
  const limit = setTimeout(() => {
    hung = true;
    try {
      process.kill(cliPid(), "SIGKILL"); // the CLI under script; script then ends too
    } catch {
      child.kill("SIGKILL");
    }
  }, o.limitMs ?? 15_000);
  void o.during?.({ type: (s) => child.stdin.write(s), cliPid, output: () => output });
  return done.then((code) => {
    clearTimeout(limit);
    return { code, output, hung };
  });
}

/** What a person reads: the text without the terminal's control sequences. */
const plain = (s: string) => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "");

const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 20));
};

describe("progress on a terminal", () => {
  it("a terminal that reports 0 columns gets progress lines, no spinner, and the run ends", async () => {
    api.setFault(() => ({ delayMs: 500 })); // long enough for a spinner to redraw many times
    const r = await runInPty("cols 0 rows 0", ["detail", "1"]);
    expect(r.hung).toBe(false);
    expect(r.code).toBe(0);
    expect(r.output.length).toBeLessThan(MAX_OUTPUT);
    expect(plain(r.output)).toContain("sending 1 event(s)");
    expect(plain(r.output)).toContain("sent convocatorias/detail.requested");
    expect(r.output).not.toContain(HIDE_CURSOR);
  });

  it("a usable terminal gets a spinner, cleared and the cursor shown again at the end", async () => {
    api.setFault(() => ({ delayMs: 500 }));
    const r = await runInPty("cols 100 rows 30", ["detail", "1"]);
    expect(r.code).toBe(0);
    expect(r.output).toContain(HIDE_CURSOR);
    expect(r.output.lastIndexOf(SHOW_CURSOR)).toBeGreaterThan(r.output.lastIndexOf(HIDE_CURSOR));
    expect(plain(r.output)).toContain("sent convocatorias/detail.requested");
  });

  it.each([
    ["Ctrl-C", 130],
    ["SIGTERM", 143],
  ] as const)("%s while the spinner runs: it stops, the cursor comes back, exit %i saying what was sent", async (how, code) => {
    api.setFault(() => "hang");
    const r = await runInPty("cols 100 rows 30", ["detail", "1", "2", "--run-id", "pty-int"], {
      during: async ({ type, cliPid, output }) => {
        await until(() => api.requests.length > 0 && output().includes(HIDE_CURSOR));
        if (how === "Ctrl-C") type("\u0003");
        else process.kill(cliPid(), "SIGTERM");
      },
    });
    expect(r.hung).toBe(false);
    expect(r.code).toBe(code);
    expect(r.output.lastIndexOf(SHOW_CURSOR)).toBeGreaterThan(r.output.lastIndexOf(HIDE_CURSOR));
    expect(plain(r.output)).toContain("0 of 2 events were sent (runId pty-int)");
  });
});

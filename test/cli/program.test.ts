/**
 * The program a run builds: every start defines the commands it may run before parsing, and defining
 * all eleven (their options, arguments and help) was a fifth of what `detail --dry-run` spent in our
 * code. A run that names its command defines that one alone; anything else (no command, a typo, `help`,
 * `completion`, which describes them all) gets every command. What the user sees must not change.
 */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { Output } from "../../src/cli/output.js";
import { createProgram } from "../../src/cli/program.js";

function build(args?: string[]) {
  const sink = new PassThrough();
  const out = new Output({ json: false, quiet: true, color: false, debug: false }, sink, sink);
  const program = createProgram({ out, cwd: process.cwd(), stdin: process.stdin, state: {} }, { stdout: sink, stderr: sink }, args && ["node", "ayida-jobs", ...args]);
  return program.commands.map((c) => c.name());
}

const ALL = ["sync", "detail", "document", "serve", "dev", "datasets", "runs", "status", "retry", "doctor", "completion"];

describe("the commands a run defines", () => {
  it("without argv (docs, tests): every command", () => {
    expect(build()).toEqual(ALL);
  });

  it.each([
    [["detail", "1", "--dry-run"], ["detail"]],
    [["--json", "detail", "1"], ["detail"]],
    [["-q", "--no-color", "sync", "all"], ["sync"]],
    [["--env-file", "detail", "status", "x"], ["status"]], // "detail" is --env-file's value here
    [["--env-file=prod.env", "runs"], ["runs"]],
    [["status", "--help"], ["status"]],
  ])("%j names its command: only %j", (args, expected) => {
    expect(build(args)).toEqual(expected);
  });

  it.each([[[]], [["--help"]], [["--version"]], [["detial", "1"]], [["help", "detail"]], [["completion", "bash"]], [["--", "detail"]], [["--env-file"]]])("%j: every command", (args) => {
    expect(build(args)).toEqual(ALL);
  });
});

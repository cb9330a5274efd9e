/**
 * The completion scripts in zsh and fish themselves (bash's, and the command, are in the fast suite:
 * test/cli/completion.test.ts): each is valid in its own shell and, run there, offers the commands,
 * the options and the dataset names (from the declarations).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { COMMANDS, DATASETS, RUN_DATASETS } from "../cli/completion-words.js";
import { runCli } from "../support/cli.js";
import { requireProgram, run as runProgram } from "./program.js";

const dir = mkdtempSync(join(tmpdir(), "ayida-completion-"));
const scripts: Record<string, string> = {};

beforeAll(async () => {
  requireProgram("zsh", "apt-get install zsh");
  requireProgram("fish", "apt-get install fish");
  for (const shell of ["zsh", "fish"]) {
    const r = await runCli(["completion", shell]);
    expect(r.code, r.stderr).toBe(0);
    scripts[shell] = join(dir, `ayida-jobs.${shell}`);
    writeFileSync(scripts[shell]!, r.stdout);
  }
});

const run = (shell: string, args: string[]) => runProgram(shell, args, { cwd: dir, env: { PATH: process.env.PATH ?? "", HOME: dir } });

describe("zsh", () => {
  it("is valid zsh", () => {
    expect(run("zsh", ["-n", scripts.zsh!])).toEqual({ status: 0, out: "" });
  });

  it("loads under compinit and registers itself for ayida-jobs", () => {
    const r = run("zsh", ["-f", "-c", `autoload -Uz compinit && compinit -u -d ${dir}/.zcompdump && source ${scripts.zsh} && print -r -- $_comps[ayida-jobs]`]);
    expect(r).toEqual({ status: 0, out: "_ayida_jobs\n" });
  });

  /** The function run with zsh's completion builtins replaced by ones that print what they are given. */
  const offer = (...words: string[]) => {
    const stubs = `compadd() { [[ $1 == -- ]] && shift; print -l -- "$@"; }; _describe() { print -l -- "\${(@)\${(@P)\${@[-1]}}%%:*}"; }; _files() { print -- '<files>'; }; compdef() { :; }`;
    const r = run("zsh", ["-f", "-c", `${stubs}; source ${scripts.zsh}; words=(${words.map((w) => `'${w}'`).join(" ")}); CURRENT=${words.length}; PREFIX='${words.at(-1)}'; _ayida_jobs`]);
    expect(r.status, r.out).toBe(0);
    return r.out.split("\n").filter(Boolean);
  };

  it("offers the commands, their options and the dataset names", () => {
    expect(offer("ayida-jobs", "")).toEqual(COMMANDS);
    expect(offer("ayida-jobs", "sync", "")).toEqual(DATASETS);
    expect(offer("ayida-jobs", "--json", "sync", "--to", "2026-01-01", "")).toEqual(DATASETS);
    expect(offer("ayida-jobs", "sync", "--")).toEqual(expect.arrayContaining(["--from", "--to", "--full", "--json"]));
    expect(offer("ayida-jobs", "--env-file", "")).toEqual(["<files>"]);
    expect(offer("ayida-jobs", "runs", "--dataset", "")).toEqual(RUN_DATASETS);
    expect(offer("ayida-jobs", "--json", "runs", "--limit", "5", "--dataset", "")).toEqual(RUN_DATASETS);
  });
});

describe("fish", () => {
  it("is valid fish", () => {
    expect(run("fish", ["--no-execute", scripts.fish!])).toEqual({ status: 0, out: "" });
  });

  const offer = (line: string) => {
    const r = run("fish", ["--no-config", "-c", `source ${scripts.fish}; complete -C '${line}'`]);
    expect(r.status, r.out).toBe(0);
    return r.out.split("\n").filter(Boolean).map((l) => l.split("\t")[0]!);
  };

  it("offers the commands, their options and the dataset names", () => {
    expect(offer("ayida-jobs ").sort()).toEqual(expect.arrayContaining([...COMMANDS.filter((c) => c !== "help")].sort()));
    expect(offer("ayida-jobs sync ").sort()).toEqual([...DATASETS].sort());
    expect(offer("ayida-jobs sync --f")).toEqual(expect.arrayContaining(["--from", "--full"]));
    expect(offer("ayida-jobs doctor --")).toEqual(expect.arrayContaining(["--url", "--timeout", "--json"]));
    expect(offer("ayida-jobs completion ").sort()).toEqual(["bash", "fish", "zsh"]);
    expect(offer("ayida-jobs runs --dataset ").sort()).toEqual([...RUN_DATASETS].sort());
    expect(offer("ayida-jobs runs --dataset con").sort()).toEqual(["concesiones", "convocatorias"]);
  });
});

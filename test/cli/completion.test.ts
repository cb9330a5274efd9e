/**
 * `ayida-jobs completion bash|zsh|fish`: each script is valid in its own shell and, run there, offers
 * the commands, the options and the dataset names (from the declarations). Each shell must be
 * installed (.ci/run installs zsh and fish): a missing one fails, saying how to get it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SYNCABLE_DATASETS } from "../../src/contracts/datasets.js";
import { runCli } from "../support/cli.js";

const has = (shell: string) => spawnSync("sh", ["-c", `command -v ${shell}`]).status === 0;
const DATASETS = [...SYNCABLE_DATASETS, "all"];
const COMMANDS = ["sync", "detail", "document", "serve", "datasets", "runs", "status", "retry", "doctor", "completion", "help"];

const dir = mkdtempSync(join(tmpdir(), "ayida-completion-"));
const scripts: Record<string, string> = {};

beforeAll(async () => {
  for (const shell of ["bash", "zsh", "fish"]) {
    const r = await runCli(["completion", shell]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    scripts[shell] = join(dir, `ayida-jobs.${shell}`);
    writeFileSync(scripts[shell]!, r.stdout);
  }
});

function run(shell: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(shell, args, { encoding: "utf8", cwd: dir, env: { PATH: process.env.PATH ?? "", HOME: dir } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("bash", () => {
  it("is valid bash", () => {
    expect(has("bash")).toBe(true);
    expect(run("bash", ["-n", scripts.bash!])).toEqual({ status: 0, out: "" });
  });

  /** What the completion function offers for a command line (the cursor at its end). */
  const offer = (...words: string[]) => {
    const r = run("bash", ["-c", `source ${scripts.bash}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _ayida_jobs; printf '%s\\n' "\${COMPREPLY[@]}"`]);
    expect(r.status, r.out).toBe(0);
    return r.out.split("\n").filter(Boolean);
  };

  it("offers the commands, their options and the dataset names", () => {
    expect(offer("ayida-jobs", "")).toEqual(COMMANDS);
    expect(offer("ayida-jobs", "d")).toEqual(["detail", "document", "datasets", "doctor"]);
    expect(offer("ayida-jobs", "sync", "")).toEqual(DATASETS);
    expect(offer("ayida-jobs", "sync", "pla")).toEqual(["planes-estrategicos"]);
    expect(offer("ayida-jobs", "--json", "sync", "--from", "2026-01-01", "con")).toEqual(["convocatorias", "concesiones"]);
    expect(offer("ayida-jobs", "sync", "--")).toEqual(expect.arrayContaining(["--from", "--to", "--full", "--run-id", "--dry-run", "--timeout", "--json", "--env-file"]));
    expect(offer("ayida-jobs", "doctor", "--")).toEqual(expect.arrayContaining(["--url", "--timeout", "--help"]));
    expect(offer("ayida-jobs", "completion", "")).toEqual(["bash", "zsh", "fish"]);
    expect(offer("ayida-jobs", "sync", "--from", "")).toEqual([]); // a value, not a dataset
  });

  it("offers the dataset names as the value of runs --dataset (not all: a run of all touches each)", () => {
    expect(offer("ayida-jobs", "runs", "--dataset", "")).toEqual([...SYNCABLE_DATASETS]);
    expect(offer("ayida-jobs", "runs", "--limit", "5", "--dataset", "con")).toEqual(["convocatorias", "concesiones"]);
    expect(offer("ayida-jobs", "runs", "--dataset", "organos", "")).toEqual([]); // runs takes no argument
  });

  it("completes file names after --env-file and --file", () => {
    writeFileSync(join(dir, ".env.production"), "INNGEST_DEV=1\n");
    expect(offer("ayida-jobs", "--env-file", ".env.p")).toEqual([".env.production"]);
    expect(offer("ayida-jobs", "detail", "--file", ".env.p")).toEqual([".env.production"]);
  });
});

describe("zsh", () => {
  it("is installed (apt-get install zsh)", () => expect(has("zsh"), "zsh is not installed: apt-get install zsh (.ci/run does)").toBe(true));

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
    expect(offer("ayida-jobs", "runs", "--dataset", "")).toEqual([...SYNCABLE_DATASETS]);
    expect(offer("ayida-jobs", "--json", "runs", "--limit", "5", "--dataset", "")).toEqual([...SYNCABLE_DATASETS]);
  });
});

describe("fish", () => {
  it("is installed (apt-get install fish)", () => expect(has("fish"), "fish is not installed: apt-get install fish (.ci/run does)").toBe(true));

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
    expect(offer("ayida-jobs runs --dataset ").sort()).toEqual([...SYNCABLE_DATASETS].sort());
    expect(offer("ayida-jobs runs --dataset con").sort()).toEqual(["concesiones", "convocatorias"]);
  });
});

describe("the command", () => {
  it("an unknown shell is a usage error (2)", async () => {
    const r = await runCli(["completion", "powershell"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('shell: "powershell" is not one of bash, zsh, fish');
  });

  it("works without any configuration, even a broken one", async () => {
    const r = await runCli(["completion", "bash"], { env: { PORT: "not-a-port", SCHEDULE_ORGANOS: "bad" } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("complete -o default -F _ayida_jobs ayida-jobs");
  });
});

/**
 * `ayida-jobs completion bash|zsh|fish`: bash's script is valid bash and, run there, offers the
 * commands, the options and the dataset names (from the declarations); the command's own behaviour.
 * zsh's and fish's scripts run in their shells in the tools suite (test/tools/completion-shells.tools.ts),
 * since a Node machine need not have those shells.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { COMMANDS, DATASETS, RUN_DATASETS } from "./completion-words.js";

const has = (shell: string) => spawnSync("sh", ["-c", `command -v ${shell}`]).status === 0;

const dir = mkdtempSync(join(tmpdir(), "ayida-completion-"));
const scripts: Record<string, string> = {};

beforeAll(async () => {
  for (const shell of ["bash"]) {
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
    expect(offer("ayida-jobs", "d")).toEqual(["detail", "document", "dev", "datasets", "doctor"]);
    expect(offer("ayida-jobs", "sync", "")).toEqual(DATASETS);
    expect(offer("ayida-jobs", "sync", "pla")).toEqual(["planes-estrategicos"]);
    expect(offer("ayida-jobs", "--json", "sync", "--from", "2026-01-01", "con")).toEqual(["convocatorias", "concesiones"]);
    expect(offer("ayida-jobs", "sync", "--")).toEqual(expect.arrayContaining(["--from", "--to", "--full", "--run-id", "--dry-run", "--timeout", "--json", "--env-file"]));
    expect(offer("ayida-jobs", "doctor", "--")).toEqual(expect.arrayContaining(["--url", "--timeout", "--help"]));
    expect(offer("ayida-jobs", "completion", "")).toEqual(["bash", "zsh", "fish"]);
    expect(offer("ayida-jobs", "sync", "--from", "")).toEqual([]); // a value, not a dataset
  });

  it("offers the dataset names as the value of runs --dataset (not all: a run of all touches each)", () => {
    expect(offer("ayida-jobs", "runs", "--dataset", "")).toEqual(RUN_DATASETS);
    expect(offer("ayida-jobs", "runs", "--limit", "5", "--dataset", "con")).toEqual(["convocatorias", "concesiones"]);
    expect(offer("ayida-jobs", "runs", "--dataset", "organos", "")).toEqual([]); // runs takes no argument
  });

  it("completes file names after --env-file and --file", () => {
    writeFileSync(join(dir, ".env.production"), "INNGEST_DEV=1\n");
    expect(offer("ayida-jobs", "--env-file", ".env.p")).toEqual([".env.production"]);
    expect(offer("ayida-jobs", "detail", "--file", ".env.p")).toEqual([".env.production"]);
  });
});

describe("the command", () => {
  it("prints zsh's and fish's scripts too, naming every command and dataset (the tools suite runs them in their shells)", async () => {
    const zsh = await runCli(["completion", "zsh"]);
    const fish = await runCli(["completion", "fish"]);
    expect([zsh.code, zsh.stderr, fish.code, fish.stderr]).toEqual([0, "", 0, ""]);
    expect(zsh.stdout).toMatch(/^#compdef ayida-jobs\n/);
    expect(fish.stdout).toContain("complete -c ayida-jobs -f\n");
    for (const word of [...COMMANDS.filter((c) => c !== "help"), ...DATASETS]) {
      expect(zsh.stdout, word).toContain(word);
      expect(fish.stdout, word).toContain(word);
    }
  });

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

/**
 * The README and docs/ stay true: the generated dataset table, every variable the configuration reads,
 * every command and option the CLI has (and no command or option it lacks), and every link between them.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { DATASETS_DOC, READS_DOC, withReads, withTable } from "../scripts/readme-datasets.js";
import { createProgram } from "../src/cli/program.js";
import { Output } from "../src/cli/output.js";
import { envSchema } from "../src/config/env.js";
import { DATASETS } from "../src/datasets/index.js";

const root = resolve(import.meta.dirname, "..");
const read = (file: string) => readFileSync(join(root, file), "utf8");
const docFiles = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const docs = new Map(docFiles.map((f) => [f, read(f)]));
const allText = [...docs.values()].join("\n");

function program(): Command {
  const sink = new PassThrough();
  const out = new Output({ json: false, quiet: true, color: false, debug: false }, sink, sink);
  return createProgram({ out, cwd: root, stdin: process.stdin, state: {} }, { stdout: sink, stderr: sink });
}

/** Long flags a command takes (hidden ones too: they may be documented), --help and --version included. */
function flagsOf(cmd: Command): Set<string> {
  return new Set(["--help", "-h", ...cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)))]);
}

/** Every piece of code in a markdown text: fenced blocks' lines and inline code spans. */
function codeOf(text: string): string[] {
  const pieces: string[] = [];
  const fenced = /^```[^\n]*\n([\s\S]*?)^```/gm;
  for (const m of text.matchAll(fenced)) pieces.push(...m[1]!.split("\n"));
  const prose = text.replace(fenced, "");
  for (const m of prose.matchAll(/`([^`\n]+)`/g)) pieces.push(m[1]!);
  return pieces;
}

/** `ayida-jobs <command> …options…` as written in the docs' code: the command and the flags on its line. */
function invocations(code: string): Array<{ command: string; flags: string[]; text: string }> {
  const found: Array<{ command: string; flags: string[]; text: string }> = [];
  for (const m of code.matchAll(/(?:^|[\s(`"'])ayida-jobs\s+((?:--?[a-zA-Z][\w-]*(?:[= ][^\s-][^\s]*)?\s+)*)([a-z][a-z-]*)?([^|;&#>]*)/g)) {
    const leading = [...(m[1] ?? "").matchAll(/--?[a-zA-Z][\w-]*/g)].map((f) => f[0]);
    const command = m[2] ?? "";
    const flags = [...leading, ...[...(m[3] ?? "").matchAll(/(?:^|\s)(--?[a-zA-Z][\w-]*)/g)].map((f) => f[1]!)];
    found.push({ command, flags, text: m[0].trim() });
  }
  return found;
}

/** GitHub's heading anchors: lower case, punctuation dropped (but - and _), spaces to hyphens. */
function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const m of text.replace(/^```[\s\S]*?^```/gm, "").matchAll(/^#{1,6} (.+)$/gm)) {
    const base = m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

describe("the docs", () => {
  it("the dataset table is the one the declarations give (npm run docs rewrites it)", () => {
    const datasets = read(DATASETS_DOC);
    expect(datasets).toBe(withTable(datasets));
  });

  it("the portal's reads are the ones the store's code holds and its tests run (npm run docs rewrites them)", () => {
    const reads = read(READS_DOC);
    expect(reads).toBe(withReads(reads));
  });

  it("name every dataset, and the generated batch routes", () => {
    for (const d of DATASETS) expect(read(DATASETS_DOC)).toContain(`| \`${d.name}\` |`);
    expect(read("docs/serving.md")).toContain("`POST /api/batch/sync-<dataset>`");
    expect(read("docs/serving.md")).toContain("`POST /api/batch/sync-all`");
  });

  it("document every variable the configuration reads, in docs/configuration.md's table", () => {
    const table = read("docs/configuration.md");
    const documented = new Set([...table.matchAll(/^\| `([A-Z][A-Z0-9_<>]*)`(?:, `([A-Z][A-Z0-9_]*)`)? \|/gm)].flatMap((m) => [m[1], m[2]]));
    const missing = Object.keys(envSchema.shape).filter((v) => !documented.has(v) && !(v.startsWith("SCHEDULE_") && documented.has("SCHEDULE_<DATASET>")));
    expect(missing).toEqual([]);
  });

  it("document every command and every option --help shows", () => {
    const p = program();
    const code = codeOf(allText);
    const commandsDocumented = new Set(code.flatMap(invocations).map((i) => i.command));
    const undocumented: string[] = [];
    for (const cmd of p.commands) {
      if (!commandsDocumented.has(cmd.name())) undocumented.push(`command ${cmd.name()}`);
    }
    const spans = new Set(code.flatMap((c) => [...c.matchAll(/(?:^|[\s[(|])(--?[a-zA-Z][\w-]*)/g)].map((m) => m[1]!)));
    for (const cmd of [p, ...p.commands]) {
      for (const o of cmd.options) {
        if (o.hidden || !o.long) continue;
        if (!spans.has(o.long)) undocumented.push(`${cmd === p ? "global option" : `${cmd.name()} option`} ${o.long}`);
      }
    }
    expect(undocumented).toEqual([]);
  });

  it("use only commands and options the CLI has", () => {
    const p = program();
    const globals = flagsOf(p);
    const unknown: string[] = [];
    for (const [file, text] of docs) {
      for (const piece of codeOf(text)) {
        for (const inv of invocations(piece)) {
          if (inv.command === "") {
            for (const f of inv.flags) if (!globals.has(f) && f !== "-V") unknown.push(`${file}: ${inv.text}: ${f}`);
            continue;
          }
          const cmd = p.commands.find((c) => c.name() === inv.command);
          if (!cmd) {
            unknown.push(`${file}: ${inv.text}: no command ${inv.command}`);
            continue;
          }
          const own = flagsOf(cmd);
          for (const f of inv.flags) if (!own.has(f) && !globals.has(f)) unknown.push(`${file}: ${inv.text}: ${inv.command} has no ${f}`);
        }
      }
    }
    expect(unknown).toEqual([]);
  });

  it("link only to files and headings that exist", () => {
    const broken: string[] = [];
    for (const [file, text] of docs) {
      const prose = text.replace(/^```[\s\S]*?^```/gm, "");
      for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
        const [path, anchor] = target.split("#") as [string, string | undefined];
        const targetFile = path === "" ? file : join(dirname(file), path);
        if (!existsSync(join(root, targetFile))) {
          broken.push(`${file}: ${target} (no file ${targetFile})`);
          continue;
        }
        if (anchor !== undefined && targetFile.endsWith(".md") && !anchorsOf(read(targetFile)).has(anchor)) broken.push(`${file}: ${target} (no heading #${anchor} in ${targetFile})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("show the portal app's files (docs/your-app.md) exactly as the engine suite builds and runs them", () => {
    // Each block opens with `// <path>`: the file of test/engine/fixtures/portal-app it shows, in full.
    const blocks = [...read("docs/your-app.md").matchAll(/^```ts\n\/\/ (src\/\S+)\n([\s\S]*?)^```/gm)].map((m) => ({ path: m[1]!, code: m[2]! }));
    const fixture = (path: string) => read(join("test/engine/fixtures/portal-app", path));
    expect(blocks.map((b) => b.path)).toEqual(expect.arrayContaining(["src/inngest/client.ts", "src/inngest/functions.ts", "src/app/api/inngest/route.ts", "src/app/api/batch/[route]/route.ts"]));
    for (const b of blocks) expect(b.code, `docs/your-app.md: ${b.path}`).toBe(fixture(b.path));
  });

  it("list every error code the CLI can print in docs/cli.md's exit-code table, and none it cannot", () => {
    const files = (dir: string): string[] => readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(`${dir}/${e.name}`) : e.name.endsWith(".ts") ? [`${dir}/${e.name}`] : []));
    // Every code a CliError is given (`code: "X"`) or defaults to (`?? "X"`).
    const emitted = new Set(files("src/cli").flatMap((f) => [...read(f).matchAll(/(?:\bcode: |code \?\? )"([A-Z][A-Z_]+)"/g)].map((m) => m[1]!)));
    const section = read("docs/cli.md").split(/^## Exit codes$/m)[1]!.split(/^## /m)[0]!;
    const lastCell = (row: string) => row.split("|").at(-2) ?? ""; // | code | meaning | error `code` |
    const listed = new Set([...section.matchAll(/^\|.*\|$/gm)].flatMap((row) => [...lastCell(row[0]).matchAll(/`([A-Z][A-Z_]+)`/g)].map((m) => m[1]!)));
    expect([...emitted].filter((c) => !listed.has(c)).sort()).toEqual([]);
    expect([...listed].filter((c) => !emitted.has(c)).sort()).toEqual([]);
  });

  it("keep the README to what a newcomer reads on the first day", () => {
    expect(read("README.md").split("\n").length).toBeLessThanOrEqual(300);
  });
});

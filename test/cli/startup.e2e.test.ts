/**
 * What the fast paths load. Not their times (bench/cli.ts measures those), but the work that makes
 * them: the files required, what those files hold (from their source maps), and Node's own built-in
 * modules — among them the ESM loader's, which a CommonJS CLI never starts. A static import of the SDK into the entry, a dataset
 * declaration on the send path, or a `Response` built for bytes already in hand each costs every run
 * milliseconds, silently; here it fails.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { startFakeEventApi, type FakeEventApi } from "../support/event-api.js";

const root = resolve(import.meta.dirname, "../..");

interface Loaded {
  /** dist files the ESM loader read, from the repository's root. */
  files: string[];
  /** What those files were built from (src/…, node_modules/<package>/…). */
  sources: Set<string>;
  /** Node's built-in modules, as process.moduleLoadList names them (`child_process`, `internal/deps/undici/undici`). */
  builtins: Set<string>;
}

let hooks: string;
let api: FakeEventApi;

beforeAll(async () => {
  // A preload that notes, at exit, every file required and Node's built-in modules. (No ESM loader hook:
  // one would start the ESM loader in a process that otherwise never needs it.)
  hooks = mkdtempSync(join(tmpdir(), "ayida-startup-"));
  writeFileSync(
    join(hooks, "trace.cjs"),
    `process.on("exit", () => {\n  const fs = require("node:fs");\n  fs.writeFileSync(process.env.AYIDA_TRACE_FILES, Object.keys(require.cache).join("\\n"));\n  fs.writeFileSync(process.env.AYIDA_TRACE_BUILTINS, process.moduleLoadList.filter((m) => m.startsWith("NativeModule ")).map((m) => m.slice(13)).join("\\n"));\n});\n`,
  );
  api = await startFakeEventApi();
});

afterAll(async () => {
  await api?.close();
});

/**
 * What `args` loads. `toFiles`: stdout and stderr to files (as `> out.log 2>&1` in a script, or a CI
 * step's log file), where the CLI writes by descriptor, not through Node's streams (std-stream.ts).
 */
async function loadedBy(args: string[], env: Record<string, string> = {}, toFiles = false): Promise<Loaded> {
  const filesLog = join(hooks, `files-${args.join("-").replace(/\W+/g, "_")}`);
  const builtinsLog = join(hooks, `builtins-${args.join("-").replace(/\W+/g, "_")}`);
  writeFileSync(filesLog, "");
  const r = await runCli(args, {
    ...(toFiles && { wrap: ["sh", "-c", `exec "$@" > ${JSON.stringify(join(hooks, "out.log"))} 2>&1`, "sh"] }),
    env: {
      ...env,
      NODE_OPTIONS: `--require=${join(hooks, "trace.cjs")}`,
      AYIDA_TRACE_FILES: filesLog,
      AYIDA_TRACE_BUILTINS: builtinsLog,
    },
  });
  expect(r.code, r.stderr).toBe(0);
  const files = readFileSync(filesLog, "utf8").split("\n").map((f) => relative(root, f)).filter((f) => f.startsWith("dist/"));
  const sources = new Set<string>();
  for (const f of files) {
    const map = JSON.parse(readFileSync(join(root, `${f}.map`), "utf8")) as { sources: string[] };
    for (const s of map.sources) sources.add(relative(root, resolve(dirname(join(root, f)), s)).replace(/^.*node_modules\//, "node_modules/"));
  }
  return { files, sources, builtins: new Set(readFileSync(builtinsLog, "utf8").split("\n")) };
}

const declarations = (l: Loaded) => [...l.sources].filter((s) => /^src\/datasets\//.test(s) && !/\/(names|noise|types)\.ts$/.test(s));
const fromPackage = (l: Loaded, pkg: string) => [...l.sources].filter((s) => s.startsWith(`node_modules/${pkg}/`));

describe("start-up: what each fast path loads", () => {
  it("--help: the code cache and the entry file alone, no subprocess, terminal or crypto modules", async () => {
    const l = await loadedBy(["--help"]);
    expect(l.files).toEqual(["dist/boot/compile-cache.cjs", "dist/cli/cli.js"]);
    // The CLI is CommonJS (scripts/cli-build.ts): no ES module, so Node never starts its ESM loader.
    expect(l.builtins).not.toContain("internal/modules/esm/module_job");
    // (node:net is there: stdout and stderr are pipes here, which Node itself opens with it.)
    for (const b of ["child_process", "tty", "os", "crypto"]) expect(l.builtins, b).not.toContain(b);
    expect(fromPackage(l, "chalk")).toEqual([]);
    expect(fromPackage(l, "zod")).toEqual([]);
  });

  it("detail --dry-run: no SDK, no dataset declaration, no fetch", async () => {
    const l = await loadedBy(["detail", "1", "--dry-run", "--json"], { INNGEST_DEV: api.url });
    expect(fromPackage(l, "inngest")).toEqual([]);
    expect(declarations(l)).toEqual([]);
    expect(l.builtins).not.toContain("internal/deps/undici/undici");
    // What runs after the arguments parse is one file (scripts/cli-build.ts, STAGES), not esbuild's dozen.
    expect(l.files).toHaveLength(3);
    // Its runId comes from the OS, not node:crypto (contracts/run-id.ts).
    expect(l.builtins).not.toContain("crypto");
    expect(l.builtins).not.toContain("internal/modules/esm/module_job");
  });

  it("to files: neither --help nor a dry run builds Node's streams (no stream, net, crypto)", async () => {
    for (const args of [["--help"], ["detail", "1", "--dry-run", "--json"]]) {
      const l = await loadedBy(args, { INNGEST_DEV: api.url }, true);
      for (const b of ["stream", "net", "tty", "crypto"]) expect(l.builtins, `${args.join(" ")}: ${b}`).not.toContain(b);
    }
  });

  it("detail (a send): the SDK, but no dataset declaration and not Node's fetch (undici)", async () => {
    const before = api.requests.length;
    const l = await loadedBy(["detail", "1", "--json"], { INNGEST_DEV: api.url });
    expect(api.requests.length).toBe(before + 1); // it did send
    expect(fromPackage(l, "inngest").length).toBeGreaterThan(0);
    expect(declarations(l)).toEqual([]);
    expect(l.builtins).not.toContain("internal/deps/undici/undici");
    // The code cache, the entry, the command stage, the send stage, and the few pieces the SDK shares with serve.
    expect(l.files.length).toBeLessThanOrEqual(7);
  });
});

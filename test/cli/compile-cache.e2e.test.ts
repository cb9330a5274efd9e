/**
 * V8's code cache for the CLI's files (src/cli/compile-cache.ts), through the built CLI: written once,
 * read after, replaced when a file changes or V8 refuses it, never taken from a folder another user
 * could write, and off on request. Its speed is bench/cli.ts's business; here, that it is right.
 */
import { spawn } from "node:child_process";
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const root = resolve(import.meta.dirname, "../..");

/** Another copy of the CLI, run as runCli runs ours. */
function runBin(bin: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--", bin, ...args], { env: { PATH: process.env.PATH ?? "", CI: "1", ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stderr }));
  });
}
const freshDir = () => mkdtempSync(join(tmpdir(), "ayida-cc-"));
const entries = (dir: string) => readdirSync(dir).filter((f) => !f.startsWith(".")).sort();
const mtimes = (dir: string) => Object.fromEntries(entries(dir).map((f) => [f, statSync(join(dir, f)).mtimeMs]));

describe("the CLI's code cache", () => {
  it("the first run writes an entry for each CLI file it compiled; the next ones read them and write nothing", async () => {
    const cache = freshDir();
    const env = { NODE_COMPILE_CACHE: cache };
    const first = await runCli(["detail", "1", "--dry-run", "--json", "--run-id", "r-1"], { env });
    expect(first.code, first.stderr).toBe(0);
    const written = entries(cache);
    expect(written.map((e) => e.split(".js.")[0])).toEqual(expect.arrayContaining(["cli", expect.stringMatching(/^command-/)]));
    const before = mtimes(cache);
    const second = await runCli(["detail", "1", "--dry-run", "--json", "--run-id", "r-1"], { env });
    expect(second.code).toBe(0);
    expect(second.stdout.replace(/"timestamp":"[^"]+"/, "")).toBe(first.stdout.replace(/"timestamp":"[^"]+"/, ""));
    // Not written again: V8 took every entry (a refused one is rewritten).
    expect(mtimes(cache)).toEqual(before);
  });

  it("a command that loads packages and native modules runs the same from the cache (serve --check on SQLite)", async () => {
    const cache = freshDir();
    const cwd = freshDir();
    const env = { NODE_COMPILE_CACHE: cache, INNGEST_DEV: "1", DATABASE_URL: "./jobs.db" };
    const cold = await runCli(["serve", "--check"], { env, cwd });
    expect(cold.code, cold.stderr).toBe(0);
    const before = mtimes(cache);
    const warm = await runCli(["serve", "--check"], { env, cwd });
    expect(warm.code, warm.stderr).toBe(0);
    expect(warm.stdout).toBe(cold.stdout);
    expect(mtimes(cache)).toEqual(before);
  });

  it("an entry V8 refuses (not its data) is rewritten, and the command runs as usual", async () => {
    const cache = freshDir();
    const env = { NODE_COMPILE_CACHE: cache };
    expect((await runCli(["--help"], { env })).code).toBe(0);
    const [entry] = entries(cache);
    writeFileSync(join(cache, entry!), Buffer.alloc(4096, 7));
    const r = await runCli(["--help"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Usage: ayida-jobs");
    expect(readFileSync(join(cache, entry!)).equals(Buffer.alloc(4096, 7))).toBe(false);
  });

  it("a CLI file written again gets a new entry, and its old one goes", async () => {
    // A copy of the package (its node_modules linked), whose entry file can be rewritten.
    const pkg = freshDir();
    for (const d of ["bin", "dist"]) cpSync(join(root, d), join(pkg, d), { recursive: true });
    cpSync(join(root, "package.json"), join(pkg, "package.json"));
    symlinkSync(join(root, "node_modules"), join(pkg, "node_modules"));
    const cache = freshDir();
    const cli = (args: string[]) => runBin(join(pkg, "bin", "ayida-jobs.js"), args, { NODE_COMPILE_CACHE: cache });
    expect((await cli(["--version"])).code).toBe(0);
    const old = entries(cache).filter((e) => e.startsWith("cli.js."));
    expect(old).toHaveLength(1);
    const file = join(pkg, "dist", "cli", "cli.js");
    writeFileSync(file, readFileSync(file)); // same bytes, written again: a new file as far as anyone can tell
    const r = await cli(["--version"]);
    expect(r.code, r.stderr).toBe(0);
    const now = entries(cache).filter((e) => e.startsWith("cli.js."));
    expect(now).toHaveLength(1);
    expect(now).not.toEqual(old);
  });

  it("a folder other users can write to, or a link, is not used; NODE_DISABLE_COMPILE_CACHE turns it off", async () => {
    const open = freshDir();
    chmodSync(open, 0o777);
    const target = freshDir();
    const link = join(freshDir(), "link");
    symlinkSync(target, link);
    const off = freshDir();
    for (const [env, dir] of [
      [{ NODE_COMPILE_CACHE: open }, open],
      [{ NODE_COMPILE_CACHE: link }, target],
      [{ NODE_COMPILE_CACHE: off, NODE_DISABLE_COMPILE_CACHE: "1" }, off],
    ] as const) {
      const r = await runCli(["--help"], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("Usage: ayida-jobs");
      expect(entries(dir), JSON.stringify(env)).toEqual([]);
    }
    if (process.getuid?.() === 0) {
      // Another user's folder (root can make one here): not used either.
      const theirs = join(freshDir(), "theirs");
      mkdirSync(theirs, { mode: 0o700 });
      chownSync(theirs, 65534, 65534);
      expect((await runCli(["--help"], { env: { NODE_COMPILE_CACHE: theirs } })).code).toBe(0);
      expect(entries(theirs)).toEqual([]);
    }
    expect(existsSync(join(link))).toBe(true);
  });
});

describe("the CLI's files, as the code cache needs them", () => {
  it("hold no import(): a script compiled through vm has no loader for it (scripts/cli-build.ts writes require)", () => {
    const dir = join(root, "dist", "cli");
    const withImport = readdirSync(dir).filter((f) => f.endsWith(".js") && /\bimport\(/.test(readFileSync(join(dir, f), "utf8")));
    expect(withImport).toEqual([]);
  });
});

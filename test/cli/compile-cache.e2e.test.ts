/**
 * V8's code cache for the CLI's files (src/cli/compile-cache.ts), through the built CLI: written once,
 * read after, replaced when a file changes or its data is damaged, never taken from a folder another
 * user could write, never touching what it did not write, and off on request. Its speed is
 * bench/cli.ts's business; here, that it is right.
 */
import { spawn } from "node:child_process";
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
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

/** A copy of the package (its node_modules linked), whose files can be rewritten. */
function copyOfPackage(): string {
  const pkg = freshDir();
  for (const d of ["bin", "dist"]) cpSync(join(root, d), join(pkg, d), { recursive: true });
  cpSync(join(root, "package.json"), join(pkg, "package.json"));
  symlinkSync(join(root, "node_modules"), join(pkg, "node_modules"));
  return pkg;
}

const freshDir = () => mkdtempSync(join(tmpdir(), "ayida-cc-"));
/** The entries kept for NODE_COMPILE_CACHE=`base` (in its ayida-jobs folder). */
const entries = (base: string) => (existsSync(join(base, "ayida-jobs")) ? readdirSync(join(base, "ayida-jobs")).filter((f) => !f.startsWith(".")).sort() : []);
const mtimes = (base: string) => Object.fromEntries(entries(base).map((f) => [f, statSync(join(base, "ayida-jobs", f)).mtimeMs]));
const entryPath = (base: string, name: string) => join(base, "ayida-jobs", name);

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
    // Not written again: every entry was whole and V8 took it (a refused one is rewritten).
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

  it("an entry that is not ours, or whose data changed by a few bits, is not given to V8: the command runs and the entry is written again", async () => {
    const cache = freshDir();
    const env = { NODE_COMPILE_CACHE: cache };
    expect((await runCli(["--help"], { env })).code).toBe(0);
    const [entry] = entries(cache);
    const whole = readFileSync(entryPath(cache, entry!));
    for (const damage of [
      () => Buffer.alloc(4096, 7), // not an entry at all
      () => {
        const flipped = Buffer.from(whole); // the header intact, three bits of V8's data flipped
        for (const at of [200, Math.floor(whole.length / 2), whole.length - 100]) flipped[at]! ^= 0x10;
        return flipped;
      },
      () => {
        // The top bit of two words flipped: a plain multiply-xor sum does not see it (bits carry only upward).
        const flipped = Buffer.from(whole);
        for (const word of [10, 20]) flipped[8 + 4 * word + 3]! ^= 0x80;
        return flipped;
      },
    ]) {
      const bad = damage();
      writeFileSync(entryPath(cache, entry!), bad);
      const r = await runCli(["--help"], { env });
      expect(r.code, r.stderr).toBe(0); // without the check, V8 took flipped data: a crash (139) or a fatal check (133)
      expect(r.stdout).toContain("Usage: ayida-jobs");
      expect(readFileSync(entryPath(cache, entry!)).equals(bad)).toBe(false);
    }
  });

  it("a CLI file written again gets a new entry, and its old one goes", async () => {
    const pkg = copyOfPackage();
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

  it("two installs sharing the folder keep an entry each, neither replacing the other's", async () => {
    const pkg = copyOfPackage();
    const cache = freshDir();
    const env = { NODE_COMPILE_CACHE: cache };
    expect((await runCli(["--version"], { env })).code).toBe(0);
    const ours = mtimes(cache);
    expect((await runBin(join(pkg, "bin", "ayida-jobs.js"), ["--version"], env)).code).toBe(0);
    expect((await runCli(["--version"], { env })).code).toBe(0);
    expect(entries(cache).filter((e) => e.startsWith("cli.js."))).toHaveLength(2);
    for (const [name, mtime] of Object.entries(ours)) expect(statSync(entryPath(cache, name)).mtimeMs).toBe(mtime);
  });

  it("another Node version's entry for the same file stays; a temporary file left by a killed writer goes after an hour", async () => {
    const cache = freshDir();
    const env = { NODE_COMPILE_CACHE: cache };
    expect((await runCli(["--version"], { env })).code).toBe(0);
    const [entry] = entries(cache).filter((e) => e.startsWith("cli.js."));
    const otherNode = entry!.replace(/\.v[\d.]+-(\w+)\.v8$/, ".v22.11.0-$1.v8");
    writeFileSync(entryPath(cache, otherNode), readFileSync(entryPath(cache, entry!)));
    const stale = entryPath(cache, `.${entry}.4242`);
    const fresh = entryPath(cache, `.${entry}.4343`);
    writeFileSync(stale, "half");
    writeFileSync(fresh, "half");
    const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    writeFileSync(entryPath(cache, entry!), "x"); // this run writes the entry again, and prunes
    expect((await runCli(["--version"], { env })).code).toBe(0);
    expect(existsSync(entryPath(cache, otherNode))).toBe(true);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(fresh)).toBe(true); // perhaps another process writing right now
  });

  it("never touches a file it did not write, in NODE_COMPILE_CACHE or in its own folder, however old", async () => {
    const cache = freshDir();
    const env = { NODE_COMPILE_CACHE: cache };
    expect((await runCli(["--version"], { env })).code).toBe(0);
    const longAgo = new Date(Date.now() - 90 * 24 * 3600 * 1000);
    const foreign = [join(cache, "notes.txt"), join(cache, "cli.js.backup"), entryPath(cache, "notes.txt"), entryPath(cache, "cli.js.backup")];
    for (const f of foreign) {
      writeFileSync(f, "mine");
      utimesSync(f, longAgo, longAgo);
    }
    mkdirSync(entryPath(cache, "a-folder"));
    // A run that writes an entry (and prunes): a file of the CLI is new to the cache.
    for (const e of entries(cache).filter((x) => x.startsWith("cli.js.") && x.endsWith(".v8"))) writeFileSync(entryPath(cache, e), "x");
    expect((await runCli(["--version"], { env })).code).toBe(0);
    for (const f of foreign) expect(readFileSync(f, "utf8"), f).toBe("mine");
    expect(existsSync(entryPath(cache, "a-folder"))).toBe(true);
  });

  it("off: NODE_DISABLE_COMPILE_CACHE, --enable-source-maps (a vm script has no source map), a folder others can write to or a link; and no folder made where the temporary folder is missing", async () => {
    const open = freshDir();
    mkdirSync(join(open, "ayida-jobs"), { mode: 0o777 });
    chmodSync(join(open, "ayida-jobs"), 0o777);
    const target = freshDir();
    const linked = freshDir();
    symlinkSync(target, join(linked, "ayida-jobs"));
    const off = freshDir();
    const maps = freshDir();
    for (const [env, dir] of [
      [{ NODE_COMPILE_CACHE: open }, join(open, "ayida-jobs")],
      [{ NODE_COMPILE_CACHE: linked }, target],
      [{ NODE_COMPILE_CACHE: off, NODE_DISABLE_COMPILE_CACHE: "1" }, join(off, "ayida-jobs")],
      [{ NODE_COMPILE_CACHE: maps, NODE_OPTIONS: "--enable-source-maps" }, join(maps, "ayida-jobs")],
    ] as const) {
      const r = await runCli(["--help"], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("Usage: ayida-jobs");
      expect(existsSync(dir) ? readdirSync(dir) : [], JSON.stringify(env)).toEqual([]);
    }
    const nowhere = join(freshDir(), "missing", "tmp");
    expect((await runCli(["--help"], { env: { TMPDIR: nowhere } })).code).toBe(0);
    expect(existsSync(nowhere)).toBe(false);
    if (process.getuid?.() === 0) {
      // Another user's folder (root can make one here): not used either.
      const theirs = freshDir();
      mkdirSync(join(theirs, "ayida-jobs"), { mode: 0o700 });
      chownSync(join(theirs, "ayida-jobs"), 65534, 65534);
      expect((await runCli(["--help"], { env: { NODE_COMPILE_CACHE: theirs } })).code).toBe(0);
      expect(readdirSync(join(theirs, "ayida-jobs"))).toEqual([]);
    }
  });
});

describe("the CLI's files, as the code cache needs them", () => {
  it("hold no import(): a script compiled through vm has no loader for it (scripts/cli-build.ts writes require)", () => {
    const dir = join(root, "dist", "cli");
    const withImport = readdirSync(dir).filter((f) => f.endsWith(".js") && /\bimport\(/.test(readFileSync(join(dir, f), "utf8")));
    expect(withImport).toEqual([]);
  });
});

/**
 * V8's code cache for the CLI's own files, so a start does not compile them again.
 *
 * Compiling is the largest piece of a start after Node's own: `--help` compiles the 210 KB entry, a dry
 * run also the 120 KB command stage, a send the 760 KB SDK stage. Node 22 keeps such a cache itself
 * (`module.enableCompileCache`, used when there is one); Node 20 has only the V8 primitive under it, so
 * this does what Node 22 does, for the files of dist/cli alone: compile through `vm.Script` with the
 * cached data when there is some, and when there was none (or V8 refused it: another V8, other flags),
 * write it at exit, when the functions the command ran are compiled too and go into it.
 *
 * Safe by construction, or off:
 * - The cache is found by the file's name, size, mtime, ctime and inode: a file rewritten in any way
 *   (a rebuild, an upgrade: npm fixes mtimes, not ctimes) is a new entry; V8 also checks the source's
 *   length and its own version and flags, and rejects what does not match (the file is compiled as
 *   usual, and the entry rewritten).
 * - The folder is NODE_COMPILE_CACHE (as Node 22 names it) or <tmp>/ayida-jobs-compile-cache-<uid>;
 *   used only if it is a directory of this user that no one else can write to (cached code runs as
 *   ours: another user must not be able to plant it). Entries are written whole (a temporary file,
 *   then a rename), so a reader never meets half of one.
 * - NODE_DISABLE_COMPILE_CACHE=1 turns it off; any failure to read or write it only means no cache.
 * The CLI's files are CommonJS without import() (scripts/cli-build.ts turns dynamic imports into
 * require): a script compiled by `vm` has no loader for import().
 */
import { closeSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import Module from "node:module";
import { basename, dirname, join } from "node:path";
import { Script } from "node:vm";

interface CjsModule {
  exports: unknown;
  require(id: string): unknown;
  _compile(content: string, filename: string): unknown;
}
interface ModuleInternals {
  prototype: CjsModule;
  wrap(content: string): string;
  _resolveFilename(request: string, parent: CjsModule, isMain: boolean, options?: unknown): string;
  _cache: unknown;
  _extensions: unknown;
  enableCompileCache?: () => unknown;
}

/** Install the cache for files under `dir` (dist/cli). Returns where it is kept, or undefined when off. */
export function installCompileCache(dir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  const M = Module as unknown as ModuleInternals;
  if (typeof M.enableCompileCache === "function") {
    M.enableCompileCache(); // Node ≥ 22.1: its own, for every module
    return env.NODE_COMPILE_CACHE ?? join(tmpdir(env), "node-compile-cache");
  }
  const cacheDir = usableCacheDir(env.NODE_COMPILE_CACHE ?? join(tmpdir(env), `ayida-jobs-compile-cache-${process.getuid?.() ?? "user"}`));
  if (!cacheDir) return undefined;
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  const toWrite: Array<{ file: string; entry: string; script: Script }> = [];
  const compile = M.prototype._compile;

  M.prototype._compile = function (this: CjsModule, content: string, filename: string) {
    if (!filename.startsWith(prefix)) return compile.call(this, content, filename);
    const entry = entryName(filename);
    let cachedData: Buffer | undefined;
    try {
      if (entry) cachedData = readFileSync(join(cacheDir, entry));
    } catch {
      // no entry yet
    }
    const script = new Script(M.wrap(content), { filename, ...(cachedData && { cachedData }) });
    if (entry && (!cachedData || script.cachedDataRejected)) toWrite.push({ file: filename, entry, script });
    const run = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    return run.call(this.exports, this.exports, requireFor(M, this), this, filename, dirname(filename));
  };
  process.once("exit", () => {
    for (const w of toWrite) writeEntry(cacheDir, w.file, w.entry, w.script);
  });
  return cacheDir;
}

/** os.tmpdir() as it reads on POSIX, without loading node:os for it (a module more at every start). */
function tmpdir(env: NodeJS.ProcessEnv): string {
  if (process.platform === "win32") return (require("node:os") as typeof import("node:os")).tmpdir();
  const dir = env.TMPDIR || env.TMP || env.TEMP || "/tmp";
  return dir.length > 1 && dir.endsWith("/") ? dir.slice(0, -1) : dir;
}

/** The `require` a CommonJS module is given (what Node's own loader builds for it). */
function requireFor(M: ModuleInternals, mod: CjsModule) {
  const require = (id: string) => mod.require(id);
  require.resolve = (request: string, options?: unknown) => M._resolveFilename(request, mod, false, options);
  require.main = process.mainModule;
  require.cache = M._cache;
  require.extensions = M._extensions;
  return require;
}

/** What a file's entry is called: changes whenever the file is written again. */
function entryName(filename: string): string | undefined {
  try {
    const st = statSync(filename);
    return `${basename(filename)}.${st.size}.${st.ino}.${Math.trunc(st.mtimeMs)}.${Math.trunc(st.ctimeMs)}.${process.version}-${process.arch}.v8`;
  } catch {
    return undefined;
  }
}

/** `path`, created if missing, if it is a directory of this user that only this user can write to. */
export function usableCacheDir(path: string): string | undefined {
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    const st = lstatSync(path);
    const mine = process.getuid === undefined || st.uid === process.getuid();
    return st.isDirectory() && mine && (st.mode & 0o022) === 0 ? path : undefined;
  } catch {
    return undefined;
  }
}

/** Write one entry whole (a temporary file, then a rename), and prune the folder. */
function writeEntry(cacheDir: string, file: string, entry: string, script: Script): void {
  const tmp = join(cacheDir, `.${entry}.${process.pid}`);
  try {
    const data = script.createCachedData();
    const fd = openSync(tmp, "wx", 0o600);
    try {
      for (let done = 0; done < data.length; ) done += writeSync(fd, data, done, data.length - done);
      if (fstatSync(fd).size !== data.length) throw new Error("short write");
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(cacheDir, entry));
    // Drop the same file's older entries (an earlier build's), and any entry not rewritten in 30 days
    // (a chunk of a build long gone; one still in use is only written again, once).
    const stem = `${basename(file)}.`;
    const monthAgo = Date.now() - 30 * 24 * 3600 * 1000;
    for (const old of readdirSync(cacheDir)) {
      if (old === entry) continue;
      if (old.startsWith(stem) || statSync(join(cacheDir, old)).mtimeMs < monthAgo) rmSync(join(cacheDir, old), { force: true });
    }
  } catch {
    rmSync(tmp, { force: true });
  }
}

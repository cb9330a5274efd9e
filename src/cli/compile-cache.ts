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
 * - An entry is found by the file's folder (a hash of its path: two installs do not replace each
 *   other's entries), name, size, inode, mtime and ctime: a file rewritten in any way (a rebuild, an
 *   upgrade: npm fixes mtimes, not ctimes) is a new entry. V8 checks the source's length and its own
 *   version and flags, but not its data (release builds do not checksum it: a flipped bit crashes the
 *   process), so each entry carries a checksum of its data, checked before V8 sees it; a mismatch is
 *   no entry, and the entry is written again.
 * - The folder is <NODE_COMPILE_CACHE>/ayida-jobs (NODE_COMPILE_CACHE as Node 22 names it; the
 *   subfolder keeps our pruning away from anything else there) or <tmp>/ayida-jobs-compile-cache-<uid>.
 *   It is used only if it is a directory of this user that no one else can write to (cached code runs
 *   as ours: another user must not be able to plant it); the one under the temporary folder is not
 *   created if that folder does not exist. Entries are written whole (a temporary file, then a
 *   rename), so a reader never meets half of one; pruning removes only entries of ours.
 * - NODE_DISABLE_COMPILE_CACHE=1 turns it off; so does --enable-source-maps (a script compiled through
 *   vm gets no source map: stacks would point at dist/ instead of src/). Any failure to read or write
 *   it only means no cache.
 * The CLI's files are CommonJS without import() (scripts/cli-build.ts turns dynamic imports into
 * require): a script compiled by `vm` has no loader for import().
 */
import { closeSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import Module from "node:module";
import { basename, dirname, join, sep } from "node:path";
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
  enableCompileCache?: (dir?: string) => unknown;
}

/** An entry: "AJC1", the checksum of the V8 data (4 bytes, little-endian), then the data. */
const MAGIC = 0x31434a41; // "AJC1" read as a little-endian uint32
const HEADER = 8;

/** Install the cache for files under `dir` (dist/cli). Returns where it is kept, or undefined when off. */
export function installCompileCache(dir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.NODE_DISABLE_COMPILE_CACHE || sourceMapsWanted(env)) return undefined;
  const cacheDir = cacheFolder(env);
  if (!cacheDir) return undefined;
  const M = Module as unknown as ModuleInternals;
  if (typeof M.enableCompileCache === "function") {
    // Node ≥ 22.1: its own, for every module, in the folder checked above. (With NODE_COMPILE_CACHE set,
    // Node has enabled it already, before this runs, in that folder as it is: then this call does nothing.)
    M.enableCompileCache(cacheDir);
    return cacheDir;
  }
  const prefix = dir.endsWith(sep) ? dir : `${dir}${sep}`;
  const toWrite: Array<{ entry: string; script: Script }> = [];
  const compile = M.prototype._compile;

  M.prototype._compile = function (this: CjsModule, content: string, filename: string) {
    if (!filename.startsWith(prefix)) return compile.call(this, content, filename);
    const entry = entryName(filename);
    const cachedData = entry ? readEntry(join(cacheDir, entry)) : undefined;
    const script = new Script(M.wrap(content), { filename, ...(cachedData && { cachedData }) });
    if (entry && (!cachedData || script.cachedDataRejected)) toWrite.push({ entry, script });
    const run = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    return run.call(this.exports, this.exports, requireFor(M, this), this, filename, dirname(filename));
  };
  process.once("exit", () => {
    for (const w of toWrite) writeEntry(cacheDir, w.entry, w.script);
  });
  return cacheDir;
}

function sourceMapsWanted(env: NodeJS.ProcessEnv): boolean {
  const flag = "--enable-source-maps";
  return Boolean((process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled) || process.execArgv.includes(flag) || (env.NODE_OPTIONS ?? "").split(/\s+/).includes(flag);
}

/** The folder entries are kept in, checked (see above), or undefined. */
function cacheFolder(env: NodeJS.ProcessEnv): string | undefined {
  if (env.NODE_COMPILE_CACHE) {
    try {
      mkdirSync(env.NODE_COMPILE_CACHE, { recursive: true, mode: 0o700 }); // as Node 22 does with it
    } catch {
      return undefined;
    }
    return usableCacheDir(join(env.NODE_COMPILE_CACHE, "ayida-jobs"));
  }
  return usableCacheDir(join(tmpdir(env), `ayida-jobs-compile-cache-${process.getuid?.() ?? "user"}`));
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

/** What an entry's name is made of; what pruning may remove (nothing else in the folder). */
const ENTRY = /^(.+\.js\.[0-9a-f]{8}\.)\d+\.\d+\.\d+\.\d+\.(v[\d.]+-\w+)\.v8$/;
/** A temporary file of writeEntry's (`.<entry>.<pid>`): left behind only by a writer that was killed. */
const TEMPORARY = /^\.(.+\.v8)\.\d+$/;

/** A file's entry name: changes whenever the file is written again; its folder's hash keeps installs apart. */
function entryName(filename: string): string | undefined {
  try {
    const st = statSync(filename);
    return `${basename(filename)}.${checksum(Buffer.from(dirname(filename))).toString(16).padStart(8, "0")}.${st.size}.${st.ino}.${Math.trunc(st.mtimeMs)}.${Math.trunc(st.ctimeMs)}.${process.version}-${process.arch}.v8`;
  } catch {
    return undefined;
  }
}

/**
 * A checksum of an entry's data, word by word (FNV-1a's step on 32-bit words, each step followed by a
 * shift-xor: a multiply carries only upward, so without it the top bits of two words could flip
 * unseen): ~0.7 ms for a 140 KB entry at a cold start, where node:crypto or node:zlib would load Node's
 * stream classes (~4 ms).
 */
export function checksum(data: Uint8Array): number {
  const aligned = data.byteOffset % 4 === 0 ? data : new Uint8Array(data); // a copy starts at 0
  const words = new Int32Array(aligned.buffer, aligned.byteOffset, aligned.length >> 2);
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < words.length; i++) {
    h = Math.imul(h ^ words[i]!, 0x01000193);
    h ^= h >>> 15;
  }
  for (let i = words.length << 2; i < aligned.length; i++) {
    h = Math.imul(h ^ aligned[i]!, 0x01000193);
    h ^= h >>> 15;
  }
  return (h ^ aligned.length) >>> 0;
}

/** An entry's V8 data, if it is whole and unchanged. */
function readEntry(path: string): Buffer | undefined {
  try {
    const file = readFileSync(path);
    if (file.length <= HEADER || file.readUInt32LE(0) !== MAGIC) return undefined;
    const data = file.subarray(HEADER);
    return checksum(data) === file.readUInt32LE(4) ? data : undefined;
  } catch {
    return undefined; // no entry yet
  }
}

/** `path`, created if missing (its parent must exist), if it is a directory of this user that only this user can write to. */
export function usableCacheDir(path: string): string | undefined {
  try {
    try {
      mkdirSync(path, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") return undefined;
    }
    const st = lstatSync(path);
    const mine = process.getuid === undefined || st.uid === process.getuid();
    return st.isDirectory() && mine && (st.mode & 0o022) === 0 ? path : undefined;
  } catch {
    return undefined;
  }
}

/** Write one entry whole (a temporary file, then a rename), and prune the folder of ours that are stale. */
function writeEntry(cacheDir: string, entry: string, script: Script): void {
  const tmp = join(cacheDir, `.${entry}.${process.pid}`);
  let opened = false;
  try {
    const data = script.createCachedData();
    const header = Buffer.alloc(HEADER);
    header.writeUInt32LE(MAGIC, 0);
    header.writeUInt32LE(checksum(data), 4);
    const fd = openSync(tmp, "wx", 0o600);
    opened = true;
    try {
      for (const part of [header, data]) for (let done = 0; done < part.length; ) done += writeSync(fd, part, done, part.length - done);
      if (fstatSync(fd).size !== HEADER + data.length) throw new Error("short write");
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(cacheDir, entry));
    opened = false;
    prune(cacheDir, entry);
  } catch {
    if (opened) rmSync(tmp, { force: true }); // ours only: another process may be writing a file of that name
  }
}

/**
 * Ours only (ENTRY, TEMPORARY), never anything else in the folder: the same file's older entries for this
 * Node (an earlier build of this install; another Node version's stay), any entry not written again in
 * 30 days (a build long gone; one still in use is only written once more), and a temporary file over an
 * hour old (its writer was killed).
 */
function prune(cacheDir: string, entry: string): void {
  const [, file, runtime] = ENTRY.exec(entry)!;
  const now = Date.now();
  for (const name of readdirSync(cacheDir)) {
    if (name === entry) continue;
    const m = ENTRY.exec(name);
    const temporary = !m && TEMPORARY.test(name);
    if (!m && !temporary) continue;
    try {
      const age = now - statSync(join(cacheDir, name)).mtimeMs;
      if (temporary ? age > 3600_000 : (m![1] === file && m![2] === runtime) || age > 30 * 24 * 3600_000) rmSync(join(cacheDir, name), { force: true });
    } catch {
      // gone already (another process pruned it), or not a file
    }
  }
}

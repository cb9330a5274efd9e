/**
 * What the CLI's build (tsup.config.ts) adds to esbuild, so that a command loads no more than it uses,
 * in as few files as it can: each file is one more that Node resolves, reads and compiles.
 *
 * mergeCliChunks, the second pass (run after esbuild), regroups esbuild's chunks with Rollup, and
 * writes them as CommonJS (see the write below):
 * - What the entry imports statically stays in the entry: `--help` is one file. esbuild splits every
 *   module that a lazily loaded chunk shares with the entry into a chunk of its own (the error classes,
 *   commander, the version: 13 files); Rollup knows such modules are loaded whenever the entry's lazy
 *   imports run, and lets the lazy chunks import them from the entry. (A top-level await would
 *   deadlock that; CommonJS has none, and Rollup refuses to write one.)
 * - What a command loads after its arguments parse comes in stages of one file each (STAGES), not in
 *   the dozen small chunks esbuild makes of it by which lazy imports share what.
 * It only regroups esbuild's output (plain ESM, one esbuild chunk = one Rollup module): no transform,
 * no tree shaking, the code stays esbuild's. Source maps are carried through to src/.
 */
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import type { Plugin as EsbuildPlugin } from "esbuild";
import { rollup, type GetManualChunk, type ManualChunkMeta, type Plugin } from "rollup";

/**
 * The stages of a command after its arguments parse, in order; each becomes one file, holding what its
 * roots import (minus what an earlier stage or the entry holds).
 * - command: every command reads the env (the preAction hook), and the sending ones then validate,
 *   build and print or send: the env and its schedules, zod, the contracts, the emitter. With it two
 *   small pieces that sends, `runs` and `serve` share (the metrics recorders, the datasets' event
 *   names): cheaper as a few KB here than as files of their own. (Not the node:http fetch: it brings
 *   node:http and node:https, which a dry run does not need.)
 * - send: what a send adds: the sender, the Inngest client and SDK. Only modules that load nowhere
 *   without the SDK, so that no other command gets the SDK with them.
 */
const STAGES: Array<{ name: string; roots: string[]; onlyWith?: string }> = [
  { name: "command", roots: ["src/config/env.ts", "src/contracts/build.ts", "src/cli/emit.ts", "src/metrics/index.ts", "src/contracts/dataset-events.ts"] },
  { name: "send", roots: ["src/send.ts"], onlyWith: "node_modules/inngest/" },
];

/**
 * commander requires node:child_process at load, for subcommands run as executables of their own, which
 * this CLI has none of: with it come net, dgram and their internals, on every start. Inside commander,
 * child_process becomes an object that requires the real module the first time it is used.
 */
export const lazyChildProcessInCommander: EsbuildPlugin = {
  name: "lazy-child-process-in-commander",
  setup(build) {
    build.onResolve({ filter: /^(node:)?child_process$/ }, (args) => (/[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: "child_process", namespace: "lazy-builtin" } : undefined));
    build.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, () => ({
      contents: `module.exports = new Proxy({}, { get: (_, key) => require("node:child_process")[key] });`,
      loader: "js",
    }));
  },
};

/** Regroup the chunks of `dir` (esbuild's output for `entries`, by name) in place. */
export async function mergeCliChunks(dir: string, entries: string[]): Promise<void> {
  const carryMaps: Plugin = {
    name: "esbuild-source-maps",
    load(id) {
      return { code: readFileSync(id, "utf8"), map: existsSync(`${id}.map`) ? readFileSync(`${id}.map`, "utf8") : null };
    },
  };
  const bundle = await rollup({
    input: Object.fromEntries(entries.map((name) => [name, join(dir, `${name}.js`)])),
    // Bare specifiers (node:*, better-sqlite3, pg, pino) stay imports, as esbuild left them.
    external: (id) => !id.startsWith(".") && !id.startsWith("/"),
    treeshake: false,
    plugins: [carryMaps],
    onwarn(warning, warn) {
      // esbuild's chunks import each other in cycles on purpose (lazy chunks and the ones they share).
      if (warning.code !== "CIRCULAR_DEPENDENCY") warn(warning);
    },
  });
  const out = `${dir}.merged`;
  rmSync(out, { recursive: true, force: true });
  // A chunk keeps the name esbuild gave it (emit, s3-documents, chunk), minus esbuild's hash: Rollup adds its own.
  const chunkFileNames = (c: { name: string }) => `${c.name.replace(/-[A-Z0-9]{8}$/, "")}-[hash].js`;
  const manualChunks = stageChunks(entries.map((name) => resolve(dir, `${name}.js`)));
  // onlyExplicitManualChunks: otherwise Rollup also moves into a stage's file every module the stage
  // imports, wherever else it is used (the entry's own, or a piece `runs` needs, bringing it the SDK).
  // CommonJS, in a folder marked so (its package.json): a CommonJS program never starts Node's ESM
  // loader, whose own modules, resolution and linking cost every start ~5 ms (bin/ayida-jobs.js
  // requires the entry). import() of a chunk becomes a require() on a later tick; import.meta.url is
  // rebuilt from __filename; a top-level await would be refused here (CommonJS has none). The packages
  // left outside (better-sqlite3, pg, pino) are CommonJS; `interop: "default"` reads them as Node's
  // ESM did (the default import is module.exports). Dynamic imports of them (and of built-ins) become
  // require too (dynamicImportInCjs: false): bin/ayida-jobs.js compiles these files through vm with
  // V8's code cache (src/cli/compile-cache.ts), and a vm script has no loader for import().
  await bundle.write({ dir: out, format: "cjs", interop: "default", dynamicImportInCjs: false, entryFileNames: "[name].js", chunkFileNames, manualChunks, onlyExplicitManualChunks: true, sourcemap: true });
  await bundle.close();
  for (const f of readdirSync(dir)) rmSync(join(dir, f));
  for (const f of readdirSync(out)) renameSync(join(out, f), join(dir, f));
  rmSync(out, { recursive: true });
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);
}

/** What each esbuild chunk was built from, from its source map: `src/…` and `node_modules/<package>/…`. */
function sourcesOf(id: string): string[] {
  if (!existsSync(`${id}.map`)) return [];
  const { sources } = JSON.parse(readFileSync(`${id}.map`, "utf8")) as { sources: string[] };
  return sources.map((s) => relative(process.cwd(), resolve(dirname(id), s)).replace(/^.*node_modules\//, "node_modules/"));
}

/** Rollup's manualChunks: each module of a stage (see STAGES) into that stage's file; the rest as Rollup places it. */
function stageChunks(entries: string[]): GetManualChunk {
  let stageOf: Map<string, string> | undefined;
  return (id, meta) => (stageOf ??= assignStages(entries, meta)).get(id);
}

function assignStages(entries: string[], { getModuleIds, getModuleInfo }: ManualChunkMeta): Map<string, string> {
  const all = [...getModuleIds()];
  const sources = new Map(all.map((id) => [id, sourcesOf(id)]));
  const internal = (ids: readonly string[]) => ids.filter((i) => getModuleInfo(i) && !getModuleInfo(i)!.isExternal);
  const closure = (starts: readonly string[]) => {
    const seen = new Set<string>();
    const stack = [...starts];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (!seen.has(id)) stack.push(...internal(getModuleInfo((seen.add(id), id))!.importedIds));
    }
    return seen;
  };
  // What an entry imports statically stays in it: named for it here, since a module a stage also
  // imports would otherwise go to a chunk of its own that the entry then loads at start.
  const atStart = closure(entries);
  const stageOf = new Map<string, string>();
  for (const entry of entries) {
    const others = closure(entries.filter((e) => e !== entry));
    for (const id of closure([entry])) if (!others.has(id)) stageOf.set(id, basename(entry, ".js"));
  }
  const lazyEntries = [...new Set(all.flatMap((id) => internal(getModuleInfo(id)!.dynamicallyImportedIds)))].map((d) => closure([d]));
  for (const stage of STAGES) {
    const roots = all.filter((id) => sources.get(id)!.some((s) => stage.roots.includes(s)));
    const loadsOnlyWith = (id: string) => lazyEntries.every((c) => !c.has(id) || [...c].some((m) => sources.get(m)!.some((s) => s.startsWith(stage.onlyWith!))));
    for (const id of closure(roots)) {
      if (!atStart.has(id) && !stageOf.has(id) && (!stage.onlyWith || loadsOnlyWith(id))) stageOf.set(id, stage.name);
    }
    // esbuild's facade for a lazily imported module (no code of its own: it re-exports a chunk and
    // imports that chunk's dependencies) goes where the chunk it re-exports goes: when it imports
    // something of this stage, and nothing this stage does not load anyway.
    const members = [...stageOf].filter(([, s]) => s === stage.name).map(([id]) => id);
    const loadedWith = new Set([...closure(members), ...atStart]);
    for (const id of all) {
      const imports = internal(getModuleInfo(id)!.importedIds);
      const inStage = imports.some((i) => stageOf.get(i) === stage.name);
      if (!loadedWith.has(id) && !stageOf.has(id) && sources.get(id)!.length === 0 && inStage && imports.every((i) => loadedWith.has(i))) stageOf.set(id, stage.name);
    }
  }
  return stageOf;
}

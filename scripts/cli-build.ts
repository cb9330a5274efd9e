/**
 * What the CLI's build (tsup.config.ts) adds to esbuild, so that a command loads no more than it uses.
 *
 * mergeCliChunks, the second pass (run after esbuild): regroups esbuild's chunks so that what a
 * command loads at start is one file.
 *
 * esbuild splits every module that a lazily loaded chunk shares with the entry into a chunk of its
 * own (the CLI's error classes, commander, the version…): `--help` read, resolved and linked 13 files.
 * Rollup knows that a module the entry imports statically is already loaded whenever the entry's
 * lazy imports run, so it keeps such modules in the entry and lets the lazy chunks import them from
 * there. It only regroups esbuild's output (plain ESM, one esbuild chunk = one Rollup module): no
 * transform, no tree shaking, the code stays esbuild's. Source maps are carried through to src/.
 *
 * An entry with a top-level await would deadlock this arrangement (a lazy chunk importing from an entry
 * still evaluating waits for it), so Rollup refuses to do it there: src/cli/run.ts has none.
 */
import { existsSync, readFileSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Plugin as EsbuildPlugin } from "esbuild";
import { rollup, type Plugin } from "rollup";

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
  await bundle.write({ dir: out, format: "es", entryFileNames: "[name].js", chunkFileNames, sourcemap: true });
  await bundle.close();
  for (const f of readdirSync(dir)) rmSync(join(dir, f));
  for (const f of readdirSync(out)) renameSync(join(out, f), join(dir, f));
  rmSync(out, { recursive: true });
}

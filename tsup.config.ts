import { defineConfig, type Options } from "tsup";
import { lazyChildProcessInCommander, mergeCliChunks } from "./scripts/cli-build.js";

const common: Options = {
  format: ["esm"],
  target: "node20",
  platform: "node",
  sourcemap: true,
  // Bundled CommonJS (commander) needs a real `require` for node built-ins inside ESM.
  banner: { js: 'import { createRequire as __ayidaCreateRequire } from "node:module"; const require = __ayidaCreateRequire(import.meta.url);' },
};

export default defineConfig([
  {
    // The library: `import { InngestService } from "ayida-jobs"`, and `ayida-jobs/inngest` (the
    // functions and routes inside the portal's own app). The Inngest SDK stays a real dependency
    // here, so the caller's SDK and ours are one copy (EventType triggers match, and the caller's
    // `serve` from inngest/next serves our client). Shared code is in shared chunks: one copy of
    // each module (the metrics registry, the settings of each client) whichever entry loads it.
    ...common,
    entry: { index: "src/index.ts", inngest: "src/inngest.ts" },
    splitting: true,
    dts: true,
    clean: true,
  },
  {
    // The CLI: one self-contained program. Everything is bundled: one parsed file starts far faster
    // than the hundreds of ESM modules it replaces (zod, commander, and ~400 files of the Inngest
    // SDK, which `detail` loads only to send). Splitting keeps the SDK, the functions and the server
    // in chunks that only the commands needing them load.
    ...common,
    // dev-watchdog: run by `ayida-jobs dev` as a process of its own (src/dev/watchdog.ts).
    entry: { cli: "src/cli/run.ts", "dev-watchdog": "src/dev/watchdog.ts" },
    outDir: "dist/cli",
    splitting: true,
    // Then what a command loads at start becomes one file (scripts/cli-build.ts).
    onSuccess: () => mergeCliChunks("dist/cli", ["cli", "dev-watchdog"]),
    esbuildPlugins: [lazyChildProcessInCommander],
    // Keep `node:` on built-ins: tsup's plugin that strips it would resolve them before ours sees them.
    removeNodeProtocol: false,
    // Except native and worker-thread packages, which must load from node_modules as they are.
    noExternal: [/^(?!better-sqlite3|pg$|pg\/|pino|thread-stream)/],
  },
  {
    // What bin/ayida-jobs.js installs before it loads the CLI (src/cli/compile-cache.ts): one small
    // CommonJS file of Node built-ins, apart from the CLI's chunks (whose shared helpers it must not
    // pull into every start).
    entry: { "compile-cache": "src/cli/compile-cache.ts" },
    format: ["cjs"],
    target: "node20",
    platform: "node",
    outDir: "dist/boot",
    sourcemap: true,
    removeNodeProtocol: false,
  },
]);

#!/usr/bin/env -S node --
// "--" stops Node 20 from reading our --env-file flag as its own (Node 20 parses it anywhere in argv).
// CommonJS (bin/package.json), as the CLI is: see scripts/cli-build.ts.
// V8's code cache for the CLI's files first (src/cli/compile-cache.ts), then the CLI.
require("../dist/boot/compile-cache.cjs").installCompileCache(require("node:path").join(__dirname, "../dist/cli"));
require("../dist/cli/cli.js");

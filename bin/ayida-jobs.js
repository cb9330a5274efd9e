#!/usr/bin/env -S node --
// "--" stops Node 20 from reading our --env-file flag as its own (Node 20 parses it anywhere in argv).
// CommonJS (bin/package.json), as the CLI is: see scripts/cli-build.ts.
require("../dist/cli/cli.js");

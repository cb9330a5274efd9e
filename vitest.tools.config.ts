/**
 * The tools suite (`npm run test:tools`): checks that need programs a Node machine does not have —
 * promtool (Debian's prometheus package) lints /metrics, zsh and fish run the completion scripts in
 * their own shells. `npm test` keeps everything that can be checked without them; `.ci/run` installs
 * these programs and runs this suite too. A missing program fails its file, saying how to get it:
 * never a skip.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/tools/**/*.tools.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    env: { NODE_ENV: "test" },
  },
});

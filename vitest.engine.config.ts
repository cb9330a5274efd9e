/**
 * The engine suite (`npm run test:engine`): the whole deployment against the real Inngest Dev Server.
 * Files run one after another — each starts its own Dev Server and serve, and the machine has two
 * cores shared with other suites — with timeouts sized for a real engine (sync every few seconds,
 * throttles of a few runs per second), not for unit tests. `npm test` never picks these files up:
 * they are *.engine.ts, not *.test.ts.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/engine/**/*.engine.ts"],
    globalSetup: ["test/engine/support/global-setup.ts"],
    fileParallelism: false,
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 90_000,
    // Report, don't retry: a flaky engine case is a finding, not noise to hide.
    retry: 0,
    env: { NODE_ENV: "test" },
  },
});

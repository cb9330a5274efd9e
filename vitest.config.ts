import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The CLI tests run the built binary; npm's pretest builds it first.
    testTimeout: 20_000,
    hookTimeout: 20_000,
    env: { NODE_ENV: "test" },
  },
});

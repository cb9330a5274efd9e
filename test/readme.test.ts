/** The README's dataset table is generated from the declarations; this keeps it from drifting. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { withTable } from "../scripts/readme-datasets.js";
import { envSchema } from "../src/config/env.js";
import { DATASETS } from "../src/datasets/index.js";

describe("README", () => {
  const readme = readFileSync(resolve(import.meta.dirname, "../README.md"), "utf8");

  it("its dataset table is the one the declarations give (npm run docs rewrites it)", () => {
    expect(readme).toBe(withTable(readme));
  });

  it("names every dataset, and the generated batch routes", () => {
    for (const d of DATASETS) expect(readme).toContain(`| \`${d.name}\` |`);
    expect(readme).toContain("`POST /api/batch/sync-<dataset>`");
    expect(readme).toContain("`POST /api/batch/sync-all`");
  });

  it("documents every variable the configuration reads, in the Configuration table", () => {
    const documented = new Set([...readme.matchAll(/^\| `([A-Z][A-Z0-9_<>]*)`(?:, `([A-Z][A-Z0-9_]*)`)? \|/gm)].flatMap((m) => [m[1], m[2]]));
    const missing = Object.keys(envSchema.shape).filter((v) => !documented.has(v) && !(v.startsWith("SCHEDULE_") && documented.has("SCHEDULE_<DATASET>")));
    expect(missing).toEqual([]);
  });
});

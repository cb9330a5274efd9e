/**
 * `npm run docs`: rewrites the README's dataset table (between `<!-- datasets:begin -->` and
 * `<!-- datasets:end -->`) from the declarations. test/readme.test.ts fails when it is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { datasetsMarkdownTable } from "../src/datasets/describe.js";

export const BEGIN = "<!-- datasets:begin -->";
export const END = "<!-- datasets:end -->";

export function withTable(readme: string): string {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${BEGIN} … ${END} section`);
  return `${readme.slice(0, a + BEGIN.length)}\n${datasetsMarkdownTable()}\n${readme.slice(b)}`;
}

if (process.argv[1]?.endsWith("docs.mjs")) {
  const file = resolve(process.cwd(), "README.md");
  writeFileSync(file, withTable(readFileSync(file, "utf8")));
  console.log("README.md: dataset table rewritten from src/datasets");
}

/**
 * `npm run docs`: rewrites the dataset table of docs/datasets.md (between `<!-- datasets:begin -->` and
 * `<!-- datasets:end -->`) from the declarations. test/docs.test.ts fails when it is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { datasetsMarkdownTable } from "../src/contracts/dataset-catalog.js";

export const BEGIN = "<!-- datasets:begin -->";
export const END = "<!-- datasets:end -->";
/** The file that holds the table, from the repository's root. */
export const DATASETS_DOC = "docs/datasets.md";

export function withTable(readme: string): string {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${DATASETS_DOC} has no ${BEGIN} … ${END} section`);
  return `${readme.slice(0, a + BEGIN.length)}\n${datasetsMarkdownTable()}\n${readme.slice(b)}`;
}

if (process.argv[1]?.endsWith("docs.mjs")) {
  const file = resolve(process.cwd(), DATASETS_DOC);
  writeFileSync(file, withTable(readFileSync(file, "utf8")));
  console.log(`${DATASETS_DOC}: dataset table rewritten from src/datasets`);
}

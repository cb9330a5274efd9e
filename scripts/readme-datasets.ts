/**
 * `npm run docs`: rewrites the dataset table of docs/datasets.md (between `<!-- datasets:begin -->` and
 * `<!-- datasets:end -->`) from the declarations, and the reads of docs/portal-reads.md (between
 * `<!-- reads:begin -->` and `<!-- reads:end -->`) from src/adapters/store/portal-reads.ts.
 * test/docs.test.ts fails when either is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { datasetsMarkdownTable } from "../src/contracts/dataset-catalog.js";
import { indexOf, PORTAL_READS, sqlOf } from "../src/adapters/store/portal-reads.js";

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

export const READS_BEGIN = "<!-- reads:begin -->";
export const READS_END = "<!-- reads:end -->";
export const READS_DOC = "docs/portal-reads.md";

/** Each read: its title, notes, SQL (one block, or one per database) and the index its plan uses. */
export function readsMarkdown(): string {
  return PORTAL_READS.map((r) => {
    const same = sqlOf(r, "sqlite") === sqlOf(r, "postgres");
    const sqlBlocks = same ? `\`\`\`sql\n${sqlOf(r, "sqlite")}\n\`\`\`` : `SQLite:\n\n\`\`\`sql\n${sqlOf(r, "sqlite")}\n\`\`\`\n\nPostgreSQL:\n\n\`\`\`sql\n${sqlOf(r, "postgres")}\n\`\`\``;
    const index = indexOf(r, "sqlite") === indexOf(r, "postgres") ? `\`${indexOf(r, "sqlite")}\`` : `\`${indexOf(r, "sqlite")}\` (SQLite), \`${indexOf(r, "postgres")}\` (PostgreSQL)`;
    const example = Object.keys(r.example).length ? ` Example: ${Object.entries(r.example).map(([k, v]) => `\`:${k}\` = \`${v}\``).join(", ")}.` : "";
    return `### ${r.title}\n\n\`${r.id}\` — ${r.notes}${example} Index: ${index}.\n\n${sqlBlocks}\n`;
  }).join("\n");
}

export function withReads(doc: string): string {
  const a = doc.indexOf(READS_BEGIN);
  const b = doc.indexOf(READS_END);
  if (a < 0 || b < a) throw new Error(`${READS_DOC} has no ${READS_BEGIN} … ${READS_END} section`);
  return `${doc.slice(0, a + READS_BEGIN.length)}\n${readsMarkdown()}\n${doc.slice(b)}`;
}

if (process.argv[1]?.endsWith("docs.mjs")) {
  const file = resolve(process.cwd(), DATASETS_DOC);
  writeFileSync(file, withTable(readFileSync(file, "utf8")));
  console.log(`${DATASETS_DOC}: dataset table rewritten from src/datasets`);
  const reads = resolve(process.cwd(), READS_DOC);
  writeFileSync(reads, withReads(readFileSync(reads, "utf8")));
  console.log(`${READS_DOC}: reads rewritten from src/adapters/store/portal-reads.ts`);
}

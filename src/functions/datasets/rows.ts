/**
 * From a BDNS answer to rows ready to store: read the answer's shape (a list, a tree, a page), check
 * each record against the table's lenient schema, compute its columns, its raw JSON and the hash of
 * its canonical form. A record the schema refuses is set aside with where it came from and the first
 * offending field; the rest of the answer is stored. An answer that is not the feed's shape at all is
 * a broken answer (BROKEN_RECORD): nothing of it is stored.
 */
import * as z from "zod/mini";
import { BdnsError } from "../../adapters/bdns/errors.js";
import type { PreparedRow } from "../../adapters/store/dataset-tables.js";
import { canonicalHash } from "../../datasets/canonical.js";
import { withoutNul } from "../../datasets/noise.js";
import type { ColumnValue, Feed, RowContext } from "../../datasets/types.js";

export interface RefusedRecord {
  /** Where in the answer: `#12` (list, page) or `#3.1` (tree path). */
  at: string;
  reason: string;
}

export interface ReadAnswer {
  rows: PreparedRow[];
  refused: RefusedRecord[];
  /** Pages: how many the endpoint has (page 0 tells). Lists and trees: 1. */
  totalPages: number;
  /** Pages: how many rows the whole answer holds, as the page says (Spring's `totalElements`). */
  totalElements?: number;
}

const pageEnvelope = z.looseObject({ content: z.array(z.unknown()), totalPages: z.int(), totalElements: z.optional(z.int()) });

export function readAnswer(feed: Feed<any>, body: unknown, ctx: Pick<RowContext, "feed" | "sweep">, path: string): ReadAnswer {
  const columns = Object.entries(feed.table.columns);
  const rows: PreparedRow[] = [];
  const refused: RefusedRecord[] = [];

  const add = (record: unknown, at: string, rowCtx: RowContext) => {
    const checked = feed.table.row.safeParse(record);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      const where = issue?.path.length ? issue.path.join(".") : "(the record)";
      refused.push({ at, reason: `${path} record ${at}: ${where}: ${issue?.message ?? "refused"}${typeof record === "string" ? ` (${JSON.stringify(record.slice(0, 80))})` : ""}` });
      return;
    }
    const row = checked.data as Record<string, unknown>;
    const values: ColumnValue[] = columns.map(([, c]) => {
      const v = c.value(row, rowCtx);
      return typeof v === "string" ? withoutNul(v) : v; // PostgreSQL's text holds no NUL
    });
    const hashed = feed.table.normalise ? feed.table.normalise(row) : row;
    // A tree node's place (its parent) is part of what it is; its children are rows of their own.
    const identity = feed.answer === "tree" ? { node: hashed, parentId: rowCtx.parentId ?? null } : hashed;
    rows.push({ values, raw: JSON.stringify(record), hash: canonicalHash(identity) });
  };

  if (body === undefined || body === null) return { rows, refused, totalPages: 0 }; // 204: empty
  if (feed.answer === "page") {
    const page = pageEnvelope.safeParse(body);
    if (!page.success) throw brokenAnswer(path, page.error.issues[0], "a page ({content, totalPages})");
    page.data.content.forEach((r, i) => add(r, `#${i}`, { ...ctx }));
    return { rows, refused, totalPages: page.data.totalPages, ...(page.data.totalElements !== undefined && { totalElements: page.data.totalElements }) };
  }
  if (!Array.isArray(body)) throw brokenAnswer(path, undefined, feed.answer === "tree" ? "a tree (an array of nodes)" : "a list (an array)");
  if (feed.answer === "list") {
    body.forEach((r, i) => add(r, `#${i}`, { ...ctx }));
  } else {
    const walk = (nodes: unknown, parentId: number | null, level: number, at: string) => {
      if (!Array.isArray(nodes)) return;
      nodes.forEach((node, i) => {
        const where = `${at}${at ? "." : "#"}${i}`;
        if (node && typeof node === "object" && !Array.isArray(node)) {
          const { children, ...own } = node as Record<string, unknown>;
          add(own, where, { ...ctx, parentId, level });
          const id = (own as { id?: unknown }).id;
          if (typeof id === "number") walk(children, id, level + 1, where);
        } else {
          add(node, where, { ...ctx, parentId, level });
        }
      });
    };
    walk(body, null, 0, "");
  }
  return { rows, refused, totalPages: 1 };
}

function brokenAnswer(path: string, issue: { path: PropertyKey[]; message: string } | undefined, expected: string): BdnsError {
  const where = issue?.path.length ? ` at ${issue.path.join(".")}: ${issue.message}` : "";
  return new BdnsError("BROKEN_RECORD", `${path}: the answer is not ${expected}${where}`, { path });
}

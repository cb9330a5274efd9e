/**
 * A dataset's work, cut into units: one unit is one feed for one sweep value (or one window piece):
 * one request, or one paged listing. A unit is what is stored, counted and replaced as a whole, and
 * what one function run does when a sync fans out.
 */
import { toBdnsDate } from "../../adapters/bdns/client.js";
import type { DatasetDeclaration, Feed } from "../../datasets/types.js";
import { addDays, type Window } from "../../contracts/window.js";

export interface Unit {
  feed: string;
  sweep?: string;
  /** Windowed feeds: the piece, inclusive at both ends as users say it. */
  from?: string;
  to?: string;
}

/** The unit's name within its run and dataset: `reglamentos:C`, `busqueda`, `busqueda 2026-09-01..2026-09-07`. */
export function unitKey(u: Unit): string {
  return `${u.feed}${u.sweep !== undefined ? `:${u.sweep}` : ""}${u.from ? ` ${u.from}..${u.to}` : ""}`;
}

export function feedOf(d: DatasetDeclaration, u: Pick<Unit, "feed">): Feed<any> {
  const feed = d.feeds.find((f) => f.id === u.feed);
  if (!feed) throw new Error(`dataset ${d.name} has no feed ${u.feed}`);
  return feed;
}

/**
 * The units of a sync: every feed × its sweep values (static, or as discovered) × the window's
 * pieces for windowed feeds.
 */
export function unitsOf(d: DatasetDeclaration, discovered: Record<string, string[]>, pieces: readonly Window[]): Unit[] {
  const units: Unit[] = [];
  for (const feed of d.feeds) {
    const values = !feed.sweep ? [undefined] : "values" in feed.sweep ? [...feed.sweep.values] : (discovered[feed.id] ?? []);
    for (const sweep of values) {
      const base = { feed: feed.id, ...(sweep !== undefined && { sweep }) };
      if (feed.window) for (const p of pieces) units.push({ ...base, from: p.from, to: p.to });
      else units.push(base);
    }
  }
  return units;
}

/** The query a unit's request carries (page and size added for paged feeds). */
export function unitParams(feed: Feed<any>, u: Unit, page: number, pageSize: number): Record<string, string> {
  const params: Record<string, string> = {};
  if (feed.sweep && u.sweep !== undefined) params[feed.sweep.param] = u.sweep;
  if (feed.window && u.from && u.to) {
    params[feed.window.fromParam] = toBdnsDate(u.from);
    // BDNS's registration-date bound is exclusive: ask for the day after, so `to` is included.
    params[feed.window.toParam] = toBdnsDate(feed.window.toExclusive ? addDays(u.to, 1) : u.to);
  }
  if (feed.answer === "page") {
    params.page = String(page);
    params.pageSize = String(pageSize);
    if (feed.order) Object.assign(params, feed.order);
  }
  return params;
}

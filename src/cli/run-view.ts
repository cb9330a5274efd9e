/**
 * Runs for people: the one-line progress of `--wait`, the block `status` prints, the `runs` table, and
 * the lists of what failed or is still pending. Plain text (no color codes inside: the callers color
 * whole lines), every line cut to a width when one is given, so a redraw never wraps.
 */
import type { Awaiting, DatasetState, RunState, RunSummary } from "../runs/state.js";

const n = (x: number) => x.toLocaleString("en-US");
/** `03:13:10Z` */
export const clock = (iso: string) => `${iso.slice(11, 19)}Z`;
/** `2026-11-28 03:13:10Z` */
export const when = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;

export function duration(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1000) return `${ms}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** The failing part of a line: `failing 2 (attempt 3 of 6, next 03:13:10Z)`. */
function failingText(f: DatasetState["failing"]): string {
  if (f.count === 0) return "failing 0";
  const attempt = f.maxAttempt !== null ? `attempt ${f.count > 1 ? "up to " : ""}${f.maxAttempt}${f.maxAttempts !== null ? ` of ${f.maxAttempts}` : ""}` : "";
  const next = f.nextAttemptAt ? `next ${clock(f.nextAttemptAt)}` : "";
  const detail = [attempt, next].filter(Boolean).join(", ");
  return `failing ${n(f.count)}${detail ? ` (${detail})` : ""}`;
}

/** Rows listed (convocatorias) or fetched (datasets). */
const rowsOf = (c: { listed: number; fetched: number }) => c.listed + c.fetched;

function counts(items: RunSummary["totals"]["items"], counters: RunSummary["totals"]["counters"], failing: DatasetState["failing"], o: { zeros?: boolean } = {}): string[] {
  const parts = [`rows ${n(rowsOf(counters))}`];
  if (o.zeros || items.queued) parts.push(`queued ${n(items.queued)}`);
  parts.push(`stored ${n(items.stored)}`, `unchanged ${n(items.unchanged)}`);
  if (o.zeros || items.failing) parts.push(failingText(failing));
  parts.push(`failed ${n(items.failed)}`);
  return parts;
}

function runFailing(s: RunSummary): DatasetState["failing"] {
  const fs = s.datasets.map((d) => d.failing).filter((f) => f.count > 0);
  const nums = (xs: Array<number | null>) => xs.filter((x): x is number => x !== null);
  const at = fs.map((f) => f.nextAttemptAt).filter((x): x is string => Boolean(x)).sort();
  return {
    count: fs.reduce((a, f) => a + f.count, 0),
    maxAttempt: nums(fs.map((f) => f.maxAttempt)).length ? Math.max(...nums(fs.map((f) => f.maxAttempt))) : null,
    maxAttempts: nums(fs.map((f) => f.maxAttempts)).length ? Math.max(...nums(fs.map((f) => f.maxAttempts))) : null,
    nextAttemptAt: at[0] ?? null,
  };
}

function awaitingText(a: readonly Awaiting[] | undefined): string | undefined {
  if (!a?.length) return undefined;
  return `not picked up yet: ${a.map((x) => (x.kind === "sync" ? `${x.dataset} sync` : `${n(x.expected - x.seen)} ${x.dataset} ${x.kind}${x.expected - x.seen === 1 ? "" : "s"}`)).join(", ")}`;
}

/** One line, for a spinner or a log: what moves while the run works. */
export function progressLine(s: RunState): string {
  if (s.state === "pending") return `run ${s.runId}: waiting for a function to pick it up…`;
  const head =
    s.datasets.length === 1
      ? `${s.datasets[0]!.dataset}${s.datasets[0]!.pieces.total > 1 ? ` pieces ${n(s.datasets[0]!.pieces.done)}/${n(s.datasets[0]!.pieces.total)}` : ""}`
      : `${s.datasets.length} datasets, ${s.datasets.filter((d) => d.done).length} done`;
  const parts = [head, ...counts(s.totals.items, s.totals.counters, runFailing(s), { zeros: true })];
  const waiting = awaitingText(s.awaiting);
  if (waiting) parts.push(waiting);
  parts.push(duration(s.durationMs));
  return parts.join(" · ");
}

/** `status`: the run, each dataset, what failed for good and what is failing now. */
export function statusLines(s: RunState): string[] {
  const lines: string[] = [];
  if (s.state === "pending") {
    lines.push(`run ${s.runId}: pending — the store knows nothing of this run yet`);
    lines.push("  no function has picked it up (it may be queued), or the run id is not one this store has seen");
    const waiting = awaitingText(s.awaiting);
    if (waiting) lines.push(`  ${waiting}`);
    return lines;
  }
  lines.push(`run ${s.runId}: ${s.state}`);
  const time = [s.startedAt ? `started ${when(s.startedAt)}` : "", s.finishedAt ? `finished ${when(s.finishedAt)}` : "running", duration(s.durationMs)].filter(Boolean);
  lines.push(`  ${time.join(" · ")}`);
  if (s.retryOf) lines.push(`  retry of ${s.retryOf}`);
  if (s.retries.length) lines.push(`  retried by ${s.retries.join(", ")}`);
  for (const d of s.datasets) {
    const what = [d.kind ?? "items", d.window ? `${d.window.from}..${d.window.to}` : ""].filter(Boolean).join(" ");
    lines.push(`  ${d.dataset} (${what}): ${d.status === "requested" ? "requested, not picked up yet" : d.state}`);
    const pieces = d.pieces.total > 0 ? `pieces ${n(d.pieces.done)}/${n(d.pieces.total)}` : d.pieces.done > 0 ? `pieces ${n(d.pieces.done)}` : "";
    const rows = d.counters.listed ? `listed ${n(d.counters.listed)}` : d.counters.fetched ? `fetched ${n(d.counters.fetched)}` : "";
    const fanned = d.counters.queued ? `details requested ${n(d.counters.queued)}` : "";
    const head = [pieces, rows, fanned].filter(Boolean);
    if (head.length) lines.push(`    ${head.join(" · ")}`);
    const it = d.items;
    lines.push(`    ${n(it.total)} item${it.total === 1 ? "" : "s"}${kindsText(d)}: queued ${n(it.queued)} · stored ${n(it.stored)} · unchanged ${n(it.unchanged)} · ${failingText(d.failing)} · failed ${n(it.failed)}`);
    const c = d.counters;
    const stored = [`new ${n(c.new)}`, `changed ${n(c.changed)}`, `unchanged ${n(c.unchanged)}`, ...(c.removed ? [`removed ${n(c.removed)}`] : []), ...(c.removalsHeld ? [`removal held back ${n(c.removalsHeld)}`] : []), ...(c.documentsStored ? [`documents stored ${n(c.documentsStored)}`] : [])];
    if (c.new + c.changed + c.unchanged + c.removed + c.removalsHeld + c.documentsStored > 0) lines.push(`    records: ${stored.join(" · ")}`);
  }
  if (s.heldRemovals?.length) {
    lines.push(`removal held back (${n(s.totals.counters.removalsHeld)} rows not marked removed):`);
    for (const h of s.heldRemovals) lines.push(`  ${h.dataset} ${h.unit}: ${n(h.rows)} of ${n(h.of)} rows (${h.reason}): ${h.message}`);
    const datasets = [...new Set(s.heldRemovals.map((h) => h.dataset))];
    lines.push(`  if BDNS really dropped them: ${datasets.map((d) => `ayida-jobs sync ${d} --allow-removal`).join("; ")}`);
  }
  const waiting = awaitingText(s.awaiting);
  if (waiting) lines.push(`  ${waiting}`);
  if (s.failures.length) {
    lines.push(`failed for good (${n(s.totals.items.failed)}):`);
    lines.push(...failureLines(s));
  }
  if (s.failing.length) {
    lines.push(`failing now (${n(s.totals.items.failing)}):`);
    for (const f of s.failing) {
      const attempt = `attempt ${f.attempt}${f.maxAttempts !== null ? ` of ${f.maxAttempts}` : ""}`;
      const next = f.nextAttemptAt ? `next at ${when(f.nextAttemptAt)}` : "last attempt; being failed";
      lines.push(`  ${f.dataset} ${f.kind} ${f.item}  ${attempt}, ${next}  ${f.failure ?? ""}${f.reason ? `: ${f.reason}` : ""}`);
    }
    if (s.failingOmitted) lines.push(`  … and ${n(s.failingOmitted)} more`);
  }
  return lines;
}

/** ` (398 detail, 2 document, 1 piece)`: what the items are. */
function kindsText(d: DatasetState): string {
  const kinds = Object.entries(d.itemsByKind);
  return kinds.length ? ` (${kinds.map(([k, c]) => `${n(c.total)} ${k}`).join(", ")})` : "";
}

/** The failures, one a line (those read; the rest counted). */
export function failureLines(s: Pick<RunState, "failures" | "failuresOmitted">, limit = Infinity): string[] {
  const lines = s.failures.slice(0, limit).map((f) => `  ${f.dataset} ${f.kind} ${f.item}  ${f.failure ?? "FAILED"}${f.reason ? `: ${f.reason}` : ""}`);
  const more = s.failuresOmitted + Math.max(0, s.failures.length - limit);
  if (more > 0) lines.push(`  … and ${n(more)} more`);
  return lines;
}

/** What a run that is not done is still doing: for a timeout or an interruption. */
export function pendingText(s: RunState): string {
  if (s.state === "pending") return awaitingText(s.awaiting) ?? "no function has picked the run up yet";
  const parts: string[] = [];
  for (const d of s.datasets) {
    if (d.done) continue;
    const bits = [
      ...(d.kind === "sync" && d.status === "running" ? [`pieces ${n(d.pieces.done)}/${n(d.pieces.total)} done`] : []),
      ...(d.items.queued ? [`${n(d.items.queued)} queued`] : []),
      ...(d.items.failing ? [failingText(d.failing)] : []),
    ];
    parts.push(`${d.dataset}: ${d.status === "requested" ? "not picked up yet" : bits.join(", ") || "picked up, nothing recorded yet"}`);
  }
  const waiting = awaitingText(s.awaiting);
  if (waiting) parts.push(waiting);
  return parts.join("; ") || "nothing";
}

/** `runs`: a table when it fits (or stdout is not a terminal), else one block per run. */
export function runsLines(runs: readonly RunSummary[], width: number | undefined, allDatasets: number): string[] {
  const rows = runs.map((r) => [
    r.runId,
    datasetsText(r, allDatasets),
    windowText(r),
    r.startedAt ? `${when(r.startedAt).slice(0, 16)}Z` : "—",
    duration(r.durationMs) + (r.done ? "" : "…"),
    r.state,
    briefCounts(r),
  ]);
  const header = ["RUN ID", "DATASET", "WINDOW", "STARTED", "DURATION", "STATE", "COUNTERS"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const table = [header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  "));
  if (width === undefined || table.every((l) => l.length <= width)) return table;
  // Narrow terminal: one block per run, its parts wrapped at their separators.
  const out: string[] = [];
  for (const r of rows) {
    out.push(cut(`${r[0]}  ${r[5]}`, width));
    out.push(...wrap([r[1]!, ...(r[2] === "—" ? [] : [r[2]!]), `started ${r[3]}`, r[4]!], width, "  "));
    out.push(...wrap(r[6]!.split(" · "), width, "  "));
  }
  return out;
}

/** Parts joined by ` · `, as few lines as fit `width` (a part wider than that alone is cut). */
function wrap(parts: readonly string[], width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = "";
  for (const part of parts) {
    const next = line ? `${line} · ${part}` : `${indent}${part}`;
    if (line && next.length > width) {
      lines.push(line);
      line = `${indent}${part}`;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines.map((l) => cut(l, width));
}

/** `rows 412 · items 395/401 · failing 6 (…) · failed 3`: rows listed/fetched, items with an outcome of all filed. */
function briefCounts(r: RunSummary): string {
  const it = r.totals.items;
  const parts = [`rows ${n(rowsOf(r.totals.counters))}`, `items ${n(it.stored + it.unchanged + it.failed)}/${n(it.total)}`];
  if (it.failing) parts.push(failingText(runFailing(r)));
  parts.push(`failed ${n(it.failed)}`);
  if (r.totals.counters.removalsHeld) parts.push(`removal held back ${n(r.totals.counters.removalsHeld)}`);
  return parts.join(" · ");
}

function datasetsText(r: RunSummary, all: number): string {
  const names = r.datasets.map((d) => d.dataset);
  if (names.length === 0) return "—";
  if (names.length === all && all > 1) return `all (${all})`;
  return names.length === 1 ? names[0]! : `${names[0]} +${names.length - 1}`;
}

function windowText(r: RunSummary): string {
  const windows = [...new Set(r.datasets.filter((d) => d.window).map((d) => `${d.window!.from}..${d.window!.to}`))];
  if (windows.length === 0) return "—";
  return windows.length === 1 ? windows[0]! : `${windows[0]} +${windows.length - 1}`;
}

/** A line no wider than `width` (an ellipsis says it was cut). */
export function cut(line: string, width: number): string {
  return line.length <= width ? line : `${line.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * Schedules: Inngest cron functions inside the app that request a dataset's sync, off by default.
 *
 * One variable per dataset, named after it: SCHEDULE_<DATASET> (upper case, `-` → `_`), e.g.
 *   SCHEDULE_CONVOCATORIAS="TZ=Europe/Madrid 0 3 * * *"      every day at 03:00, Madrid time
 *   SCHEDULE_CATALOGOS="TZ=Europe/Madrid 30 4 * * 1"         Mondays at 04:30
 * The value is Inngest's own cron trigger: an optional `TZ=<IANA zone>` (UTC without it) and five
 * fields (minute hour day-of-month month day-of-week). Unset or empty: no schedule for that dataset.
 *
 * Checked when the environment is read, so a bad value is a configuration error (exit 78) naming the
 * variable, before `serve` registers anything: Inngest rejects an invalid cron at registration, and
 * then registers none of the app's functions. Only the syntax Inngest's parser and ours agree on is
 * accepted: numbers, names (JAN–DEC, SUN–SAT), `*`, `?`, ranges `a-b`, lists `a,b`, steps `*\/n` and
 * `a-b/n`.
 */
import { ConfigError } from "./errors.js";
import { SYNCABLE_DATASETS } from "../contracts/datasets.js";

export interface Schedule {
  dataset: string;
  /** The variable it came from (SCHEDULE_CONVOCATORIAS). */
  variable: string;
  /** The five fields, as given. */
  expression: string;
  /** IANA zone; UTC when the value names none. */
  timezone: string;
  /** The cron trigger exactly as Inngest receives it: `TZ=<zone> <fields>`. */
  cron: string;
}

/** The variable that schedules a dataset: SCHEDULE_<NAME>, upper case, `-` → `_`. */
export function scheduleVariable(dataset: string): `SCHEDULE_${string}` {
  return `SCHEDULE_${dataset.toUpperCase().replace(/-/g, "_")}`;
}

/** Every schedule variable, one per dataset `sync` accepts, in `datasets` order. */
export const SCHEDULE_VARIABLES: ReadonlyArray<{ dataset: string; variable: `SCHEDULE_${string}` }> = SYNCABLE_DATASETS.map((dataset) => ({ dataset, variable: scheduleVariable(dataset) }));

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31, question: true },
  { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], first: 1 },
  { name: "day of week", min: 0, max: 6, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], first: 0, question: true },
] as const;

const HINT = 'e.g. "TZ=Europe/Madrid 0 3 * * *" (every day at 03:00 Madrid time); five fields: minute hour day-of-month month day-of-week';

/** Parse one variable's value. Throws ConfigError naming the variable and what is wrong. */
export function parseSchedule(dataset: string, variable: string, raw: string): Schedule {
  const fail = (why: string): never => {
    throw new ConfigError(`${variable}: ${why}`, variable, `${HINT}; or unset ${variable} for no schedule`);
  };
  let rest = raw.trim().replace(/\s+/g, " ");
  let timezone = "UTC";
  const tz = /^(?:CRON_)?TZ=(\S*) ?/.exec(rest);
  if (tz) {
    timezone = tz[1]!;
    rest = rest.slice(tz[0].length);
    if (!timezone) fail("TZ= names no time zone");
    const canonical = canonicalZone(timezone);
    if (canonical === undefined) return fail(`"${timezone}" is not a time zone (an IANA name such as Europe/Madrid or UTC)`);
    if (canonical !== timezone && canonical.toLowerCase() === timezone.toLowerCase()) fail(`time zone "${timezone}" must be spelled "${canonical}"`);
  } else if (/^\S*=/.test(rest)) {
    fail(`"${rest.split(" ")[0]}" is not understood; a time zone is given as TZ=<zone>`);
  }
  const fields = rest === "" ? [] : rest.split(" ");
  if (fields.length !== 5) fail(`"${rest}" has ${fields.length} field${fields.length === 1 ? "" : "s"}; a cron expression has five (minute hour day-of-month month day-of-week)`);
  fields.forEach((f, i) => {
    const why = fieldProblem(f, FIELDS[i]!);
    if (why) fail(`${FIELDS[i]!.name} "${f}" ${why}`);
  });
  const expression = fields.join(" ");
  return { dataset, variable, expression, timezone, cron: `TZ=${timezone} ${expression}` };
}

/** Every schedule the environment sets, in `datasets` order. Throws on the first bad one. */
export function parseSchedules(env: Readonly<Record<string, unknown>>): Schedule[] {
  const out: Schedule[] = [];
  for (const { dataset, variable } of SCHEDULE_VARIABLES) {
    const raw = env[variable];
    if (typeof raw === "string" && raw.trim() !== "") out.push(parseSchedule(dataset, variable, raw));
  }
  return out;
}

/**
 * `SCHEDULE_*` variables set in `source` that schedule no dataset (SCHEDULE_CONVOCATORIA): serve reads
 * only the names it knows, so a misspelling schedules nothing, silently. Each with the closest name.
 */
export function unknownScheduleVariables(source: Readonly<Record<string, string | undefined>>): Array<{ variable: string; closest: string }> {
  const known = SCHEDULE_VARIABLES.map((s) => s.variable as string);
  return Object.keys(source)
    .filter((k) => k.startsWith("SCHEDULE_") && !known.includes(k) && source[k]?.trim())
    .sort()
    .map((variable) => ({ variable, closest: known.reduce((best, k) => (editDistance(variable, k) < editDistance(variable, best) ? k : best)) }));
}

/** Levenshtein distance: the fewest one-character insertions, deletions and substitutions from a to b. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** The zone as the runtime's time zone database spells it, or undefined when it has no such zone. */
function canonicalZone(zone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

type Field = (typeof FIELDS)[number];

function fieldProblem(field: string, spec: Field): string | undefined {
  for (const part of field.split(",")) {
    const m = /^(\*|\?|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(part);
    if (!m) return `is not a number, a name, *, a range a-b, a list a,b or a step */n`;
    const [, base, step] = m;
    if (base === "?" && !("question" in spec)) return "uses ?, which only day-of-month and day-of-week take";
    if (step !== undefined) {
      if (!base!.includes("-") && base !== "*") return `steps only follow * or a range (*/${step} or a-b/${step})`;
      if (Number(step) < 1 || Number(step) > spec.max - spec.min + 1) return `has a step of ${step}, outside 1–${spec.max - spec.min + 1}`;
    }
    if (base === "*" || base === "?") continue;
    const [a, b] = base!.split("-").map((v) => value(v, spec));
    if (a === undefined || (base!.includes("-") && b === undefined)) return `is outside ${spec.min}–${spec.max}${"names" in spec ? ` (or ${spec.names[0]}–${spec.names[spec.names.length - 1]})` : ""}`;
    if (b !== undefined && b < a) return `is a range that runs backwards`;
  }
  return undefined;
}

function value(v: string, spec: Field): number | undefined {
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    return n >= spec.min && n <= spec.max ? n : undefined;
  }
  if (!("names" in spec)) return undefined;
  const i = (spec.names as readonly string[]).indexOf(v.toUpperCase());
  return i < 0 ? undefined : i + spec.first;
}

/** When a schedule fires next (after `from`), in UTC; undefined if never (31 February). */
export async function nextRun(s: Pick<Schedule, "expression" | "timezone">, from: Date = new Date()): Promise<Date | undefined> {
  const { Cron } = await import("croner");
  const next = new Cron(s.expression, { timezone: s.timezone, mode: "5-part", paused: true }).nextRun(from);
  return next ?? undefined;
}

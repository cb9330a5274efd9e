/** The schedules as `datasets` and `doctor` show them: per dataset, its variable, its cron (or off) and its next run. */
import type { Env } from "./env.js";
import { nextRun, parseSchedules, SCHEDULE_VARIABLES } from "./schedules.js";

export interface ScheduleInfo {
  /** The variable that schedules it (SCHEDULE_CONVOCATORIAS). */
  variable: string;
  /** The cron trigger as Inngest receives it (`TZ=Europe/Madrid 0 3 * * *`), or null: not scheduled. */
  cron: string | null;
  /** The next tick, ISO 8601 UTC; null when off (or never: 31 February). */
  next: string | null;
}

/** Every dataset's schedule, by dataset name, in `datasets` order. Throws ConfigError on a bad value. */
export async function describeSchedules(env: Env, now: Date = new Date()): Promise<Map<string, ScheduleInfo>> {
  const set = new Map(parseSchedules(env).map((s) => [s.dataset, s]));
  const out = new Map<string, ScheduleInfo>();
  for (const { dataset, variable } of SCHEDULE_VARIABLES) {
    const s = set.get(dataset);
    out.set(dataset, { variable, cron: s?.cron ?? null, next: s ? ((await nextRun(s, now))?.toISOString() ?? null) : null });
  }
  return out;
}

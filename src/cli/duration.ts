/** `--timeout <duration>`: whole milliseconds, seconds or minutes, from 1 ms to 1 h. */
import { UsageError } from "./errors.js";

const UNIT_MS = { ms: 1, s: 1000, m: 60_000 } as const;
const MAX_MS = 3_600_000;

export function parseDuration(option: string, value: string): number {
  const m = /^(\d{1,7})(ms|s|m)$/.exec(value);
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : NaN;
  if (!(ms >= 1 && ms <= MAX_MS)) throw new UsageError(`${option}: ${JSON.stringify(value)} must be a duration from 1ms to 1h, like 30s, 2m or 1500ms`);
  return ms;
}

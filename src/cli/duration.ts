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

const LONG_UNIT_MS = { ...UNIT_MS, h: 3_600_000, d: 86_400_000 } as const;
const MAX_WAIT_MS = 7 * 86_400_000;

/** `--wait-timeout`, `--pickup-timeout`, `--poll`: like --timeout, plus hours and days, up to 7 d. */
export function parseWaitDuration(option: string, value: string, min = 1): number {
  const m = /^(\d{1,9})(ms|s|m|h|d)$/.exec(value);
  const ms = m ? Number(m[1]) * LONG_UNIT_MS[m[2] as keyof typeof LONG_UNIT_MS] : NaN;
  if (!(ms >= min && ms <= MAX_WAIT_MS)) throw new UsageError(`${option}: ${JSON.stringify(value)} must be a duration from ${min}ms to 7d, like 90s, 30m, 2h or 1d`);
  return ms;
}

/** --wait and its bounds as commander parses them (commands/send-options.ts's addWaitOptions). */
export interface WaitCommandOptions {
  wait?: boolean;
  waitTimeout?: string;
  pickupTimeout: string;
  poll?: string;
}

export interface FollowSettings {
  timeoutMs: number | undefined;
  pickupMs: number;
  pollMs: number | undefined;
}

/**
 * The wait options as numbers. Checked whenever a command takes them, whether it waits or not: a
 * `--dry-run` (how a CI step checks its command line) must refuse what the real run would.
 */
export function waitSettings(o: WaitCommandOptions): FollowSettings {
  return {
    timeoutMs: o.waitTimeout === undefined ? undefined : parseWaitDuration("--wait-timeout", o.waitTimeout),
    pickupMs: parseWaitDuration("--pickup-timeout", o.pickupTimeout),
    pollMs: o.poll === undefined ? undefined : parseWaitDuration("--poll", o.poll, 50),
  };
}

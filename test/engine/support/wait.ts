/**
 * Polling with a deadline instead of sleeping: the machine is shared and slow at times, so a wait
 * ends as soon as the condition holds, and a timeout says what it was waiting for and what it saw.
 */
import { setTimeout as sleep } from "node:timers/promises";

export class WaitTimeout extends Error {
  override readonly name = "WaitTimeout";
}

/**
 * Calls `probe` until it returns something other than undefined/false, or throws WaitTimeout after
 * `timeoutMs` with `describe()` (the last state seen) in the message. An error thrown by `probe`
 * ends the wait at once: it means the thing waited for can no longer happen.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  o: { timeoutMs: number; intervalMs?: number; describe?: () => string | Promise<string> },
): Promise<T> {
  const deadline = performance.now() + o.timeoutMs;
  for (;;) {
    const got = await probe();
    if (got !== undefined && got !== false) return got;
    if (performance.now() >= deadline) {
      const seen = o.describe ? `\nlast seen: ${await o.describe()}` : "";
      throw new WaitTimeout(`timed out after ${(o.timeoutMs / 1000).toFixed(0)} s waiting for ${what}${seen}`);
    }
    await sleep(o.intervalMs ?? 200);
  }
}

/**
 * Runs the checks: each as soon as the checks it needs have ended (the rest concurrently), each
 * under its own time limit, so the whole is bounded by the longest chain of limits (two), whatever
 * hangs. A check that throws is a failure with its message; one that runs out of time is a failure
 * that says so, and its requests are cancelled.
 */
import type { Check, CheckReport, CheckResult, DoctorContext } from "./types.js";

export async function runChecks(checks: readonly Check[], base: Omit<DoctorContext, "signal">): Promise<CheckReport[]> {
  const results = new Map<string, CheckResult>();
  const running = new Map<string, Promise<CheckReport>>();

  const start = (check: Check): Promise<CheckReport> => {
    const existing = running.get(check.id);
    if (existing) return existing;
    const p = (async () => {
      const needed = (check.needs ?? []).map((id) => checks.find((c) => c.id === id)).filter((c): c is Check => c !== undefined);
      await Promise.all(needed.map(start));
      const report = await runOne(check, base, results);
      results.set(check.id, report);
      return report;
    })();
    running.set(check.id, p);
    return p;
  };
  return Promise.all(checks.map(start));
}

async function runOne(check: Check, base: Omit<DoctorContext, "signal">, prior: ReadonlyMap<string, CheckResult>): Promise<CheckReport> {
  const controller = new AbortController();
  const t0 = performance.now();
  const limitMs = check.timeoutMs ?? base.timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error(`no answer within ${limitMs / 1000} s`));
      resolve({ status: "fail", message: `no answer within ${limitMs / 1000} s`, fix: check.timeoutFix });
    }, limitMs);
  });
  let result: CheckResult;
  try {
    result = await Promise.race([check.run({ ...base, signal: controller.signal }, prior), timedOut]);
  } catch (err) {
    result = controller.signal.aborted ? await timedOut : { status: "fail", message: `the check itself failed: ${err instanceof Error ? err.message : String(err)}`, fix: "run with --debug and report it: this is a bug in ayida-jobs doctor" };
  } finally {
    clearTimeout(timer);
  }
  return { id: check.id, title: check.title, ...result, durationMs: Math.round(performance.now() - t0) };
}

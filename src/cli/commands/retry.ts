import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { requireEnv } from "../context.js";
import { CliError, UsageError } from "../errors.js";
import { SEND_ENV_HELP, addSendOptions, loadSendPath, type SendCommandOptions } from "./send-options.js";

export function registerRetry(program: Command, ctx: CliContext): void {
  const command = program
    .command("retry")
    .description("re-request what failed for good in a run (details, documents, pieces, syncs) under a new run linked to it")
    .argument("<runId>", "the run whose failures to re-request")
    .option("--full", "re-send pieces and syncs with full (if the original was a --full sync: the store does not record it)");
  addSendOptions(command, "events").addHelpText(
    "after",
    `
Each item that failed for good becomes the event that requests it again, built like any other: a
detail, a document, a piece of a window or a dataset's unit (a refused record: its unit), a sync request
that failed before fanning out (over the run's window). They go out under a new runId (--run-id, default
a new UUID) carrying retryOf, which the functions record (sync_runs.retry_of: \`status\` shows both ways).
The event ids derive from the new runId: re-running retry with the same --run-id sends nothing twice.
Items still failing (between attempts) are not retried: Inngest is retrying them.

Examples:
  $ ayida-jobs retry nightly-2026-11-28 --dry-run
  $ ayida-jobs retry nightly-2026-11-28 --run-id nightly-2026-11-28.r1 --wait
  $ ayida-jobs retry "$RUN" --json | jq '.skipped'
${SEND_ENV_HELP}`,
  );
  command.action(async (original: string, o: SendCommandOptions & { full?: boolean }) => {
    ctx.state.command = "retry";
    const env = requireEnv(ctx);
    const { build, emit } = await loadSendPath();
    const run = build.newRunContext({ runId: o.runId, retryOf: original });
    // Not ctx.state.runId yet: until something is sent (emit sets it) the new run does not exist, and
    // an error document must not name one. It names the run asked for instead.
    if (!o.dryRun) (await import("../../config/env.js")).requireEventKey(env);

    const [{ openRunSource }, { MAX_LIST_LIMIT }, { planRetry }, view] = await Promise.all([
      import("../../runs/source.js"),
      import("../../runs/state.js"),
      import("../../runs/retry.js"),
      import("../run-view.js"),
    ]);
    const source = await openRunSource(env, { cwd: ctx.cwd });
    let state;
    try {
      state = await source.run(original, { failures: MAX_LIST_LIMIT, failing: 0 });
    } finally {
      await source.close();
    }
    const { out } = ctx;
    if (state.state === "pending") {
      throw new UsageError(`runId: the ${source.where} knows nothing of run ${original}`, { code: "RUN_NOT_FOUND", hint: "check the run id (`ayida-jobs runs` lists them); nothing was sent", details: { retryOf: original } });
    }
    if (state.failuresOmitted > 0) {
      throw new CliError(`run ${original} has ${state.totals.items.failed} items failed for good, more than one retry re-requests (${MAX_LIST_LIMIT})`, {
        code: "TOO_MANY",
        hint: "that many failures is an outage, not a few bad records: run the sync again over its window instead; nothing was sent",
        details: { retryOf: original },
      });
    }
    if (!state.done) out.warn(`run ${original} is still ${state.state}: only what failed for good so far is re-requested`);
    const plan = planRetry(state, run, { full: Boolean(o.full) });
    for (const s of plan.skipped) out.warn(`not re-requested: ${s.dataset} ${s.kind} ${s.item}: ${s.reason}`);
    const extra = { retryOf: original, retried: plan.items, skipped: plan.skipped };
    if (plan.events.length === 0) {
      if (state.failures.length > 0) {
        throw new CliError(`run ${original}: none of its ${state.failures.length} failed item(s) can be re-requested (see the warnings above)`, { code: "NOTHING_RETRIABLE", hint: "nothing was sent", details: extra });
      }
      if (out.opts.json) return out.json({ ok: true, command: "retry", dryRun: Boolean(o.dryRun), runId: run.runId, ...extra, events: [], ids: [] });
      out.info(`nothing to retry: run ${original} (${state.state}) has no item that failed for good`);
      return;
    }
    out.info(`run ${original}: ${state.failures.length} item(s) failed for good; re-requesting ${plan.items.length} as ${plan.events.length} event(s) under run ${run.runId}`);
    for (const line of view.failureLines(state, 10)) out.info(line);
    await emit(ctx, "retry", plan.events, run.runId, { dryRun: Boolean(o.dryRun), timeout: o.timeout, wait: o, extra });
  });
}

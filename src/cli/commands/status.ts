import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { requireEnv } from "../context.js";
import { UsageError } from "../errors.js";
import type { WaitCommandOptions } from "../duration.js";
import { addWaitOptions } from "./send-options.js";

export function registerStatus(program: Command, ctx: CliContext): void {
  const command = program
    .command("status")
    .description("one run: its datasets' progress and counters, what failed for good, what is failing now")
    .argument("<runId>", "the run id (printed by every sending command, and listed by `ayida-jobs runs`)")
    .option("--watch", "refresh until the run ends (on a terminal redrawn in place, else a line per change); exit 0 succeeded, 1 failed, 130 Ctrl-C")
    .option("--failures <n>", "list at most this many failed and failing items (0–100000)", "100");
  addWaitOptions(command, { watch: true }).addHelpText(
    "after",
    `
States: pending (the store knows nothing of the run yet), running, succeeded (every item stored or
unchanged), failed (done, and some item or dataset failed for good). Read from AYIDA_SERVER_URL's
serve when set (with CRON_SECRET), else from the store (DATABASE_URL, default ./data/ayida-jobs.db).

Examples:
  $ ayida-jobs status nightly-2026-11-28
  $ ayida-jobs status nightly-2026-11-28 --watch
  $ ayida-jobs status "$RUN" --json | jq '.run.failures[] | [.item, .failure] | @tsv'`,
  );
  command.action(async (runId: string, o: WaitCommandOptions & { watch?: boolean; failures: string }) => {
    ctx.state.command = "status";
    const env = requireEnv(ctx);
    const { runId: rule } = await import("../../contracts/rules.js");
    const checked = rule.safeParse(runId);
    if (!checked.success) throw new UsageError(`runId: ${JSON.stringify(runId)} ${checked.error.issues[0]?.message ?? "is invalid"}`, { code: "INVALID_INPUT" });
    ctx.state.runId = runId;
    const failures = /^\d{1,6}$/.test(o.failures) ? Number(o.failures) : NaN;
    if (!(failures >= 0 && failures <= 100_000)) throw new UsageError(`--failures: ${JSON.stringify(o.failures)} must be a whole number from 0 to 100000`);
    const { out } = ctx;

    if (o.watch) {
      const following = await import("../follow.js");
      const settings = following.followSettings(o, true)!;
      const { source, baseline } = await following.openFollow(ctx);
      try {
        await following.follow(ctx, { command: "status", source, baseline, runId, settings, mode: "watch", base: {} });
      } finally {
        await source.close();
      }
      return;
    }

    const [{ openRunSource }, { statusLines }] = await Promise.all([import("../../runs/source.js"), import("../run-view.js")]);
    const source = await openRunSource(env, { cwd: ctx.cwd });
    let run;
    try {
      run = await source.run(runId, { failures, failing: failures });
    } finally {
      await source.close();
    }
    if (out.opts.json) return out.json({ ok: true, command: "status", runId, run });
    for (const line of statusLines(run)) out.result(line);
  });
}

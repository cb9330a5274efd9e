import type { Command } from "commander";
import { SYNCABLE_DATASETS } from "../../contracts/datasets.js";
import type { CliContext } from "../context.js";
import { SEND_ENV_HELP, addSendOptions, loadSendPath, type SendCommandOptions } from "./help.js";

export function registerSync(program: Command, ctx: CliContext): void {
  const command = program
    .command("sync")
    .description("request a sync of a BDNS dataset (sends convocatorias/sync.requested)")
    .argument("<dataset>", `dataset to sync: ${SYNCABLE_DATASETS.join(", ")}`)
    .option("--from <YYYY-MM-DD>", "first day of the window, inclusive (default: 7 days ending yesterday)")
    .option("--to <YYYY-MM-DD>", "last day of the window, inclusive (default: yesterday)")
    .option("--full", "re-fetch every listed convocatoria, not only new ones or those without a stored detail");
  addSendOptions(command, "event")
    .addHelpText(
      "after",
      `
Examples:
  $ ayida-jobs sync convocatorias
  $ ayida-jobs sync convocatorias --from 2026-11-01 --to 2026-11-07
  $ ayida-jobs sync convocatorias --from 2013-01-01 --full --run-id backfill-2013
  $ ayida-jobs sync convocatorias --dry-run --json | jq .events[0]
${SEND_ENV_HELP}`,
    )
    .action(async (dataset: string, o: SendCommandOptions & { from?: string; to?: string; full?: boolean }) => {
      ctx.state.command = "sync";
      const { build, emit } = await loadSendPath();
      const run = build.newRunContext({ runId: o.runId });
      ctx.state.runId = run.runId;
      const event = build.buildSyncRequest({ dataset, from: o.from, to: o.to, full: o.full }, run);
      await emit(ctx, "sync", [event], run.runId, { dryRun: Boolean(o.dryRun), timeout: o.timeout });
    });
}

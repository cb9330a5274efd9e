import type { Command } from "commander";
import { SYNCABLE_DATASETS } from "../../contracts/datasets.js";
import type { CliContext } from "../context.js";
import type { WindowSummary } from "../emit.js";
import { SEND_ENV_HELP, addSendOptions, loadSendPath, type SendCommandOptions } from "./help.js";

export function registerSync(program: Command, ctx: CliContext): void {
  const command = program
    .command("sync")
    .description("request a sync of a BDNS dataset (sends convocatorias/sync.requested)")
    .argument("<dataset>", `dataset to sync: ${SYNCABLE_DATASETS.join(", ")}`)
    .option("--from <YYYY-MM-DD>", "first day of the window, inclusive, not before 2013-01-01 (default: 7 days ending yesterday)")
    .option("--to <YYYY-MM-DD>", "last day of the window, inclusive (default: yesterday)")
    .option("--full", "re-fetch every listed convocatoria, not only new ones or those without a stored detail");
  addSendOptions(command, "event")
    .addHelpText(
      "after",
      `
The window is shown (stderr) as the sync function resolves it, with the number of pieces of at most
7 days that a long one fans out to; --dry-run shows it without sending. BDNS's convocatorias begin in
2013, so earlier dates are refused.

Examples:
  $ ayida-jobs sync convocatorias
  $ ayida-jobs sync convocatorias --from 2026-11-01 --to 2026-11-07
  $ ayida-jobs sync convocatorias --from 2013-01-01 --full --run-id backfill-2013 --dry-run
  $ ayida-jobs sync convocatorias --dry-run --json | jq .events[0]
${SEND_ENV_HELP}`,
    )
    .action(async (dataset: string, o: SendCommandOptions & { from?: string; to?: string; full?: boolean }) => {
      ctx.state.command = "sync";
      const { build, emit } = await loadSendPath();
      const run = build.newRunContext({ runId: o.runId });
      ctx.state.runId = run.runId;
      const event = build.buildSyncRequest({ dataset, from: o.from, to: o.to, full: o.full }, run);
      await emit(ctx, "sync", [event], run.runId, { dryRun: Boolean(o.dryRun), timeout: o.timeout, window: await summarizeWindow(o, run.timestamp) });
    });
}

/**
 * The window exactly as the sync function will resolve it (the same code, from the request's own
 * timestamp), so --dry-run shows what will be synced and how many pieces it fans out to.
 */
async function summarizeWindow(o: { from?: string; to?: string }, timestamp: string): Promise<WindowSummary> {
  const { resolveWindow, splitWindow } = await import("../../functions/window.js");
  const w = resolveWindow(o, new Date(timestamp));
  const days = Math.round((Date.parse(w.to) - Date.parse(w.from)) / 86_400_000) + 1;
  const note = !o.from && !o.to ? "the default: the 7 days ending yesterday, UTC" : !o.to ? "to yesterday, UTC, by default" : !o.from ? "the 7 days ending there, by default" : undefined;
  return { ...w, days, pieces: splitWindow(w).length, ...(note && { note }) };
}

import type { Command } from "commander";
import type { CliContext } from "../context.js";
import type { WindowSummary } from "../emit.js";
import { SEND_ENV_HELP, addSendOptions, loadSendPath, type SendCommandOptions } from "./send-options.js";

export function registerSync(program: Command, ctx: CliContext): void {
  const command = program
    .command("sync")
    .description("request a sync of a BDNS dataset, or of all of them (sends <dataset>/sync.requested)")
    // The list lives in the declarations, which --help does not load: `ayida-jobs datasets` prints it.
    .argument("<dataset>", "a dataset `ayida-jobs datasets` lists (convocatorias, organos, concesiones, …), or all")
    .option("--from <YYYY-MM-DD>", "windowed datasets: first day of the window, inclusive, not before the dataset's floor (default: 7 days ending yesterday)")
    .option("--to <YYYY-MM-DD>", "windowed datasets: last day of the window, inclusive (default: yesterday)")
    .option("--full", "convocatorias and planes-estrategicos: re-fetch every listed record's detail, not only new ones or those without a stored detail")
    .option("--allow-removal", "mark removed what BDNS no longer lists even when its answer is empty, incomplete or shrank by more than 10 % (held back otherwise; convocatorias: the window's, and with --full their documents)");
  addSendOptions(command, "event")
    .addHelpText(
      "after",
      `
Windowed datasets (convocatorias, concesiones, ayudas-estado, minimis) take --from/--to; the others are
fetched whole and replaced. The window is shown (stderr) as the sync function resolves it, with the
number of pieces of at most 7 days a long one fans out to; --dry-run shows it without sending. Each
windowed dataset has a floor (the year its data begins in BDNS): earlier dates are refused.
"all" sends one event per dataset, under one runId.
A sync never marks rows removed on an empty or incomplete answer, nor more than 10 % of a scope at
once: it holds them back and says so (status, runs). If BDNS really dropped them, --allow-removal
marks them.

Examples:
  $ ayida-jobs sync convocatorias
  $ ayida-jobs sync convocatorias --from 2026-11-01 --to 2026-11-07
  $ ayida-jobs sync organos
  $ ayida-jobs sync convocatorias --wait --wait-timeout 2h --json   # exit 0 / 1 / 124 by how the run ends
  $ ayida-jobs sync concesiones --from 2022-01-01 --run-id backfill-2022 --dry-run
  $ ayida-jobs sync all --dry-run --json | jq '.events[].name'
  $ ayida-jobs sync catalogos --allow-removal       # BDNS really emptied a catalog
${SEND_ENV_HELP}`,
    )
    .action(async (dataset: string, o: SendCommandOptions & { from?: string; to?: string; full?: boolean; allowRemoval?: boolean }) => {
      ctx.state.command = "sync";
      const [{ build, emit }, { buildSyncRequests }, { datasetEventOf }, { findDataset }] = await Promise.all([
        loadSendPath(),
        import("../../contracts/sync-requests.js"),
        import("../../contracts/dataset-events.js"),
        import("../../datasets/index.js"),
      ]);
      const run = build.newRunContext({ runId: o.runId });
      ctx.state.runId = run.runId;
      const events = buildSyncRequests({ dataset, from: o.from, to: o.to, full: o.full, allowRemoval: o.allowRemoval }, run);
      const windowed = events.some((e) => e.name === "convocatorias/sync.requested" || findDataset(datasetEventOf(e.name)?.dataset ?? "")?.strategy === "windowed");
      await emit(ctx, "sync", events, run.runId, { dryRun: Boolean(o.dryRun), timeout: o.timeout, wait: o, ...(windowed && { window: await summarizeWindow(o, run.timestamp) }) });
    });
}

/**
 * The window exactly as the sync functions will resolve it (the same code, from the request's own
 * timestamp), so --dry-run shows what will be synced and how many pieces it fans out to.
 */
async function summarizeWindow(o: { from?: string; to?: string }, timestamp: string): Promise<WindowSummary> {
  const { addDays, resolveWindow, splitWindow } = await import("../../contracts/window.js");
  const w = resolveWindow(o, new Date(timestamp));
  const days = Math.round((Date.parse(w.to) - Date.parse(w.from)) / 86_400_000) + 1;
  // Only --from, and it is today: the window ends where it starts (yesterday would be before it).
  const endsAtFrom = Boolean(o.from && !o.to && w.to === o.from && w.to > addDays(timestamp.slice(0, 10), -1));
  const note = !o.from && !o.to ? "the default: the 7 days ending yesterday, UTC" : endsAtFrom ? "today only: the default end, yesterday, is before it" : !o.to ? "to yesterday, UTC, by default" : !o.from ? "the 7 days ending there, by default" : undefined;
  return { ...w, days, pieces: splitWindow(w).length, ...(note && { note }) };
}

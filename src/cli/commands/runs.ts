import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { requireEnv } from "../context.js";
import { UsageError } from "../errors.js";

export function registerRuns(program: Command, ctx: CliContext): void {
  program
    .command("runs")
    .description("recent runs, newest first: run id, dataset, window, started, duration, state, counters")
    .option("--limit <n>", "how many runs (1–1000)", "20")
    .option("--dataset <name>", "only runs that touched this dataset")
    .addHelpText(
      "after",
      `
Runs are read from the deployment's serve when AYIDA_SERVER_URL is set (GET /api/runs, with
Authorization: Bearer $CRON_SECRET), else from the store (DATABASE_URL, default ./data/ayida-jobs.db).
A table when it fits the terminal (or stdout is not one), one block per run when it does not.

Examples:
  $ ayida-jobs runs
  $ ayida-jobs runs --dataset convocatorias --limit 5
  $ ayida-jobs runs --json | jq -r '.runs[] | select(.state == "failed") | .runId'`,
    )
    .action(async (o: { limit: string; dataset?: string }) => {
      ctx.state.command = "runs";
      const env = requireEnv(ctx);
      const limit = /^\d{1,4}$/.test(o.limit) ? Number(o.limit) : NaN;
      if (!(limit >= 1 && limit <= 1000)) throw new UsageError(`--limit: ${JSON.stringify(o.limit)} must be a whole number from 1 to 1000`);
      const { SYNCABLE_DATASETS } = await import("../../contracts/datasets.js");
      if (o.dataset !== undefined && !SYNCABLE_DATASETS.includes(o.dataset)) {
        throw new UsageError(`--dataset: ${JSON.stringify(o.dataset)} is not a dataset; valid: ${SYNCABLE_DATASETS.join(", ")}`);
      }
      const [{ openRunSource }, { runsLines }] = await Promise.all([import("../../runs/source.js"), import("../run-view.js")]);
      const source = await openRunSource(env, { cwd: ctx.cwd });
      let runs;
      try {
        ({ runs } = await source.list({ limit, dataset: o.dataset }));
      } finally {
        await source.close();
      }
      const { out } = ctx;
      if (out.opts.json) return out.json({ ok: true, command: "runs", runs });
      if (runs.length === 0) return out.info(`no runs${o.dataset ? ` of ${o.dataset}` : ""} yet in the ${source.where}`);
      for (const line of runsLines(runs, out.columns("stdout"), SYNCABLE_DATASETS.length)) out.result(line);
      // `warnings` is absent from a server older than the field: nothing to say then.
      for (const r of runs) for (const w of r.warnings ?? []) out.warn(`run ${r.runId}: ${w}`);
    });
}

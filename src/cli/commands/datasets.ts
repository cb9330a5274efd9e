import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { requireEnv } from "../context.js";

export function registerDatasets(program: Command, ctx: CliContext): void {
  program
    .command("datasets")
    .description("list what can be synced: name, event, strategy, window, endpoints, tables, schedule")
    .addHelpText(
      "after",
      `
Examples:
  $ ayida-jobs datasets
  $ ayida-jobs datasets --json | jq -r '.datasets[].name'`,
    )
    .action(async () => {
      ctx.state.command = "datasets";
      const { describeDatasets } = await import("../../contracts/dataset-catalog.js");
      const { describeSchedules } = await import("../../config/schedule-info.js");
      const schedules = await describeSchedules(requireEnv(ctx));
      const datasets = describeDatasets().map((d) => ({ ...d, schedule: schedules.get(d.name)! }));
      const { out } = ctx;
      if (out.opts.json) return out.json({ ok: true, command: "datasets", datasets });
      const rows = datasets.map((d) => [d.name, d.strategy === "windowed" ? `windowed from ${d.floor}` : "full replace", d.event, d.schedule.cron ?? "off", d.tables.map((t) => t.name).join(", ")]);
      const header = ["DATASET", "STRATEGY", "EVENT", "SCHEDULE", "TABLES"];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      for (const r of [header, ...rows]) out.result(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  "));
      out.info(`\n"ayida-jobs sync <dataset>" requests one; "ayida-jobs sync all" every one under one runId.`);
      out.info(`Schedules: SCHEDULE_<DATASET>="TZ=Europe/Madrid 0 3 * * *" on serve (e.g. ${datasets[0]!.schedule.variable}); off when unset.`);
    });
}

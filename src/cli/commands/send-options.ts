/** What the sending commands share: their options, help text and the lazily loaded send path. */
import { Option, type Command } from "commander";
import type { WaitCommandOptions } from "../duration.js";

/** The options every sending command takes, as `SendCommandOptions`. */
export function addSendOptions(command: Command, what: string): Command {
  command
    .option("--run-id <id>", "correlation id for everything this request causes; the same one on a re-run makes the same event ids, so Inngest drops what it already has (default: a new UUID)")
    .option("--dry-run", `validate and print the ${what}; send nothing (no event key needed)`)
    .option("--timeout <duration>", "give up on the send after this long, every retry included (e.g. 30s, 2m, 1500ms); the events may still have arrived", "30s");
  return addWaitOptions(command);
}

/** --wait and its bounds (`WaitCommandOptions`, duration.ts): on every sending command (and --pickup-timeout/--poll on `status --watch`). */
export function addWaitOptions(command: Command, o: { watch?: boolean } = {}): Command {
  if (!o.watch) {
    command
      .option("--wait", "then follow the run until its whole fan-out is done: exit 0 when every item is stored or unchanged, 1 when any failed for good (listed), 124 at --wait-timeout, 75 when no function picks it up; Ctrl-C stops waiting, not the work (130)")
      .option("--wait-timeout <duration>", "stop waiting after this long (implies --wait): exit 124, the work goes on (90s, 30m, 2h, 1d; default: no limit). --timeout bounds only the send");
  }
  return command
    .option("--pickup-timeout <duration>", "how long the store may know nothing of the run, while no function runs at all, before saying it was never picked up (exit 75)", "60s")
    .addOption(new Option("--poll <duration>", "between reads of the run (default 1s from the store, 2s from a server)").hideHelp());
}

export interface SendCommandOptions extends WaitCommandOptions {
  runId?: string;
  dryRun?: boolean;
  timeout: string;
}

/**
 * Builders (zod) and the emitter load only when a command runs, so `--help` and usage errors
 * start with commander alone.
 */
export async function loadSendPath() {
  const [build, { emit }] = await Promise.all([import("../../contracts/build.js"), import("../emit.js")]);
  return { build, emit };
}

export const SEND_ENV_HELP = `
Environment:
  INNGEST_EVENT_KEY            event key (required unless INNGEST_DEV is set)
  INNGEST_DEV                  1 → local Dev Server at localhost:8288; or its URL
  INNGEST_BASE_URL             Inngest base URL (self-hosted)
  INNGEST_EVENT_API_BASE_URL   event API URL, if different from INNGEST_BASE_URL
  INNGEST_ENV                  Inngest branch environment
  AYIDA_JOBS_OUTPUT=json       same as --json
With --wait (where the run is read from, as for \`ayida-jobs status\`):
  AYIDA_SERVER_URL, CRON_SECRET  the deployment's serve (GET /api/runs), with its Bearer secret
  DATABASE_URL                 else the store itself (default ./data/ayida-jobs.db, if it exists)`;

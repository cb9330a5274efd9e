/** What the sending commands share: their options, help text and the lazily loaded send path. */
import type { Command } from "commander";

/** The options every sending command takes, as `SendCommandOptions`. */
export function addSendOptions(command: Command, what: string): Command {
  return command
    .option("--run-id <id>", "correlation id for everything this request causes; the same one on a re-run makes the same event ids, so Inngest drops what it already has (default: a new UUID)")
    .option("--dry-run", `validate and print the ${what}; send nothing (no event key needed)`)
    .option("--timeout <duration>", "give up on the send after this long, every retry included (e.g. 30s, 2m, 1500ms); the events may still have arrived", "30s");
}

export interface SendCommandOptions {
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
  AYIDA_JOBS_OUTPUT=json       same as --json`;

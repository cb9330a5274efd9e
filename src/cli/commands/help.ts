/** What the sending commands share: their help text and the lazily loaded send path. */

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

/**
 * The configuration checks: the environment read leniently (a bad value is reported, dropped, and the
 * other checks go on with the rest), the mode and which keys are set (names only, never values), and
 * the schedules.
 */
import { ConfigError } from "../config/errors.js";
import { branchEnvironment, inngestMode, parseEnv, type Env } from "../config/env.js";
import { scheduleVariable, SCHEDULE_VARIABLES, unknownScheduleVariables } from "../config/schedules.js";
import { describeSchedules } from "../config/schedule-info.js";
import type { Check, DoctorContext } from "./types.js";

/**
 * Parse what is valid; each invalid value becomes a problem and is left out. `unknown`: variables
 * that look like ours but are read by nothing (a misspelt SCHEDULE_<DATASET>).
 */
export function parseEnvLeniently(source: NodeJS.ProcessEnv): { env: Env; problems: DoctorContext["problems"]; unknown: NonNullable<DoctorContext["unknown"]> } {
  const copy: NodeJS.ProcessEnv = { ...source };
  const problems: DoctorContext["problems"] = [];
  const unknown = unknownScheduleVariables(source).map(({ variable, closest }) => ({ key: variable, closest }));
  for (let i = 0; i < 64; i++) {
    try {
      return { env: parseEnv(copy), problems, unknown };
    } catch (err) {
      if (!(err instanceof ConfigError) || copy[err.key] === undefined) throw err;
      problems.push({ key: err.key, message: err.message, ...(err.hint && { hint: err.hint }) });
      delete copy[err.key];
    }
  }
  throw new Error("too many invalid settings");
}

/** The settings worth naming, in the order a reader looks for them. */
const KEYS = ["INNGEST_DEV", "INNGEST_EVENT_KEY", "INNGEST_SIGNING_KEY", "INNGEST_SIGNING_KEY_FALLBACK", "INNGEST_BASE_URL", "INNGEST_EVENT_API_BASE_URL", "INNGEST_API_BASE_URL", "INNGEST_ENV", "CRON_SECRET", "METRICS_TOKEN", "AYIDA_SERVER_URL", "DATABASE_URL", "DOCUMENTS_DIR", "BDNS_API_URL", "BDNS_RATE_LIMIT"] as const;

export const configurationCheck: Check = {
  id: "configuration",
  title: "configuration",
  timeoutFix: "this check makes no request; report it",
  async run(ctx) {
    const problems = ctx.problems.filter((p) => !p.key.startsWith("SCHEDULE_"));
    const { mode, devUrl } = inngestMode(ctx.env);
    const set = KEYS.filter((k) => ctx.env[k] !== undefined);
    const notSet = KEYS.filter((k) => ctx.env[k] === undefined);
    const branch = branchEnvironment(process.env);
    const details = { mode, ...(devUrl && { devServer: devUrl }), set, notSet, ...(branch && { branchEnvironment: branch }) };
    const what = `${mode} mode${devUrl ? ` (Dev Server ${devUrl})` : ""}; set: ${set.join(", ") || "none"}`;
    if (problems.length > 0) {
      const first = problems[0]!;
      return { status: "fail", message: `${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more: ${problems.slice(1).map((p) => p.key).join(", ")})` : ""}`, fix: first.hint ?? `fix ${first.key} in the environment or the env file`, details: { ...details, invalid: problems.map((p) => p.key) } };
    }
    if (mode === "cloud" && !ctx.env.INNGEST_EVENT_KEY) {
      return { status: "fail", message: `${what}; INNGEST_EVENT_KEY is not set, so nothing can be sent to Inngest Cloud`, fix: "set INNGEST_EVENT_KEY (Inngest dashboard → Manage → Event keys), or INNGEST_DEV=1 for a local Dev Server", details };
    }
    if (mode === "cloud" && !ctx.env.INNGEST_SIGNING_KEY) {
      return { status: "warn", message: `${what}; INNGEST_SIGNING_KEY is not set: enough to send, but serve refuses to start without it`, fix: "where serve runs, set INNGEST_SIGNING_KEY (Inngest dashboard → Manage → Signing key)", details };
    }
    if (branch && branch.from !== "INNGEST_ENV") {
      return { status: "warn", message: `${what}; events go to the Inngest branch environment "${branch.name}", taken from ${branch.from}`, fix: `if that is not meant, set INNGEST_ENV to the environment you want (or unset ${branch.from} for this command)`, details };
    }
    return { status: "ok", message: what, details };
  },
};

export const schedulesCheck: Check = {
  id: "schedules",
  title: "schedules",
  timeoutFix: "this check makes no request; report it",
  async run(ctx) {
    const bad = ctx.problems.filter((p) => p.key.startsWith("SCHEDULE_"));
    if (bad.length > 0) {
      return { status: "fail", message: bad.map((p) => p.message).join("; "), fix: bad[0]!.hint ?? `fix ${bad[0]!.key}`, details: { invalid: bad.map((p) => p.key) } };
    }
    const all = await describeSchedules(ctx.env);
    const on = [...all].filter(([, s]) => s.cron !== null).map(([dataset, s]) => ({ dataset, ...s }));
    const listed =
      on.length === 0
        ? `off: no SCHEDULE_<DATASET> is set (e.g. ${SCHEDULE_VARIABLES[0]!.variable}="TZ=Europe/Madrid 0 3 * * *"); syncs come from sync, the batch routes or an external cron`
        : `${on.length} scheduled on serve: ${on.map((s) => `${s.dataset} "${s.cron}" (next ${s.next ?? "never"})`).join(", ")}`;
    // A name serve does not read (SCHEDULE_CONVOCATORIA): it schedules nothing, and nothing else says so.
    const unknown = ctx.unknown ?? [];
    if (unknown.length > 0) {
      const said = unknown.map((u) => `${u.key} matches no dataset, so nothing is scheduled by it (did you mean ${u.closest}?)`).join("; ");
      return { status: "warn", message: `${said}; ${listed}`, fix: `rename ${unknown[0]!.key} to ${unknown[0]!.closest} (\`ayida-jobs datasets\` lists the names), or unset it`, details: { schedules: on, unknown: unknown.map((u) => u.key) } };
    }
    if (on.length === 0) return { status: "ok", message: listed, details: { schedules: [] } };
    // A valid expression whose day never comes (31 February): serve registers it, and it never runs.
    const never = on.filter((s) => s.next === null).map((s) => `${scheduleVariable(s.dataset)} "${s.cron}"`);
    if (never.length > 0) return { status: "warn", message: `${never.join(", ")} never fires; ${listed}`, fix: `give ${never[0]!.split(" ")[0]} a day that exists (or unset it)`, details: { schedules: on } };
    return { status: "ok", message: listed, details: { schedules: on } };
  },
};

/**
 * Environment: loading env files, one validated schema, and the Inngest settings derived from it
 * with the same precedence the SDK applies (so what `--dry-run` shows is what a send does).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import * as z from "zod/mini";
import { ConfigError } from "./errors.js";
import { parseSchedules, SCHEDULE_VARIABLES } from "./schedules.js";
import { parseDatabaseUrl, urlPasswords } from "./database-url.js";

const optionalText = z.optional(z.string());
/**
 * The secrets this deployment chooses (Inngest's keys come from Inngest): at least 16 characters.
 * A short one is guessable, and scrubbing it from output would eat ordinary words (a CRON_SECRET of
 * "wrong" turned every "wrong" into "***"), so it is refused at start-up instead.
 */
export const MIN_SECRET_LENGTH = 16;
const optionalSecret = z.optional(z.string().check(z.minLength(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters (e.g. openssl rand -hex 32): a short secret is guessable`)));
const optionalUrl = z.optional(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }));
const optionalNumber = (rule: string, ...checks: Parameters<ReturnType<typeof z.coerce.number>["check"]>) =>
  z.optional(z.coerce.number(rule).check(...checks));

/** `s3://bucket` or `s3://bucket/some/prefix`: bucket names as S3 allows them, prefix segments as tokens. */
const DOCUMENTS_URL_RULE = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])((?:\/(?!\.+(?:\/|$))[A-Za-z0-9._-]+)*)\/?$/;

export const envSchema = z.object({
  INNGEST_DEV: optionalText,
  INNGEST_EVENT_KEY: optionalText,
  INNGEST_SIGNING_KEY: optionalText,
  INNGEST_SIGNING_KEY_FALLBACK: optionalText,
  INNGEST_BASE_URL: optionalUrl,
  INNGEST_EVENT_API_BASE_URL: optionalUrl,
  INNGEST_API_BASE_URL: optionalUrl,
  INNGEST_ENV: optionalText,
  /** `ayida-jobs dev`: the Inngest Dev Server binary to run (else `inngest` on PATH, else npx). */
  INNGEST_DEV_BIN: optionalText,
  CRON_SECRET: optionalSecret,
  /** serve's /metrics: when set, scrapers must send it as a Bearer token. */
  METRICS_TOKEN: optionalSecret,
  PORT: optionalNumber("must be a port number 0–65535", z.int("must be a port number 0–65535"), z.gte(0, "must be a port number 0–65535"), z.lte(65535, "must be a port number 0–65535")),
  HOST: optionalText,
  /** The store (config/database-url.ts): a SQLite path, sqlite:/file:, or postgres(ql)://. */
  DATABASE_URL: optionalText,
  /** The deployment's `serve` (e.g. https://jobs.example.com): `runs`/`status`/`retry`/`--wait` read runs from it, `doctor` checks it. */
  AYIDA_SERVER_URL: optionalUrl,
  DOCUMENTS_DIR: optionalText,
  /** Documents in S3-compatible object storage instead of DOCUMENTS_DIR (it wins when both are set). */
  DOCUMENTS_URL: z.optional(z.string().check(z.regex(DOCUMENTS_URL_RULE, "must be s3://bucket or s3://bucket/prefix (a bucket name of 3–63 lowercase letters, digits, dots and hyphens; prefix segments of letters, digits, '.', '_' and '-')"))),
  /** true: path-style bucket URLs (endpoint/bucket/key), as MinIO and other self-hosted S3s often need. */
  AWS_S3_FORCE_PATH_STYLE: z.optional(z.enum(["true", "false", "1", "0"], "must be true or false")),
  BDNS_API_URL: optionalUrl,
  // Below 10, not at it: BDNS refuses an 11th start within any second, and starts that leave in time
  // still reach it with the network's jitter; the default 9.5 keeps starts ≥ 100 ms apart with every eleven spanning ≥ 1,047 ms.
  BDNS_RATE_LIMIT: optionalNumber("must be requests per second, above 0 and below 10 (BDNS's limit)", z.gt(0, "must be above 0"), z.lt(10, "must be below 10: BDNS refuses more than 10 starts in any second, and starts need a margin for the network's jitter (default 9.5)")),
  BDNS_BUDGET: z.optional(z.enum(["shared", "process"], "must be shared (every process of the deployment shares one budget through the store; the default) or process (this process alone)")),
  /** The functions' backoff after a transient failure, one duration per retry (the last repeats). */
  RETRY_BACKOFF: z.optional(z.string().check(z.regex(/^\s*\d{1,7}(ms|s|m|h)\s*(,\s*\d{1,7}(ms|s|m|h)\s*)*$/, "must be durations separated by commas, like 10s,30s,1m,2m,5m"))),
  /**
   * serve's reconcile (functions/reconcile.ts): how long an unfinished run may sit without moving before
   * Inngest is asked what became of its waiting work; 0 turns it off.
   */
  RECONCILE_AFTER: z.optional(z.string().check(z.regex(/^\s*(0|\d{1,7}(ms|s|m|h))\s*$/, "must be a duration like 2m, 90s or 1h, or 0 to turn the reconcile off"))),
  BDNS_TIMEOUT_MS: optionalNumber("must be milliseconds, a positive integer", z.int("must be an integer"), z.gt(0, "must be positive")),
  LOG_LEVEL: z.optional(z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], "must be one of fatal, error, warn, info, debug, trace, silent")),
  AYIDA_JOBS_OUTPUT: z.optional(z.enum(["json", "text"], "must be json or text")),
  // Schedules (config/schedules.ts): SCHEDULE_<DATASET>="TZ=Europe/Madrid 0 3 * * *", one per dataset, off when unset.
  ...(Object.fromEntries(SCHEDULE_VARIABLES.map((s) => [s.variable, optionalText])) as Record<`SCHEDULE_${string}`, typeof optionalText>),
});
export type Env = z.infer<typeof envSchema>;

export type DocumentsTarget = { kind: "folder"; dir: string | undefined; ignored?: undefined } | { kind: "s3"; bucket: string; prefix: string; pathStyle: boolean; url: string; ignored?: "DOCUMENTS_DIR" };

/** Where documents go: DOCUMENTS_URL (an S3 bucket) when set — it wins over DOCUMENTS_DIR — else the folder. */
export function documentsTarget(env: Pick<Env, "DOCUMENTS_DIR" | "DOCUMENTS_URL" | "AWS_S3_FORCE_PATH_STYLE">): DocumentsTarget {
  if (!env.DOCUMENTS_URL) return { kind: "folder", dir: env.DOCUMENTS_DIR };
  const m = DOCUMENTS_URL_RULE.exec(env.DOCUMENTS_URL);
  if (!m) throw new ConfigError("DOCUMENTS_URL: must be s3://bucket or s3://bucket/prefix", "DOCUMENTS_URL", "fix DOCUMENTS_URL in the environment or the env file");
  const bucket = m[1]!;
  const prefix = (m[2] ?? "").replace(/^\//, "");
  const pathStyle = env.AWS_S3_FORCE_PATH_STYLE === "true" || env.AWS_S3_FORCE_PATH_STYLE === "1";
  return { kind: "s3", bucket, prefix, pathStyle, url: `s3://${bucket}${prefix ? `/${prefix}` : ""}`, ...(env.DOCUMENTS_DIR && { ignored: "DOCUMENTS_DIR" as const }) };
}

/** Keys whose values are secrets: never printed, and scrubbed from any text we print. */
export const SECRET_KEYS = ["INNGEST_EVENT_KEY", "INNGEST_SIGNING_KEY", "INNGEST_SIGNING_KEY_FALLBACK", "CRON_SECRET", "METRICS_TOKEN"] as const;

/**
 * Validate the environment. Empty values count as unset (a blank line in `.env` is not a setting).
 * Errors name the key and the rule, never the value: the value may be a secret.
 */
export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const relevant: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = source[key];
    if (value !== undefined && value !== "") relevant[key] = value;
  }
  const result = envSchema.safeParse(relevant);
  if (result.success) {
    inngestMode(result.data); // INNGEST_DEV's own rule
    parseSchedules(result.data); // a bad cron expression or time zone names its variable
    parseDatabaseUrl(result.data.DATABASE_URL); // a scheme it cannot use, a URL of the wrong shape
    return result.data;
  }
  const issue = result.error.issues[0]!;
  const key = String(issue.path[0]);
  throw new ConfigError(`${key}: ${issue.message}`, key, `fix ${key} in the environment or the env file`);
}

export type InngestMode = { mode: "dev" | "cloud"; devUrl?: string };

/** `INNGEST_DEV`: 1/true → dev, 0/false → cloud, a URL → dev at that URL; unset → cloud (SDK v4's default). */
export function inngestMode(env: Pick<Env, "INNGEST_DEV">): InngestMode {
  const raw = env.INNGEST_DEV?.trim().toLowerCase();
  if (raw === undefined) return { mode: "cloud" };
  if (raw === "1" || raw === "true") return { mode: "dev" };
  if (raw === "0" || raw === "false") return { mode: "cloud" };
  try {
    if (!/^https?:\/\//.test(raw)) throw new Error("not a URL");
    return { mode: "dev", devUrl: new URL(env.INNGEST_DEV!.trim()).href };
  } catch {
    throw new ConfigError("INNGEST_DEV: must be 1, true, 0, false or the Dev Server's URL (http://host:port)", "INNGEST_DEV");
  }
}

export const CLOUD_EVENT_API = "https://inn.gs/";
export const DEV_SERVER_URL = "http://localhost:8288/";

/** Where events go, in the SDK's order: event API URL > base URL > INNGEST_DEV URL > the mode's default. */
export function eventApiBaseUrl(env: Env): string {
  const { mode, devUrl } = inngestMode(env);
  return env.INNGEST_EVENT_API_BASE_URL ?? env.INNGEST_BASE_URL ?? devUrl ?? (mode === "dev" ? DEV_SERVER_URL : CLOUD_EVENT_API);
}

/**
 * The Inngest branch environment the SDK will target (`x-inngest-env`). The SDK falls back to CI/host
 * branch variables, so a `BRANCH` set by a CI system silently targets a branch environment: we show it.
 */
export function branchEnvironment(source: NodeJS.ProcessEnv = process.env): { name: string; from: string } | undefined {
  for (const key of ["INNGEST_ENV", "BRANCH_NAME", "VERCEL_GIT_COMMIT_REF", "BRANCH", "CF_PAGES_BRANCH", "RENDER_GIT_BRANCH", "RAILWAY_GIT_BRANCH"]) {
    const value = source[key];
    if (value) return { name: value, from: key };
  }
  return undefined;
}

/** Secrets the AWS SDK reads from the environment itself (the bucket store's credentials). */
export const AWS_SECRET_KEYS = ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] as const;

/**
 * Values that must never appear in output: the secrets (ours, and the AWS SDK's), and the password
 * inside DATABASE_URL and AYIDA_SERVER_URL (basic auth in front of a deployment's serve), whatever
 * shape those are in. Takes the raw environment too: the CLI scrubs before it knows it is valid.
 */
export function secretValues(env: Partial<Record<(typeof SECRET_KEYS)[number] | (typeof AWS_SECRET_KEYS)[number] | "DATABASE_URL" | "AYIDA_SERVER_URL", string | undefined>>): string[] {
  const keys = [...SECRET_KEYS, ...AWS_SECRET_KEYS];
  const values: string[] = keys.map((k) => env[k]).filter((v, i): v is string => Boolean(v) && !refusedAsShort(keys[i]!, v));
  values.push(...urlPasswords(env.DATABASE_URL), ...urlPasswords(env.AYIDA_SERVER_URL));
  return values.filter((v) => v.length >= 4);
}

export { urlPasswords };

/** A secret the deployment chose (CRON_SECRET, METRICS_TOKEN) under the minimum: refused, never used, so never scrubbed (that would only eat words). */
export function refusedAsShort(key: string, value: string | undefined): boolean {
  return (key === "CRON_SECRET" || key === "METRICS_TOKEN") && value !== undefined && value.length < MIN_SECRET_LENGTH;
}

/**
 * Load env files into process.env; real environment variables always win.
 * `--env-file` must exist (a typo must not silently fall back to defaults); otherwise `.env.local`
 * and then `.env` from the working directory, the first value of a key winning. (Tests stay hermetic
 * by running each CLI process in its own empty directory, not by a branch here.)
 * Returns the files loaded, for `--debug`.
 */
export async function loadEnvFiles(opts: { envFile?: string | undefined; cwd?: string } = {}): Promise<string[]> {
  const cwd = opts.cwd ?? process.cwd();
  let files: string[];
  if (opts.envFile) {
    const file = resolve(cwd, opts.envFile);
    if (!existsSync(file)) throw new ConfigError(`--env-file: ${opts.envFile} does not exist`, "--env-file", "check the path, or leave --env-file out to use .env.local and .env");
    files = [file];
  } else {
    files = [".env.local", ".env"].map((f) => resolve(cwd, f)).filter((f) => existsSync(f));
  }
  if (files.length === 0) return files;
  const { default: dotenv } = await import("dotenv"); // CommonJS: its exports object is the default
  // quiet: dotenv 17 otherwise prints a banner on stdout, which would corrupt --json.
  const result = dotenv.config({ path: files, quiet: true, override: false });
  if (result.error) throw new ConfigError(`env file: ${result.error.message}`, "--env-file");
  return files;
}

/** The cloud-mode key check the SDK would only do at send time, with a message that says what to do. */
export function requireEventKey(env: Env): void {
  if (inngestMode(env).mode === "cloud" && !env.INNGEST_EVENT_KEY) {
    throw new ConfigError(
      "INNGEST_EVENT_KEY is not set, and without INNGEST_DEV events go to Inngest Cloud, which needs it",
      "INNGEST_EVENT_KEY",
      "set INNGEST_EVENT_KEY (Inngest dashboard → Manage → Event keys), or set INNGEST_DEV=1 to send to a local Inngest Dev Server",
    );
  }
}


/** RETRY_BACKOFF's durations in milliseconds (the schema has checked the form). */
export function retryBackoffMs(env: Pick<Env, "RETRY_BACKOFF">): number[] | undefined {
  if (!env.RETRY_BACKOFF) return undefined;
  return env.RETRY_BACKOFF.split(",").map(durationMs);
}

/** How long an unfinished run may sit still before serve's reconcile asks Inngest about it (0: never). */
export const DEFAULT_RECONCILE_AFTER_MS = 120_000;

export function reconcileAfterMs(env: Pick<Env, "RECONCILE_AFTER">): number {
  return env.RECONCILE_AFTER === undefined ? DEFAULT_RECONCILE_AFTER_MS : durationMs(env.RECONCILE_AFTER);
}

/** `90s`, `2m`, `500ms`, `0` (the schemas have checked the form). */
function durationMs(text: string): number {
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
  const m = /(\d+)(ms|s|m|h)?/.exec(text.trim())!;
  return Number(m[1]) * (m[2] ? unit[m[2] as keyof typeof unit] : 0);
}

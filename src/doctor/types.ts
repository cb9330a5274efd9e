/** What a doctor check is and what it says. */
import type { Env } from "../config/env.js";

export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export interface CheckResult {
  status: CheckStatus;
  /** One line: what was found. Never a secret's value. */
  message: string;
  /** One line: what to do about it (warn and fail). */
  fix?: string;
  /** Facts for --json (URLs without credentials, counts, names of keys). */
  details?: Record<string, unknown>;
}

export interface DoctorContext {
  /** The environment as far as it is valid (a bad value is dropped and reported by the configuration check). */
  env: Env;
  /** The values that failed validation: each variable and what is wrong with it. */
  problems: Array<{ key: string; message: string; hint?: string }>;
  /** Variables that look like ours but nothing reads (a misspelt SCHEDULE_<DATASET>), with the closest known name. */
  unknown?: Array<{ key: string; closest: string }>;
  /** The deployment's serve: --url, else AYIDA_SERVER_URL, else this machine's default port. */
  server: { url: string; from: "--url" | "AYIDA_SERVER_URL" | "default" };
  /** Working directory (relative DATABASE_URL and DOCUMENTS_DIR resolve against it). */
  cwd: string;
  /** Aborted when the check's time is up: every request and query a check makes listens to it. */
  signal: AbortSignal;
  /** This check's time limit. */
  timeoutMs: number;
  /** Function ids this configuration serves (what the app should have registered). */
  expectedFunctions: string[];
}

export interface Check {
  id: string;
  title: string;
  /** Checks whose results this one reads (it starts once they end); the others run concurrently. */
  needs?: readonly string[];
  /** What to do when the check ran out of time. */
  timeoutFix: string;
  /** Its own time limit, instead of --timeout's (a check that reads every stored file). */
  timeoutMs?: number;
  run(ctx: DoctorContext, prior: ReadonlyMap<string, CheckResult>): Promise<CheckResult>;
}

export interface CheckReport extends CheckResult {
  id: string;
  title: string;
  durationMs: number;
}

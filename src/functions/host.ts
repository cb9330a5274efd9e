/**
 * Every function of the app with what it works with, built from the settings — the environment, or
 * explicit options that stand for its variables — for whatever hosts them: `serve`, or the portal's
 * own app through the package entry `ayida-jobs/inngest`. The store is opened on first use (a
 * Next.js build loads this module without a database to reach).
 */
import type { InngestFunction } from "inngest";
import type { Store } from "../adapters/store/store.js";
import { settingsOf, type AyidaInngest } from "../config/client.js";
import { parseEnv, type Env } from "../config/env.js";
import { createLogger, type Logger } from "../config/logger.js";
import { parseSchedules, scheduleVariable } from "../config/schedules.js";
import { createMetricsRegistry, setBudgetFallback } from "../metrics/index.js";
import { createJobDeps } from "./deps.js";
import { createFunctions as createFunctionList } from "./index.js";
import { SYNCABLE_DATASETS } from "../contracts/datasets.js";
import { ConfigError } from "../config/errors.js";

export interface FunctionsOptions {
  /** The variables to read; default: the client's (createClient's `env`), else `process.env`. */
  env?: Readonly<Record<string, string | number | undefined>>;
  /** The store: a SQLite file or a PostgreSQL URL (stands for DATABASE_URL). */
  store?: string;
  /** Where documents go: a folder, or `s3://bucket/prefix` (stands for DOCUMENTS_DIR or DOCUMENTS_URL). */
  documents?: string;
  bdns?: {
    /** BDNS_API_URL */
    url?: string;
    /** BDNS_RATE_LIMIT: requests per second for the whole deployment, below 10. */
    ratePerSecond?: number;
    /** BDNS_TIMEOUT_MS */
    timeoutMs?: number;
    /** BDNS_BUDGET: "shared" (through the store, every process together; the default) or "process". */
    budget?: "shared" | "process";
  };
  /** Cron schedules by dataset, e.g. `{ convocatorias: "TZ=Europe/Madrid 0 3 * * *" }` (stand for SCHEDULE_<DATASET>). */
  schedules?: Readonly<Record<string, string>>;
  /** Where the functions log; default pino on stderr at LOG_LEVEL. */
  logger?: Logger;
}

/** Each function as the SDK's `serve()` takes it. */
type FunctionList = InngestFunction.Any[];

/** The functions, to hand to the SDK's `serve()`. */
export type AyidaFunctions = FunctionList & {
  /** Close the store and the budget's connection (a test, or a script that is done with them). */
  close(): Promise<void>;
};

/** What the functions hold, for their host (serve, and createRoutes: /api/runs and /health). */
export interface Hosted {
  /** The settings they were built from. */
  settings: Env;
  logger: Logger;
  /** The store, opened (and migrated) on first use and shared. */
  store(): Promise<Store>;
  /** Count this process among the BDNS budget's sharers from now on (it does on its first request anyway). */
  joinBudget(): void;
  close(): Promise<void>;
}

const hostedBy = new WeakMap<object, Hosted>();

/** What createFunctions' list holds, if `functions` is one. */
export function hostedOf(functions: object): Hosted | undefined {
  return hostedBy.get(functions);
}

/** The package entry exports this as `createFunctions`. */
export function createHostedFunctions(client: AyidaInngest, o: FunctionsOptions = {}): AyidaFunctions {
  const env = functionSettings(o.env ?? settingsOf(client) ?? process.env, o);
  const logger = o.logger ?? createLogger(env);
  void createMetricsRegistry(); // the recorders count from here on; /metrics serves them
  const deps = createJobDeps(env, logger, { observer: { fallback: (active) => setBudgetFallback(active) } });
  const list: FunctionList = createFunctionList(client, deps, parseSchedules(env));
  // Not enumerable: `[...functions]` and the SDK see the functions only.
  const functions = Object.defineProperty(list, "close", { value: deps.close, enumerable: false }) as AyidaFunctions;
  hostedBy.set(functions, { settings: env, logger, store: deps.store, joinBudget: deps.joinBudget, close: deps.close });
  return functions;
}

/** The variables with the explicit options in their place, checked as the environment is. */
function functionSettings(source: Readonly<Record<string, string | number | undefined>>, o: FunctionsOptions): Env {
  const vars: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(source)) vars[key] = value === undefined ? undefined : String(value);
  const set = (key: string, value: string | number | undefined) => {
    if (value !== undefined) vars[key] = String(value);
  };
  set("DATABASE_URL", o.store);
  if (o.documents !== undefined) {
    const s3 = o.documents.startsWith("s3://");
    vars.DOCUMENTS_URL = s3 ? o.documents : undefined;
    vars.DOCUMENTS_DIR = s3 ? undefined : o.documents;
  }
  set("BDNS_API_URL", o.bdns?.url);
  set("BDNS_RATE_LIMIT", o.bdns?.ratePerSecond);
  set("BDNS_TIMEOUT_MS", o.bdns?.timeoutMs);
  set("BDNS_BUDGET", o.bdns?.budget);
  if (o.schedules) {
    // The schedules given are the schedule set: none of the environment's besides.
    for (const key of Object.keys(vars)) if (key.startsWith("SCHEDULE_")) delete vars[key];
    for (const [dataset, cron] of Object.entries(o.schedules)) {
      if (!SYNCABLE_DATASETS.includes(dataset)) throw new ConfigError(`schedules.${dataset}: is not a dataset that can be synced; valid: ${SYNCABLE_DATASETS.join(", ")}`, "schedules");
      set(scheduleVariable(dataset), cron);
    }
  }
  return parseEnv(vars);
}

/**
 * The Inngest client factory (app id `ayida-portal`). Loads the SDK, so only the paths that send or
 * serve import it. The SDK also reads INNGEST_* variables itself; we pass mode and key explicitly so
 * the client does what `parseEnv` validated.
 */
import { Inngest, type Logger } from "inngest";
import { APP_ID } from "../contracts/schemas.js";
import { inngestMode, parseEnv, type Env } from "./env.js";
import { createHttpFetch } from "../net/http-fetch.js";
import { MetricsMiddleware } from "../metrics/inngest-middleware.js";

export interface ClientOptions {
  /** Defaults to a node:http fetch (fast start); tests and servers may pass their own. */
  fetch?: typeof fetch;
  /** Where the SDK's own warnings go; defaults to stderr so stdout stays clean for results. */
  logger?: Logger;
}

/** The settings each client was made from, for what is built over it (the functions, the routes). */
const settings = new WeakMap<object, Env>();

export function createInngestClient(env: Env, opts: ClientOptions = {}) {
  const client = new Inngest({
    id: APP_ID,
    isDev: inngestMode(env).mode === "dev",
    ...(env.INNGEST_EVENT_KEY && { eventKey: env.INNGEST_EVENT_KEY }),
    fetch: opts.fetch ?? createHttpFetch(),
    logger: opts.logger ?? stderrLogger,
    middleware: [MetricsMiddleware], // metrics: runs and events sent (no-op without a registry)
  });
  // The SDK resolves URLs and keys from its own copy of process.env. Hand it exactly the validated
  // settings (unset ones as undefined), so a library caller's explicit env is what the client uses.
  const inngestEnv: Record<string, string | undefined> = {};
  for (const key of INNGEST_KEYS) inngestEnv[key] = env[key];
  client.setEnvVars(inngestEnv);
  settings.set(client, env);
  return client;
}

const INNGEST_KEYS = [
  "INNGEST_DEV",
  "INNGEST_EVENT_KEY",
  "INNGEST_SIGNING_KEY",
  "INNGEST_SIGNING_KEY_FALLBACK",
  "INNGEST_BASE_URL",
  "INNGEST_EVENT_API_BASE_URL",
  "INNGEST_API_BASE_URL",
  "INNGEST_ENV",
] as const satisfies ReadonlyArray<keyof Env>;

export type AyidaInngest = ReturnType<typeof createInngestClient>;


export interface CreateClientOptions extends ClientOptions {
  /** The variables to read (INNGEST_*, and what the functions and routes built over this client read); default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The client of the app `ayida-portal`, from the environment: INNGEST_DEV (dev mode), or cloud mode
 * with INNGEST_EVENT_KEY and INNGEST_SIGNING_KEY (INNGEST_SIGNING_KEY_FALLBACK during a rotation),
 * INNGEST_BASE_URL for a self-hosted Inngest. A setting that breaks its rule is a ConfigError naming it.
 */
export function createClient(o: CreateClientOptions = {}): AyidaInngest {
  return createInngestClient(parseEnv(o.env ?? process.env), o);
}

/** The settings `client` was made from, if it was made here. */
export function settingsOf(client: object): Env | undefined {
  return settings.get(client);
}


/** Warn and error only, on stderr: the SDK's default logger writes info to stdout. */
const stderrLogger: Logger = {
  info: () => {},
  debug: () => {},
  warn: (...args: unknown[]) => console.error("[inngest]", ...args),
  error: (...args: unknown[]) => console.error("[inngest]", ...args),
};

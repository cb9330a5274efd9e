/**
 * `ayida-jobs serve` as a real child process, the built bin run the way an operator runs it:
 * `node -- bin/ayida-jobs.js serve --port P`, pointed at the engine (the Dev Server: INNGEST_DEV=<its
 * URL>; a self-hosted `inngest start`: INNGEST_BASE_URL and the keys), a store (a SQLite file, or the
 * case's PostgreSQL) and a documents folder, and the BDNS stand-in. Any other host of the functions (the
 * portal's Next.js app: next-app.ts) is started with the same settings, as an AppHost.
 */
import { BIN } from "./repo.js";
import { startProcess, tailOf, type ChildProc } from "./processes.js";
import { waitFor } from "./wait.js";

export interface ServeSettings {
  port: number;
  /** How the app reaches the engine: INNGEST_DEV=<url>, or INNGEST_BASE_URL with INNGEST_EVENT_KEY and INNGEST_SIGNING_KEY. */
  engineEnv: Record<string, string>;
  bdnsUrl: string;
  /** DATABASE_URL: a SQLite file or a PostgreSQL URL. */
  databaseUrl: string;
  documentsDir: string;
  /** Working directory and log folder. */
  dir: string;
  /** Extra variables (e.g. LOG_LEVEL). */
  env?: Record<string, string>;
  /** Extra options after `serve --port P` (e.g. `--grace 2`). */
  args?: string[];
}

export interface ServeProcess {
  proc: ChildProc;
  /** The function ids it hosts, from its own /health. */
  functionIds: string[];
}

/** Starts a host of the functions (serve, or an app that mounts them) and waits until it answers. */
export type AppHost = (s: ServeSettings, name: string) => Promise<ServeProcess>;

export const CRON_SECRET = "engine-suite-cron-secret";

/** Starts serve and waits until it listens and answers /health. */
export const startServe: AppHost = async (s, name = "serve") => {
  const proc = startProcess(name, process.execPath, ["--", BIN, "serve", "--port", String(s.port), ...(s.args ?? [])], { env: hostEnv(s), cwd: s.dir, logDir: s.dir });
  try {
    await waitFor(
      "ayida-jobs serve to listen",
      () => {
        if (proc.hasExited()) throw new Error(`ayida-jobs serve exited at start-up:\n${tailOf(proc)}`);
        return proc.output().includes("serving on");
      },
      { timeoutMs: 30_000, describe: () => tailOf(proc, 10) },
    );
    return { proc, functionIds: await functionIdsAt(`http://localhost:${s.port}/health`) };
  } catch (err) {
    await proc.kill();
    throw err;
  }
};

/** What every host of the functions is given: the engine, the store, the documents, BDNS, the cron secret. */
export function hostEnv(s: ServeSettings): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: "test",
    CI: "1",
    FORCE_COLOR: "0",
    ...s.engineEnv,
    DATABASE_URL: s.databaseUrl,
    DOCUMENTS_DIR: s.documentsDir,
    BDNS_API_URL: s.bdnsUrl,
    CRON_SECRET,
    LOG_LEVEL: "info",
    ...s.env,
  };
}

/** The function ids a host's health route lists. */
export async function functionIdsAt(healthUrl: string): Promise<string[]> {
  const res = await fetch(healthUrl);
  if (!res.ok) throw new Error(`GET ${healthUrl}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { functions: string[] }).functions;
}

/**
 * `ayida-jobs serve` as a real child process, the built bin run the way an operator runs it:
 * `node -- bin/ayida-jobs.js serve --port P`, pointed at the Dev Server (INNGEST_DEV=<its URL>), a
 * store (a SQLite file, or the case's PostgreSQL) and a documents folder, and the BDNS stand-in.
 */
import { BIN } from "./repo.js";
import { startProcess, tailOf, type ChildProc } from "./processes.js";
import { waitFor } from "./wait.js";

export interface ServeSettings {
  port: number;
  devServerUrl: string;
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

export const CRON_SECRET = "engine-suite-cron-secret";

/** Starts serve and waits until it listens and answers /health. */
export async function startServe(s: ServeSettings, name = "serve"): Promise<ServeProcess> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: "test",
    CI: "1",
    FORCE_COLOR: "0",
    INNGEST_DEV: s.devServerUrl,
    DATABASE_URL: s.databaseUrl,
    DOCUMENTS_DIR: s.documentsDir,
    BDNS_API_URL: s.bdnsUrl,
    CRON_SECRET,
    LOG_LEVEL: "info",
    ...s.env,
  };
  const proc = startProcess(name, process.execPath, ["--", BIN, "serve", "--port", String(s.port), ...(s.args ?? [])], { env, cwd: s.dir, logDir: s.dir });
  try {
    await waitFor(
      "ayida-jobs serve to listen",
      () => {
        if (proc.hasExited()) throw new Error(`ayida-jobs serve exited at start-up:\n${tailOf(proc)}`);
        return proc.output().includes("serving on");
      },
      { timeoutMs: 30_000, describe: () => tailOf(proc, 10) },
    );
    const health = (await (await fetch(`http://localhost:${s.port}/health`)).json()) as { functions: string[] };
    return { proc, functionIds: health.functions };
  } catch (err) {
    await proc.kill();
    throw err;
  }
}

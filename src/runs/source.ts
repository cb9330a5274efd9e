/**
 * Where the CLI reads runs from: the store itself, or the deployment's `serve` — the same JSON either
 * way, since both go through state.ts (serve's /api/runs answers with exactly what `readRunState` and
 * `listRuns` return).
 *
 * - `AYIDA_SERVER_URL` set: that server's `GET /api/runs[/:runId]`, with `Authorization: Bearer
 *   $CRON_SECRET` as for the batch routes (a CI runner usually reaches the service, not its database).
 *   It wins when set: a leftover ./data/ayida-jobs.db in the working directory must never be read
 *   instead of the deployment that was named.
 * - else `DATABASE_URL` (a PostgreSQL URL, or a SQLite file that must exist);
 * - else the default SQLite file, ./data/ayida-jobs.db, when it exists (what a local `serve` writes).
 *
 * The store is opened read-only in spirit: no migration, no file created. Loaded lazily: only
 * `runs`, `status`, `retry` and `--wait` ever load this module.
 */
import { existsSync } from "node:fs";
import { ConfigError } from "../config/errors.js";
import type { Env } from "../config/env.js";
import { DEFAULT_DATABASE_FILE, parseDatabaseUrl, type DatabaseTarget } from "../config/database-url.js";
import { request, readAll } from "../net/request.js";
import { classifyStoreOpenError, storeTrouble, type StoreOpenError } from "../adapters/store/errors.js";
import { RunSourceError } from "./errors.js";
import type { RunState, RunSummary } from "./state.js";

export interface RunList {
  runs: RunSummary[];
  /** When anything last happened in the store (see RunQueries.lastActivity). */
  lastActivityAt: string | null;
}

export interface RunSource {
  kind: "store" | "server";
  /** For people: `store /path/ayida-jobs.db`, `server https://jobs.example.com`. */
  where: string;
  run(runId: string, o?: { failures?: number; failing?: number }): Promise<RunState>;
  list(o: { limit: number; dataset?: string | undefined }): Promise<RunList>;
  lastActivity(): Promise<string | null>;
  close(): Promise<void>;
}

export { RunSourceError };

/** A bound on every read: a hung server or database must not hold `status` (or a --wait poll) forever. */
export const READ_TIMEOUT_MS = 15_000;

/** Which source the environment names, without opening it (for messages and `--dry-run`). */
export function describeRunSource(env: Pick<Env, "AYIDA_SERVER_URL" | "DATABASE_URL">, cwd = process.cwd()): { kind: "store" | "server"; where: string } | undefined {
  if (env.AYIDA_SERVER_URL) return { kind: "server", where: env.AYIDA_SERVER_URL };
  if (env.DATABASE_URL) return { kind: "store", where: whereIs(parseDatabaseUrl(env.DATABASE_URL, cwd)) };
  const file = parseDatabaseUrl(undefined, cwd);
  return existsSync(whereIs(file)) ? { kind: "store", where: whereIs(file) } : undefined;
}

export async function openRunSource(env: Env, o: { cwd?: string } = {}): Promise<RunSource> {
  const cwd = o.cwd ?? process.cwd();
  if (env.AYIDA_SERVER_URL) return serverSource(env.AYIDA_SERVER_URL, env.CRON_SECRET);
  if (env.DATABASE_URL) return storeSource(parseDatabaseUrl(env.DATABASE_URL, cwd), "DATABASE_URL");
  const file = parseDatabaseUrl(undefined, cwd);
  if (existsSync(whereIs(file))) return storeSource(file, "the default store");
  throw new ConfigError(
    `nowhere to read runs from: AYIDA_SERVER_URL and DATABASE_URL are not set, and there is no store at ${DEFAULT_DATABASE_FILE}`,
    "DATABASE_URL",
    "set DATABASE_URL to the store `serve` writes to, or AYIDA_SERVER_URL (with CRON_SECRET) to the deployment's `serve`",
  );
}

// --- the store ------------------------------------------------------------------------------------

/** The SQLite file, or PostgreSQL's host and database: never the URL, which may hold a password. */
function whereIs(t: DatabaseTarget): string {
  return t.dialect === "sqlite" ? t.file : t.location;
}

async function storeSource(target: DatabaseTarget, named: string): Promise<RunSource> {
  const where = whereIs(target);
  const url = target.dialect === "sqlite" ? target.file : target.url;
  if (target.dialect === "sqlite" && !existsSync(target.file)) {
    throw new ConfigError(`${named}: the store ${target.file} does not exist`, "DATABASE_URL", "point DATABASE_URL at the file `serve` writes to (a reader never creates one)");
  }
  const [{ Store }, { RunQueries }, state] = await Promise.all([import("../adapters/store/store.js"), import("../adapters/store/run-queries.js"), import("./state.js")]);
  let store: import("../adapters/store/store.js").Store;
  try {
    store = await Store.open(url, { migrate: false, connectTimeoutMs: READ_TIMEOUT_MS });
  } catch (err) {
    throw unusable(err, where) ?? new RunSourceError(`cannot open the store at ${where}: ${message(err)}`, "unavailable", "check DATABASE_URL and that the database is up");
  }
  const q = new RunQueries(store.db);
  try {
    await q.check();
  } catch (err) {
    await store.close().catch(() => {});
    const msg = message(err);
    if (storeTrouble(err) === "busy") throw new RunSourceError(`the store at ${where} is busy: a lock held by another session outlasted this read's timeout (${msg})`, "unavailable", "a migration or maintenance holds the run tables; try again shortly");
    if (/no such table|does not exist|no such column|column .* does not exist/i.test(msg)) {
      throw new ConfigError(`the store at ${where} has no run tables, or older ones (${msg})`, "DATABASE_URL", "is it the store `serve` writes to? `ayida-jobs serve --check` creates and migrates it");
    }
    throw unusable(err, where) ?? new RunSourceError(`cannot read the store at ${where}: ${msg}`, "unavailable", "check DATABASE_URL and that the database is up");
  }
  const read = async <T>(what: () => Promise<T>): Promise<T> => {
    try {
      return await what();
    } catch (err) {
      if (storeTrouble(err) === "busy") {
        throw new RunSourceError(`the store at ${where} is busy: a lock held by another session outlasted this read's timeout (${message(err)})`, "unavailable", "a migration or maintenance holds the run tables; try again shortly (--wait retries for up to 60 s)");
      }
      throw unusable(err, where) ?? new RunSourceError(`cannot read the store at ${where}: ${message(err)}`, "unavailable", "check that the database is up");
    }
  };
  return {
    kind: "store",
    where: `store ${where}`,
    run: (runId, o = {}) => read(() => state.readRunState(q, runId, o)),
    list: (o) => read(async () => ({ runs: await state.listRuns(q, o), lastActivityAt: await q.lastActivity() })),
    lastActivity: () => read(() => q.lastActivity()),
    close: () => store.close(),
  };
}

// --- a server -------------------------------------------------------------------------------------

function serverSource(base: string, secret: string | undefined): RunSource {
  if (!secret) {
    throw new ConfigError(
      "AYIDA_SERVER_URL is set but CRON_SECRET is not: the server's /api/runs needs Authorization: Bearer $CRON_SECRET",
      "CRON_SECRET",
      "set CRON_SECRET to the server's, or unset AYIDA_SERVER_URL to read the store (DATABASE_URL)",
    );
  }
  const root = base.endsWith("/") ? base : `${base}/`;
  // A 200 that is not serve's JSON (a proxy's placeholder, a login page, another app) is not serve:
  // refused, like a 404, never read as an empty or made-up result.
  const notServe = (url: URL, what: string) =>
    new RunSourceError(`the server at ${base} did not answer as ayida-jobs serve does: ${url.pathname} answered 200 with ${what}`, "refused", "AYIDA_SERVER_URL must be the URL of `ayida-jobs serve` (a version with /api/runs), not a proxy's or another app's page");
  const get = async (path: string, shape: (body: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
    const url = new URL(path, root);
    let status: number;
    let body: Record<string, unknown> = {};
    let json = true;
    let text = "";
    try {
      const res = await request(url, { headers: { authorization: `Bearer ${secret}`, accept: "application/json" }, timeoutMs: READ_TIMEOUT_MS });
      status = res.statusCode ?? 0;
      text = (await readAll(res)).toString("utf8");
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
        body = parsed as Record<string, unknown>;
      } catch {
        json = false;
        body = { error: { message: text.slice(0, 200) } };
      }
    } catch (err) {
      throw new RunSourceError(`cannot reach the server at ${base}: ${message(err)}`, "unavailable", "check AYIDA_SERVER_URL and that `serve` is up");
    }
    if (status === 200) {
      if (!json) throw notServe(url, `something that is not a JSON object: ${JSON.stringify(text.slice(0, 120))}`);
      if (body.ok !== true || !shape(body)) throw notServe(url, `JSON of another shape: ${JSON.stringify(text.slice(0, 120))}`);
      return body;
    }
    const said = (body.error as { code?: string; message?: string } | undefined) ?? {};
    const words = said.message ? `: ${said.message}` : "";
    if (status === 401) throw new RunSourceError(`the server at ${base} refused CRON_SECRET (401)${words}`, "refused", "set CRON_SECRET to the value the server has");
    if (status === 503 && said.code === "NOT_CONFIGURED") throw new RunSourceError(`the server at ${base} has no CRON_SECRET, so /api/runs is closed (503)`, "refused", "set CRON_SECRET on the server");
    if (status === 404) throw new RunSourceError(`the server at ${base} has no ${url.pathname} (404)${words}`, "refused", "AYIDA_SERVER_URL must be the URL of `ayida-jobs serve` (a version with /api/runs)");
    if (status >= 400 && status < 500) throw new RunSourceError(`the server at ${base} refused ${url.pathname} (${status})${words}`, "refused");
    throw new RunSourceError(`the server at ${base} failed (${status})${words}`, "unavailable", "check the server's log; `serve` may be restarting");
  };
  return {
    kind: "server",
    where: `server ${base}`,
    async run(runId, o = {}) {
      const params = new URLSearchParams();
      if (o.failures !== undefined) params.set("failures", String(o.failures));
      if (o.failing !== undefined) params.set("failing", String(o.failing));
      const qs = params.size ? `?${params}` : "";
      const isRun = (b: Record<string, unknown>) => {
        const run = b.run as Record<string, unknown> | null | undefined;
        return typeof run === "object" && run !== null && typeof run.runId === "string" && typeof run.state === "string" && Array.isArray(run.datasets);
      };
      return (await get(`api/runs/${encodeURIComponent(runId)}${qs}`, isRun)).run as RunState;
    },
    async list(o) {
      const params = new URLSearchParams({ limit: String(o.limit), ...(o.dataset && { dataset: o.dataset }) });
      const body = await get(`api/runs?${params}`, (b) => Array.isArray(b.runs));
      return { runs: body.runs as RunSummary[], lastActivityAt: (body.lastActivityAt as string | null) ?? null };
    },
    async lastActivity() {
      return (await this.list({ limit: 1 })).lastActivityAt;
    },
    close: async () => {},
  };
}

/**
 * A store that is there but cannot be used (not a SQLite file, corrupt, a refused login): the same
 * configuration error (78) `serve` gives for it, so that CI does not retry what retrying cannot fix.
 * A database that is down stays unavailable (69).
 */
function unusable(err: unknown, where: string): StoreOpenError | undefined {
  const e = classifyStoreOpenError(err, where);
  return e?.reason === "config" ? e : undefined;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

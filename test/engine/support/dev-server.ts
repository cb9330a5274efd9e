/**
 * The real Inngest Dev Server as a child process: free ports for all four of its listeners, its own
 * HOME, a wait until its API answers, and the two questions the suite keeps asking it — did the app
 * sync with all its functions (and if not, why: the engine's own reason), and what did an event start
 * (its REST API).
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { hashedSigningKey } from "../../../src/config/inngest-api.js";
import { freePorts } from "./free-ports.js";
import { resolveInngestBinary, type InngestBinary } from "./inngest-binary.js";
import { startProcess, tailOf, type ChildProc } from "./processes.js";
import { waitFor } from "./wait.js";

export interface DevServerOptions {
  /**
   * The app's serve URL (`-u`); the Dev Server polls it and syncs what it finds there. Without it
   * nothing is synced until the app registers itself (a `PUT` to its /api/inngest).
   */
  appUrl?: string;
  /**
   * Self-hosted mode instead of dev mode: `inngest start` with these keys (the SDK then runs in cloud
   * mode against INNGEST_BASE_URL, with the event key and the signing key), state in `dir`/sqlite.
   * `signingKey` is the hex the server takes (an app's INNGEST_SIGNING_KEY is `signkey-prod-<hex>`).
   * It does not poll the app: a deployment syncs it (a PUT to the app's /api/inngest).
   */
  selfHosted?: { eventKey: string; signingKey: string };
  /** A folder of its own: HOME (the server keeps state under it) and its log. */
  dir: string;
  /**
   * Seconds between retries (`--retry-interval`; observed: about that long between attempts). Default:
   * Inngest's own backoff, 15 s + up to 30 s of jitter, then doubling — exhausting retries takes minutes.
   */
  retryIntervalS?: number;
  binary?: InngestBinary;
}

export interface AppState {
  id: string;
  name: string;
  url: string;
  error: string | null;
  functionCount: number;
  functions: Array<{ slug: string; name: string }>;
}

/** The Dev Server refused the app's configuration, or synced fewer functions than the app serves. */
export class AppNotSyncedError extends Error {
  override readonly name = "AppNotSyncedError";
}

export interface DevServer {
  url: string;
  ports: { api: number; gateway: number; gatewayGrpc: number; executorGrpc: number };
  binary: InngestBinary;
  proc: ChildProc;
  gql<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  apps(): Promise<AppState[]>;
  /** What the server logged about refusing a registration ("error registering functions"). */
  registrationErrors(): string[];
  /**
   * Waits until an app at `appUrl` lists every one of `functionSlugs`. Fails fast, with the engine's
   * reason, when the server refuses the app's functions or syncs fewer than expected, and when the
   * app's process (`app`, if given) exits.
   */
  waitForApp(functionSlugs: readonly string[], o?: { timeoutMs?: number; app?: ChildProc }): Promise<AppState>;
  /** POST /e/<key> as any sender does (dev mode: any key; self-hosted: its event key); returns the internal event ids. */
  send(events: Array<{ name: string; data: Record<string, unknown>; id?: string }>): Promise<string[]>;
  /** REST API (dev mode: no auth; self-hosted: the hashed signing key). `internalId` is what POST /e/<key> answered, not the event's own id. */
  event(internalId: string): Promise<{ id: string; internal_id: string; name: string; data: Record<string, unknown> } | undefined>;
  eventRuns(internalId: string): Promise<Array<{ run_id: string; function_id: string; status: string; run_started_at?: string; ended_at?: string | null }>>;
  /** Every run the server knows (GraphQL `runs`), oldest first. */
  runs(): Promise<EngineRun[]>;
  /**
   * Waits until no run is queued or running: the engine has nothing left to do. Call it once the
   * work is known to have been scheduled (right after a send, the runs may not exist yet).
   */
  waitUntilIdle(o?: { timeoutMs?: number }): Promise<EngineRun[]>;
  stop(): Promise<void>;
}

export interface EngineRun {
  id: string;
  status: "COMPLETED" | "FAILED" | "CANCELLED" | "RUNNING" | "QUEUED" | "SKIPPED";
  /** e.g. ayida-portal-process-document-storage */
  functionSlug: string;
  eventName: string | null;
  queuedAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

const READY_TIMEOUT_MS = 30_000;

export async function startDevServer(o: DevServerOptions): Promise<DevServer> {
  const binary = o.binary ?? resolveInngestBinary();
  const [api, gateway, gatewayGrpc, executorGrpc] = (await freePorts(4)) as [number, number, number, number];
  const home = resolve(o.dir, "home");
  mkdirSync(home, { recursive: true });
  if (o.selfHosted) mkdirSync(resolve(o.dir, "sqlite"), { recursive: true });
  const mode = o.selfHosted
    ? ["start", "--event-key", o.selfHosted.eventKey, "--signing-key", o.selfHosted.signingKey, "--sqlite-dir", resolve(o.dir, "sqlite")]
    : ["dev", "--no-discovery", ...(o.appUrl ? ["-u", o.appUrl] : [])];
  const args = [
    ...mode,
    "--host", "127.0.0.1",
    "--port", String(api),
    "--connect-gateway-port", String(gateway),
    "--connect-gateway-grpc-port", String(gatewayGrpc),
    "--connect-executor-grpc-port", String(executorGrpc),
    ...(o.retryIntervalS ? ["--retry-interval", String(o.retryIntervalS)] : []),
  ];
  // Only what it needs: no INNGEST_* settings of the developer's shell leak into the engine.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, DO_NOT_TRACK: "1", INNGEST_NO_UPDATE_NOTIFIER: "1", ...(process.env.TMPDIR && { TMPDIR: process.env.TMPDIR }) };
  const proc = startProcess("inngest-dev", binary.path, args, { env, cwd: o.dir, logDir: o.dir });

  const registration: string[] = [];
  proc.onLine((line) => {
    if (!/regist/i.test(line) || !/"level":"(WARN|ERROR)"/.test(line)) return;
    try {
      const entry = JSON.parse(line) as { msg?: string; error?: string };
      registration.push(`${entry.msg ?? ""}: ${entry.error ?? line}`);
    } catch {
      registration.push(line);
    }
  });

  const url = `http://127.0.0.1:${api}`;
  const gql = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const res = await fetch(`${url}/v0/gql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { data?: T; errors?: Array<{ message: string }> };
    if (!res.ok || body.errors?.length || !body.data) throw new Error(`Dev Server GraphQL ${res.status}: ${JSON.stringify(body.errors ?? body)}`);
    return body.data;
  };

  try {
    await waitFor(
      "the Dev Server's API to answer",
      async () => {
        if (proc.hasExited()) {
          throw new Error(`the Dev Server (${binary.path}) exited at start-up:\n${tailOf(proc)}`);
        }
        return gql<{ apps: unknown[] }>("{ apps { id } }").then(() => true, () => false);
      },
      { timeoutMs: READY_TIMEOUT_MS, describe: () => tailOf(proc, 15) },
    );
  } catch (err) {
    await proc.kill();
    throw err;
  }

  const apps = async () => (await gql<{ apps: AppState[] }>("{ apps { id name url error functionCount functions { slug name } } }")).apps;
  // Self-hosted, the REST API takes the signing key hashed, as Inngest Cloud's does (src/config/inngest-api.ts).
  const restAuth: Record<string, string> = o.selfHosted ? { authorization: `Bearer ${hashedSigningKey(`signkey-prod-${o.selfHosted.signingKey}`)}` } : {};
  const rest = async <T>(path: string): Promise<T | undefined> => {
    const res = await fetch(`${url}${path}`, { headers: restAuth });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`Dev Server GET ${path}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { data: T }).data;
  };

  const allRuns = async (): Promise<EngineRun[]> => {
    const runs: EngineRun[] = [];
    for (let after: string | null = null; ; ) {
      type Page = { runs: { edges: Array<{ cursor: string; node: Omit<EngineRun, "functionSlug"> & { function: { slug: string } } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
      const page: Page = await gql<Page>(
        `query ($after: String) { runs(first: 200, after: $after, filter: { from: "2000-01-01T00:00:00Z" }, orderBy: [{ field: QUEUED_AT, direction: ASC }]) {
           edges { cursor node { id status queuedAt startedAt endedAt eventName function { slug } } } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      for (const { node } of page.runs.edges) runs.push({ id: node.id, status: node.status, functionSlug: node.function.slug, eventName: node.eventName, queuedAt: node.queuedAt, startedAt: node.startedAt, endedAt: node.endedAt });
      if (!page.runs.pageInfo.hasNextPage || !page.runs.pageInfo.endCursor) return runs;
      after = page.runs.pageInfo.endCursor;
    }
  };

  return {
    url,
    ports: { api, gateway, gatewayGrpc, executorGrpc },
    binary,
    proc,
    gql,
    apps,
    registrationErrors: () => [...registration],
    async waitForApp(functionSlugs, w = {}) {
      let last: AppState | undefined;
      return waitFor(
        `the Dev Server to sync the app at ${o.appUrl} with ${functionSlugs.length} functions`,
        async () => {
          if (proc.hasExited()) throw new Error(`the Dev Server exited:\n${tailOf(proc)}`);
          if (w.app?.hasExited()) throw new Error(`the app (${w.app.name}) exited before the Dev Server synced it:\n${tailOf(w.app)}`);
          last = (await apps()).find((a) => a.url === o.appUrl) ?? last;
          const slugs = new Set(last?.functions.map((f) => f.slug) ?? []);
          const missing = functionSlugs.filter((s) => !slugs.has(s));
          if (last && missing.length === 0) return last;
          if (registration.length > 0 || (last?.error && last.error !== "unreachable")) {
            // The refusal is logged as the registration is answered; give the API a moment to agree.
            await sleep(200);
            throw new AppNotSyncedError(
              `the Inngest Dev Server refused the app at ${o.appUrl}: it registered ${last?.functionCount ?? 0} functions, ` +
                `expected ${functionSlugs.length} (missing ${missing.join(", ")}).\n` +
                `engine's reason: ${[...new Set(registration)].join(" | ") || last?.error}\n` +
                `app error in the Dev Server's API: ${last?.error ?? "none"}`,
            );
          }
          if (last && last.functionCount > 0 && missing.length > 0) {
            throw new AppNotSyncedError(`the Dev Server synced the app at ${o.appUrl} without ${missing.join(", ")}; it lists ${[...slugs].join(", ")}`);
          }
          return undefined;
        },
        {
          timeoutMs: w.timeoutMs ?? 30_000,
          intervalMs: 250,
          describe: () => `app ${JSON.stringify(last ?? "not listed")}\nDev Server log:\n${tailOf(proc, 10)}`,
        },
      );
    },
    async send(events) {
      const res = await fetch(`${url}/e/${o.selfHosted?.eventKey ?? "engine-suite"}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(events) });
      const body = (await res.json()) as { ids?: string[]; status?: number; error?: string };
      if (!res.ok || !body.ids) throw new Error(`Dev Server POST /e: ${res.status} ${JSON.stringify(body)}`);
      return body.ids;
    },
    runs: () => allRuns(),
    async waitUntilIdle(w = {}) {
      let last: EngineRun[] = [];
      return waitFor(
        "the Dev Server to have no queued or running runs",
        async () => {
          last = await allRuns();
          return last.every((r) => r.status !== "QUEUED" && r.status !== "RUNNING") && last;
        },
        { timeoutMs: w.timeoutMs ?? 60_000, intervalMs: 500, describe: () => JSON.stringify(last.filter((r) => r.status === "QUEUED" || r.status === "RUNNING")) },
      );
    },
    event: (id) => rest(`/v1/events/${encodeURIComponent(id)}`),
    eventRuns: async (id) => (await rest<Awaited<ReturnType<DevServer["eventRuns"]>>>(`/v1/events/${encodeURIComponent(id)}/runs`)) ?? [],
    async stop() {
      await proc.kill();
    },
  };
}

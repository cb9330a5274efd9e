/**
 * The whole deployment, for real, on loopback: the BDNS stand-in, the Inngest Dev Server and
 * `ayida-jobs serve`, each a child process with its own folder under one temp dir. `close()` kills every child by process group
 * and is safe to call after a failure.
 *
 * `instances: 2` (or more) runs that many `serve` processes on one store and documents folder behind a
 * round-robin balancer (balancer.ts) that is the one app URL the Dev Server syncs: a deployment of
 * several instances. Each instance names itself in its BDNS_API_URL (`…/serve-a/api`), so the
 * stand-in's request log says which instance asked.
 *
 * `selfHosted` runs the engine as production does — the same binary's `inngest start`, with a signing
 * key and an event key — and the apps and the CLI in cloud mode against it (INNGEST_BASE_URL and the
 * keys); each app started is synced as a deploy syncs it, by a PUT to its /api/inngest.
 *
 * `host` starts something else than `ayida-jobs serve` as the app: the portal's own Next.js app
 * (next-app.ts), given the same settings.
 *
 * `database: "postgres"` puts the store on a throwaway PostgreSQL server (test/support/postgres.ts)
 * instead of a SQLite file — one that a case can restart or stop under the deployment
 * (`d.postgres.server.restart("fast")`). The StoreProbe then has no file to read: read the database.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatasetsFixtureOptions } from "../../support/bdns-datasets.js";
import type { FakeConvocatoria } from "../../support/bdns-server.js";
import { startBalancer, type Balancer } from "./balancer.js";
import { startBdnsStandIn, type BdnsStandIn } from "./bdns-child.js";
import { runCliAgainst, type CliRun } from "./cli-process.js";
import { startDevServer, type DevServer } from "./dev-server.js";
import { freePorts } from "./free-ports.js";
import { CRON_SECRET, startServe, type AppHost, type ServeProcess } from "./serve-process.js";
import { StoreProbe } from "./store-probe.js";
import { tailOf, type Exit } from "./processes.js";
import { startPostgres, type TestPostgres } from "../../support/postgres.js";

export interface DeploymentOptions {
  dataset: FakeConvocatoria[];
  /** BDNS's 429 to a request starting closer than this to the previous one (default 100 ms; 0 = off). */
  minGapMs?: number;
  /** BDNS's 429 to a start that makes more than this many in any sliding second (default off). */
  maxPerSecond?: number;
  /** The stand-in also serves the ten other datasets, built from these options. */
  datasets?: DatasetsFixtureOptions;
  /** serve processes behind the app URL (default 1; more: behind a round-robin balancer). */
  instances?: number;
  /** Where the store is (default a SQLite file). */
  database?: "sqlite" | "postgres";
  /**
   * The engine as production runs it: `inngest start` with these keys (`signingKey`: what an app is
   * given, `signkey-prod-<hex>`), the apps and the CLI in cloud mode. Default: the Dev Server.
   */
  selfHosted?: { eventKey: string; signingKey: string };
  /** What hosts the functions (default `ayida-jobs serve`). */
  host?: AppHost;
  /** The Dev Server's --retry-interval (see DevServerOptions). */
  retryIntervalS?: number;
  /** Start serve and wait until the app is synced (default true). */
  serve?: boolean;
  serveEnv?: Record<string, string>;
  /** Options for `serve` besides --port (e.g. `--grace 2`). */
  serveArgs?: string[];
}

export interface Deployment {
  dir: string;
  bdns: BdnsStandIn;
  dev: DevServer;
  /** The URL the Dev Server syncs: `localhost`, as the Dev Server rewrites loopback addresses anyway. */
  appUrl: string;
  store: StoreProbe;
  serve: ServeProcess | undefined;
  /** Every serve process started so far for the app (instances: 2 → both). */
  instances: ServeProcess[];
  /** instances > 1 → the balancer in front of them. */
  balancer: Balancer | undefined;
  /** database: "postgres" → its server and the store's DATABASE_URL. */
  postgres: { server: TestPostgres; url: string } | undefined;
  /** serve's own URL (the app's, without /api/inngest). */
  serverUrl: string;
  /** How an app or the CLI reaches the engine: INNGEST_DEV, or (selfHosted) INNGEST_BASE_URL, INNGEST_EVENT_KEY, INNGEST_SIGNING_KEY. */
  engineEnv: Record<string, string>;
  /** The environment an operator of this deployment has: engineEnv, DATABASE_URL, DOCUMENTS_DIR, BDNS_API_URL, CRON_SECRET. */
  operatorEnv(): Record<string, string>;
  /**
   * Starts serve (again: same port, same store and documents) and waits until the app is synced.
   * `env`: variables for this start only, over serveEnv (e.g. a rotated signing key).
   */
  startServe(env?: Record<string, string>): Promise<ServeProcess>;
  /** SIGKILL serve: no shutdown handler runs, requests in flight are cut. */
  killServe(): Promise<Exit>;
  /** SIGTERM serve: it stops as an operator's stop does (its --grace, then 503 to what is still in flight). */
  stopServe(): Promise<Exit>;
  /** For a timeout's message: what the engine has not finished, and the last lines serve and the Dev Server logged. */
  diagnose(): Promise<string>;
  /** Runs the CLI against the engine (engineEnv), with `env` besides. */
  cli(args: string[], env?: Record<string, string>): Promise<CliRun>;
  close(): Promise<void>;
}

export async function startDeployment(o: DeploymentOptions): Promise<Deployment> {
  const dir = mkdtempSync(join(tmpdir(), "ayida-engine-"));
  const [port] = (await freePorts(1)) as [number];
  const appUrl = `http://localhost:${port}/api/inngest`;
  const data = join(dir, "data");
  mkdirSync(join(dir, "inngest"), { recursive: true });
  const store = new StoreProbe(join(data, "ayida-jobs.db"), join(data, "documents"));
  let bdns: BdnsStandIn | undefined;
  let dev: DevServer | undefined;
  let serve: ServeProcess | undefined;
  let balancer: Balancer | undefined;
  let postgres: Deployment["postgres"];
  const instances: ServeProcess[] = [];
  let serves = 0;

  const close = async () => {
    await Promise.all(instances.map((s) => s.proc.kill()));
    await balancer?.close();
    await dev?.stop();
    await bdns?.close();
    store.close();
    await postgres?.server.stop();
    if (process.env.AYIDA_ENGINE_KEEP) console.error(`engine suite: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };

  try {
    if (o.database === "postgres") {
      const server = await startPostgres();
      postgres = { server, url: await server.createDatabase() };
    }
    const databaseUrl = postgres?.url ?? store.databaseFile;
    bdns = await startBdnsStandIn({ dataset: o.dataset, minGapMs: o.minGapMs ?? 100, ...(o.maxPerSecond && { maxPerSecond: o.maxPerSecond }), ...(o.datasets && { datasets: o.datasets }), dir });
    dev = await startDevServer({
      appUrl,
      dir: join(dir, "inngest"),
      ...(o.retryIntervalS && { retryIntervalS: o.retryIntervalS }),
      ...(o.selfHosted && { selfHosted: { eventKey: o.selfHosted.eventKey, signingKey: o.selfHosted.signingKey.replace(/^signkey-\w+-/, "") } }),
    });
    const engineEnv: Record<string, string> = o.selfHosted
      ? { INNGEST_BASE_URL: dev.url, INNGEST_EVENT_KEY: o.selfHosted.eventKey, INNGEST_SIGNING_KEY: o.selfHosted.signingKey }
      : { INNGEST_DEV: dev.url };
    const host = o.host ?? startServe;
    const d: Deployment = {
      dir,
      bdns,
      dev,
      appUrl,
      store,
      get serve() {
        return serve;
      },
      instances,
      get balancer() {
        return balancer;
      },
      postgres,
      serverUrl: `http://localhost:${port}`,
      engineEnv,
      operatorEnv: () => ({ ...engineEnv, DATABASE_URL: databaseUrl, DOCUMENTS_DIR: store.documentsDir, BDNS_API_URL: bdns!.url, CRON_SECRET }),
      async startServe(env) {
        if (serve && !serve.proc.hasExited()) throw new Error("serve is already running");
        const settings = { engineEnv, bdnsUrl: bdns!.url, databaseUrl, documentsDir: store.documentsDir, dir, env: { ...o.serveEnv, ...env }, ...(o.serveArgs && { args: o.serveArgs }) };
        if ((o.instances ?? 1) > 1) {
          if (balancer) throw new Error("restarting a balanced deployment is not supported");
          const ports = await freePorts(o.instances!);
          // One after the other: two first-time migrations of one SQLite file at once would race.
          for (const [i, p] of ports.entries()) {
            const name = `serve-${"abcdefgh"[i]}`;
            instances.push(await host({ ...settings, port: p, bdnsUrl: bdns!.url.replace(/\/api$/, `/${name}/api`) }, name));
          }
          balancer = await startBalancer(port, ports);
          serve = instances[0]!;
        } else {
          serves++;
          serve = await host({ ...settings, port }, serves === 1 ? "serve" : `serve-${serves}`);
          instances.push(serve);
        }
        if (o.selfHosted) {
          // `inngest start` does not poll the app: sync it as a deploy does. Unsigned, as the SDK accepts by default.
          const put = await fetch(appUrl, { method: "PUT" });
          if (!put.ok) throw new Error(`syncing the app (PUT ${appUrl}): ${put.status} ${await put.text()}\n${tailOf(serve.proc, 15)}`);
        }
        await dev!.waitForApp(serve.functionIds, { app: serve.proc });
        return serve;
      },
      async killServe() {
        if (!serve) throw new Error("serve is not running");
        return serve.proc.kill();
      },
      async stopServe() {
        if (!serve) throw new Error("serve is not running");
        return serve.proc.stop("SIGTERM");
      },
      async diagnose() {
        const runs = await dev!.runs().catch((err: unknown) => [{ error: String(err) }]);
        const unfinished = runs.filter((r) => !("status" in r) || (r.status !== "COMPLETED" && r.status !== "FAILED"));
        const warnings = dev!.proc.output().split("\n").filter((l) => /"level":"(WARN|ERROR)"/.test(l)).slice(-10);
        return [
          `engine runs not finished (${unfinished.length} of ${runs.length}): ${JSON.stringify(unfinished)}`,
          `Dev Server warnings:\n${warnings.join("\n") || "(none)"}`,
          `serve (${serve?.proc.hasExited() ? "exited" : "running"}), last lines:\n${serve ? tailOf(serve.proc, 15) : "(not started)"}`,
          `logs: ${dir} (set AYIDA_ENGINE_KEEP=1 to keep them)`,
        ].join("\n");
      },
      cli: (args, env) => runCliAgainst(engineEnv, args, env),
      close,
    };
    if (o.serve ?? true) await d.startServe();
    return d;
  } catch (err) {
    await close();
    throw err;
  }
}

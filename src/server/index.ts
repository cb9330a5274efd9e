/**
 * `ayida-jobs serve`: builds everything the server needs from the env, checks the configuration
 * before listening (in cloud mode a missing key would otherwise turn every request into a 500), and
 * listens. Loaded lazily by the serve command only.
 */
import { lookup } from "node:dns/promises";
import type { AddressInfo } from "node:net";
import http from "node:http";
import { serve } from "inngest/edge";
import { createInngestClient } from "../config/client.js";
import { ConfigError } from "../config/errors.js";
import { inngestMode, reconcileAfterMs, type Env } from "../config/env.js";
import { createLogger, type Logger } from "../config/logger.js";
import { createHostedFunctions, hostedOf } from "../functions/host.js";
import { createMetricsRegistry } from "../metrics/index.js";
import { createAppHandler } from "./app.js";
import { createRoutes } from "./host.js";
import { guardInngest, INNGEST_PATH } from "./inngest-route.js";
import { classifyStoreOpenError } from "../adapters/store/errors.js";
import { storeLocation } from "../adapters/store/db.js";
import { openEngineRecord } from "../adapters/inngest/engine-record.js";
import { checkWritable } from "../adapters/store/writable.js";
import { Reconciler } from "../functions/reconcile.js";

/** After the requests are closed, how long closing the store and the budget's connection may take. */
const CLOSE_STORE_MS = 500;

export interface RunningServer {
  /** The URLs it answers on (the first is the main one). */
  urls: string[];
  mode: "dev" | "cloud";
  functionIds: string[];
  storeLocation: string;
  /** `serve --check`: the store takes a write (rolled back) and, SQLite, has room; throws a StoreOpenError otherwise. */
  checkStoreWritable(): Promise<void>;
  /** Stop accepting, let in-flight requests finish (at most `graceMs`), close the store. */
  close(graceMs?: number): Promise<void>;
}

export function checkServeConfig(env: Env): void {
  if (inngestMode(env).mode === "dev") return;
  const missing = (["INNGEST_SIGNING_KEY", "INNGEST_EVENT_KEY"] as const).filter((k) => !env[k]);
  if (missing.length > 0) {
    throw new ConfigError(
      `${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not set: in cloud mode Inngest signs its requests (INNGEST_SIGNING_KEY) and the functions send fan-out events (INNGEST_EVENT_KEY)`,
      missing[0]!,
      "set them from the Inngest dashboard, or set INNGEST_DEV=1 to run against a local Inngest Dev Server",
    );
  }
}

export async function startServer(env: Env, o: { port: number; host: string; logger?: Logger }): Promise<RunningServer> {
  checkServeConfig(env);
  const logger = o.logger ?? createLogger(env);
  await createMetricsRegistry(); // /metrics: from here on the recorders count
  // What the package entry (ayida-jobs/inngest) gives the portal's app, mounted on node:http. The
  // client's default fetch bounds every call (30 s): a hung event API must not hold a request, or the
  // shutdown, forever.
  const client = createInngestClient(env, { logger });
  const functions = createHostedFunctions(client, { env, logger }); // + the schedules set (SCHEDULE_<DATASET>)
  const hosted = hostedOf(functions)!;
  // Open (and migrate) now: a bad DATABASE_URL fails start-up, not the first job; as what it is (the
  // database down, or DATABASE_URL naming no usable store), not as a bug.
  const store = await hosted.store().catch(async (err: unknown) => {
    await functions.close().catch(() => {});
    throw classifyStoreOpenError(err, storeLocation(env.DATABASE_URL)) ?? err;
  });
  hosted.joinBudget(); // the other instances count this one from now on, busy or not
  // The SDK's own adapter for Web-standard Request/Response, as inngest/next is in the portal.
  const inngest = guardInngest(client, serve({ client, functions: [...functions], servePath: INNGEST_PATH }));
  const routes = createRoutes({ client, functions, inngest });
  const mode = client.mode;
  const app = createAppHandler({ routes, logger });

  let servers: http.Server[];
  try {
    servers = [await listen(http.createServer(app.listener), o.port, o.host)];
  } catch (err) {
    await functions.close();
    throw listenError(err, o.port, o.host);
  }
  // The Dev Server calls the app at "localhost"; where that resolves to ::1, answer there too.
  if (o.host === "127.0.0.1" && (await lookup("localhost").catch(() => undefined))?.address === "::1") {
    const port = (servers[0]!.address() as AddressInfo).port;
    await listen(http.createServer(app.listener), port, "::1").then((s) => servers.push(s), () => undefined);
  }
  const urls = servers.map((s) => urlOf(s.address() as AddressInfo));
  // The store converges to the engine's record of runs serve could not record (functions/reconcile.ts).
  const afterMs = reconcileAfterMs(env);
  const record = openEngineRecord(env);
  const reconciler = afterMs > 0 && !("unavailable" in record) ? new Reconciler(hosted.store, record, logger.child({ component: "reconcile" }), { afterMs }) : undefined;
  reconciler?.start();

  return {
    urls,
    mode,
    functionIds: functions.map((f) => f.id(client.id)),
    storeLocation: store.location,
    checkStoreWritable: () => checkWritable(store),
    async close(graceMs = 10_000) {
      const closed = Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      servers.forEach((s) => s.closeIdleConnections());
      // At the end of the grace period, answer what is still running (503, logged), give those
      // answers a moment to leave, then drop every connection.
      const timer = setTimeout(() => {
        if (app.cutInFlight(graceMs) > 0) setTimeout(() => servers.forEach((s) => s.closeAllConnections()), 100).unref();
        else servers.forEach((s) => s.closeAllConnections());
      }, graceMs);
      await closed;
      clearTimeout(timer);
      // The reconcile, the store's pool and the budget's connection stop cleanly when nothing holds
      // them. A step cut at the grace period may still hold a connection (a write waiting on a lock):
      // it must not hold the process too — they are closed as far as they can be within
      // CLOSE_STORE_MS, and that is all.
      const stopping = (async () => {
        await reconciler?.stop();
        await functions.close();
      })().catch(() => undefined);
      await Promise.race([stopping, new Promise((r) => setTimeout(r, CLOSE_STORE_MS).unref())]);
      logger.flush?.();
    },
  };
}

function listen(server: http.Server, port: number, host: string): Promise<http.Server> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

/** The port is taken or not ours to use: configuration (exit 78), saying which. */
function listenError(err: unknown, port: number, host: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE") return new ConfigError(`port ${port} on ${host} is already in use`, "PORT", "stop what listens there, or choose another port with --port or PORT");
  if (code === "EACCES") return new ConfigError(`port ${port} on ${host} needs privileges this process does not have`, "PORT", "use a port above 1023, or run with the needed capability");
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") return new ConfigError(`cannot listen on ${host}: no such local address`, "HOST", "use 127.0.0.1, 0.0.0.0 or an address of this machine with --host or HOST");
  return err;
}

function urlOf(a: AddressInfo): string {
  return `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
}

/**
 * The exact command to run a Dev Server against this app: on the port INNGEST_DEV names (the Dev
 * Server's own default is 8288), calling the app on the port it listens on.
 */
export function devServerCommand(appPort: number, devServerUrl?: string): string {
  const url = devServerUrl ? new URL(devServerUrl) : undefined;
  const devPort = url ? Number(url.port || (url.protocol === "https:" ? 443 : 80)) : 8288;
  return `npx inngest-cli@latest dev${devPort === 8288 ? "" : ` -p ${devPort}`} -u http://localhost:${appPort}${INNGEST_PATH} --no-discovery`;
}


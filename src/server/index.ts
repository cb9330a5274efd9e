/**
 * `ayida-jobs serve`: builds everything the server needs from the env, checks the configuration
 * before listening (in cloud mode a missing key would otherwise turn every request into a 500), and
 * listens. Loaded lazily by the serve command only.
 */
import { lookup } from "node:dns/promises";
import type { AddressInfo } from "node:net";
import http from "node:http";
import { createInngestClient } from "../config/client.js";
import { ConfigError } from "../config/errors.js";
import { inngestMode, type Env } from "../config/env.js";
import { createLogger, type Logger } from "../config/logger.js";
import { createFunctions, createJobDeps } from "../functions/index.js";
import { createInngestService } from "../service.js";
import { createAppHandler, INNGEST_PATH } from "./app.js";

export interface RunningServer {
  /** The URLs it answers on (the first is the main one). */
  urls: string[];
  mode: "dev" | "cloud";
  functionIds: string[];
  storeLocation: string;
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
  const client = createInngestClient(env, { logger, fetch: globalThis.fetch });
  const deps = createJobDeps(env, logger);
  const store = await deps.store(); // open (and migrate) now: a bad DATABASE_URL fails start-up, not the first job
  const functions = createFunctions(client, deps);
  const service = createInngestService({ env, client });
  const mode = inngestMode(env).mode;
  const handler = createAppHandler({ client, functions, service, logger, cronSecret: env.CRON_SECRET, mode });

  const servers = [await listen(http.createServer(handler), o.port, o.host)];
  // The Dev Server calls the app at "localhost"; where that resolves to ::1, answer there too.
  if (o.host === "127.0.0.1" && (await lookup("localhost").catch(() => undefined))?.address === "::1") {
    const port = (servers[0]!.address() as AddressInfo).port;
    await listen(http.createServer(handler), port, "::1").then((s) => servers.push(s), () => undefined);
  }
  const urls = servers.map((s) => urlOf(s.address() as AddressInfo));

  return {
    urls,
    mode,
    functionIds: functions.map((f) => f.id(client.id)),
    storeLocation: store.location,
    async close(graceMs = 10_000) {
      const closed = Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      servers.forEach((s) => s.closeIdleConnections());
      const timer = setTimeout(() => servers.forEach((s) => s.closeAllConnections()), graceMs);
      await closed;
      clearTimeout(timer);
      await deps.close();
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

function urlOf(a: AddressInfo): string {
  return `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
}

/** The exact command to run a Dev Server against this app. */
export function devServerCommand(port: number): string {
  return `npx inngest-cli@latest dev -u http://localhost:${port}${INNGEST_PATH} --no-discovery`;
}


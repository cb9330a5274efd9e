/**
 * `ayida-jobs dev`: the whole thing on one machine, one command. serve runs in this process; the
 * Inngest Dev Server runs as a child under a watchdog (src/dev/watchdog.ts) that stops it when we go,
 * however we go; with --sample a BDNS sample server runs in this process too, so nothing needs the
 * network. Ctrl-C (or SIGTERM) stops the Dev Server, then serve, then the sample server, and exits
 * 130 (143).
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { CliError, EXIT, UsageError } from "../errors.js";

const DEFAULT_ENGINE_PORT = 8288;

interface DevOptions {
  port?: string;
  inngestPort?: string;
  sample?: boolean;
  sync?: string;
  readyTimeout: string;
}

function portOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new UsageError(`${name}: ${JSON.stringify(value)} must be a port number 0–65535`);
  return n;
}

export function registerDev(program: Command, ctx: CliContext): void {
  program
    .command("dev")
    .description("run everything locally: an Inngest Dev Server and serve, optionally a BDNS sample server and a first sync")
    .option("-p, --port <port>", "serve's port (env: PORT; default 3000; 0: any free port)")
    .option("--inngest-port <port>", `the Inngest Dev Server's port (default ${DEFAULT_ENGINE_PORT})`)
    .option("--sample", "also serve a small synthetic BDNS data set from this process: no network needed (data under ./data/sample unless DATABASE_URL / DOCUMENTS_DIR say otherwise)")
    .option("--sync <dataset>", "once the Dev Server has synced every function, request this sync (a dataset, or all) and follow it as --wait does")
    .option("--ready-timeout <duration>", "how long the Dev Server may take to start and sync the functions (npx may download it first)", "3m")
    .addHelpText(
      "after",
      `
The Dev Server is INNGEST_DEV_BIN if set, else \`inngest\` on PATH, else npx --yes inngest-cli@<pinned>
(which downloads it once). It listens on 127.0.0.1 only and syncs serve's /api/inngest; its UI and
API are at http://localhost:<inngest-port>. Its log and serve's go to files beside the store
(inngest-dev.log, serve.log); the terminal shows what happens to the runs. Ctrl-C stops everything:
no process is left behind, even if this one is killed.

Examples:
  $ ayida-jobs dev --sample --sync all      # the whole pipeline on synthetic data, offline, in a minute
  $ ayida-jobs dev                           # against the real BDNS; then, in another terminal:
  $ INNGEST_DEV=1 ayida-jobs sync convocatorias --wait

Environment:
  INNGEST_DEV_BIN     the Inngest Dev Server binary to run
  DATABASE_URL, DOCUMENTS_DIR, BDNS_API_URL, LOG_LEVEL, SCHEDULE_<DATASET>  as for serve
  (INNGEST_DEV, INNGEST_BASE_URL and AYIDA_SERVER_URL are set by dev itself: everything is local)

Exit codes: 2 usage, 69 the Dev Server could not start or sync the app, or exited, 78 configuration
(a port in use), 130/143 stopped by SIGINT/SIGTERM.`,
    )
    .action(async (o: DevOptions) => {
      ctx.state.command = "dev";
      const { out } = ctx;
      if (out.opts.json) throw new UsageError("dev is interactive and prints no JSON document; for machines use serve, and sync --wait --json");
      const servePort = portOption("--port", o.port, ctx.env?.PORT ?? 3000);
      const enginePort = portOption("--inngest-port", o.inngestPort, DEFAULT_ENGINE_PORT);
      const { parseDuration } = await import("../duration.js");
      const readyMs = parseDuration("--ready-timeout", o.readyTimeout);
      // Everything that can be refused is refused before anything starts.
      const { loadSendPath } = await import("./send-options.js");
      const [{ build, emit }, { buildSyncRequests }] = await Promise.all([loadSendPath(), import("../../contracts/sync-requests.js")]);
      const run = build.newRunContext({});
      const events = o.sync === undefined ? [] : buildSyncRequests({ dataset: o.sync }, run);

      const started = performance.now();
      const cleanup: Array<() => Promise<unknown>> = [];
      let stopping = false;
      const stopAll = async () => {
        for (const step of cleanup.reverse()) await step().catch(() => undefined);
      };
      ctx.signalHandler = (signal) => {
        if (stopping) return;
        stopping = true;
        out.stopProgress();
        out.info(`${signal}: stopping the Dev Server, serve${o.sample ? " and the sample server" : ""}…`);
        void stopAll().then(() => {
          out.info("stopped");
          process.exit(signal === "SIGTERM" ? EXIT.terminated : EXIT.interrupted);
        });
      };

      try {
        const [{ startEngine, resolveEngineCommand, waitForFunctions, EngineError }, { startServer }, { parseEnv }, { createLogger }, { default: pino }] = await Promise.all([
          import("../../dev/engine.js"),
          import("../../server/index.js"),
          import("../../config/env.js"),
          import("../../config/logger.js"),
          import("pino"),
        ]);

        let bdnsUrl: string | undefined;
        if (o.sample) {
          const { startSampleBdns } = await import("../../sample/server.js");
          const sample = await startSampleBdns();
          cleanup.push(() => sample.close());
          bdnsUrl = sample.url;
        }
        const engineUrl = `http://127.0.0.1:${enginePort}`;
        const sampleData = o.sample && !process.env.DATABASE_URL ? "./data/sample" : undefined;
        const env = parseEnv({
          ...process.env,
          INNGEST_DEV: engineUrl,
          INNGEST_BASE_URL: undefined,
          INNGEST_EVENT_API_BASE_URL: undefined,
          INNGEST_API_BASE_URL: undefined,
          AYIDA_SERVER_URL: undefined,
          ...(bdnsUrl && { BDNS_API_URL: bdnsUrl }),
          ...(sampleData && { DATABASE_URL: `${sampleData}/ayida-jobs.db` }),
          ...(o.sample && !process.env.DOCUMENTS_DIR && { DOCUMENTS_DIR: `${sampleData ?? "./data/sample"}/documents` }),
        });
        ctx.env = env;
        const logDir = resolve(ctx.cwd, sampleData ?? "./data");
        mkdirSync(logDir, { recursive: true });
        const serveLog = resolve(logDir, "serve.log");

        const server = await startServer(env, { port: servePort, host: "127.0.0.1", logger: createLogger(env, pino.destination({ dest: serveLog, append: true, sync: false, mkdir: true })) });
        cleanup.push(() => server.close(2000));
        const port = Number(new URL(server.urls[0]!).port);
        const appUrl = `http://localhost:${port}/api/inngest`;

        const command = resolveEngineCommand(process.env);
        out.info(`starting the Inngest Dev Server (${command.source}) on ${engineUrl}; serve on http://127.0.0.1:${port}`);
        // Built beside the CLI's chunks (tsup.config.ts): a plain script node runs on its own.
        const watchdog = fileURLToPath(new URL("./dev-watchdog.js", import.meta.url));
        const engine = startEngine({ command, port: enginePort, appUrl, logFile: resolve(logDir, "inngest-dev.log"), watchdog });
        cleanup.push(() => engine.stop());

        const spinner = await out.spinner(`waiting for the Dev Server to sync the app's ${server.functionIds.length} functions`);
        try {
          await waitForFunctions(engine, appUrl, server.functionIds, { timeoutMs: readyMs });
        } catch (err) {
          if (err instanceof EngineError) {
            // npx's install step downloads the binary (from GitHub): offline, it fails, often silently.
            const viaNpx = command.prefix.length > 0 ? `; npx installs inngest-cli with a step that downloads the Dev Server and needs the network — offline, set INNGEST_DEV_BIN to an \`inngest\` binary or put one on PATH` : "";
            throw new CliError(err.message, { exitCode: EXIT.unavailable, code: "DEV_SERVER", hint: `the Dev Server's log: ${engine.logFile}${viaNpx}` });
          }
          throw err;
        } finally {
          spinner.stop();
        }
        // From here on, the Dev Server going away ends dev: nothing would run the functions.
        void engine.exited.then(({ code, signal }) => {
          if (stopping) return;
          stopping = true;
          out.stopProgress();
          out.error(new CliError(`the Inngest Dev Server exited (${signal ?? `code ${code}`}); its log ends:\n${engine.tail(10)}`, { exitCode: EXIT.unavailable, code: "DEV_SERVER" }), { command: "dev" });
          void stopAll().then(() => process.exit(EXIT.unavailable));
        });

        const store = server.storeLocation;
        out.info(`ready in ${((performance.now() - started) / 1000).toFixed(1)} s:`);
        out.result(`  Dev Server UI  http://localhost:${enginePort}`);
        out.result(`  app            ${appUrl} (${server.functionIds.length} functions synced)`);
        out.result(`  store          ${store}`);
        out.result(`  documents      ${resolve(ctx.cwd, env.DOCUMENTS_DIR ?? "./data/documents")}`);
        out.result(`  BDNS           ${bdnsUrl ? `${bdnsUrl} (the sample: synthetic data, no network)` : (env.BDNS_API_URL ?? "https://www.infosubvenciones.es/bdnstrans/api")}`);
        out.result(`  logs           ${resolve(logDir, "inngest-dev.log")}, ${serveLog}`);
        out.info(`Ctrl-C stops them all. Meanwhile, in another terminal: INNGEST_DEV=${engineUrl} ayida-jobs sync <dataset> --wait`);

        if (events.length > 0) {
          try {
            await emit(ctx, "sync", events, run.runId, { dryRun: false, timeout: "30s", wait: { wait: true, pickupTimeout: "60s" } });
            out.info(`the sync is done; the Dev Server and serve keep running until Ctrl-C`);
          } catch (err) {
            if (!(err instanceof CliError) || stopping) throw err;
            out.warn(`${err.message}${err.hint ? `\n  ${err.hint}` : ""}`);
            out.info("the Dev Server and serve keep running until Ctrl-C");
          }
        }
        await new Promise<never>(() => undefined); // until a signal, or the Dev Server exits
      } catch (err) {
        if (!stopping) await stopAll();
        throw err;
      }
    });
}

import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { EXIT, UsageError } from "../errors.js";
import { requireEnv } from "../context.js";

const DEFAULT_GRACE_S = 10;

export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command("serve")
    .description("host the Inngest functions (/api/inngest) and the batch HTTP routes")
    .option("-p, --port <port>", "port to listen on (env: PORT; default 3000)")
    .option("--host <host>", "address to listen on; 0.0.0.0 for every interface (env: HOST; default 127.0.0.1)")
    .option("--grace <seconds>", `on SIGINT/SIGTERM, how long requests in flight may finish before they are answered 503 (default ${DEFAULT_GRACE_S})`)
    .option("--check", "check the configuration, open the store and try a write (rolled back), list the functions, and exit")
    .addHelpText(
      "after",
      `
Routes:
  GET|PUT|POST /api/inngest                 the Inngest SDK's endpoint (introspection, sync, execution)
  POST /api/batch/sync-convocatorias        body {"from","to","full","runId"} all optional; needs Authorization: Bearer $CRON_SECRET
  POST /api/batch/sync-convocatoria-individual  body {"bdns":"123456","runId"?}; same auth
  POST /api/batch/sync-<dataset>            one per dataset of \`ayida-jobs datasets\` (sync-organos, …); body {"from","to","full","runId"}; same auth
  POST /api/batch/sync-all                  every dataset under one runId; same body; same auth
  GET  /api/runs[/:runId]                   runs as \`ayida-jobs runs|status --json\` show them; same auth
  GET  /health                              {"ok","mode","functions","store":{"dialect","state","since"}}; 200 while the database is down
  GET  /metrics                             Prometheus text format; needs Authorization: Bearer $METRICS_TOKEN when that is set

Examples:
  $ INNGEST_DEV=1 ayida-jobs serve                  # then: npx inngest-cli@latest dev -u http://localhost:3000/api/inngest --no-discovery
  $ ayida-jobs serve --host 0.0.0.0 --port 8080     # production, every interface
  $ ayida-jobs serve --check --json

Environment:
  INNGEST_DEV, INNGEST_SIGNING_KEY, INNGEST_EVENT_KEY (both required in cloud mode), INNGEST_BASE_URL,
  CRON_SECRET, PORT, HOST, DATABASE_URL, DOCUMENTS_DIR or DOCUMENTS_URL (+ AWS_*), BDNS_API_URL, BDNS_RATE_LIMIT, LOG_LEVEL, METRICS_TOKEN,
  SCHEDULE_<DATASET> (off when unset; e.g. SCHEDULE_CONVOCATORIAS="TZ=Europe/Madrid 0 3 * * *")

Exit codes: 0 --check ok, 69 the store's database is down or its disk is full, 78 configuration (a missing key, a port in use, a DATABASE_URL that names no usable store, a store this user cannot write), 130/143 stopped by SIGINT/SIGTERM.`,
    )
    .action(async (o: { port?: string; host?: string; grace?: string; check?: boolean }) => {
      ctx.state.command = "serve";
      const env = requireEnv(ctx);
      const { out } = ctx;
      const port = o.port === undefined ? (env.PORT ?? 3000) : Number(o.port);
      if (o.port !== undefined && !/^\d+$/.test(o.port)) throw new UsageError(`--port: ${JSON.stringify(o.port)} must be a port number 0–65535`);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: ${JSON.stringify(o.port)} must be a port number 0–65535`);
      const graceS = o.grace === undefined ? DEFAULT_GRACE_S : Number(o.grace);
      if (o.grace !== undefined && (!/^\d+(\.\d+)?$/.test(o.grace) || graceS > 3600)) throw new UsageError(`--grace: ${JSON.stringify(o.grace)} must be seconds, 0–3600`);
      const host = o.host || env.HOST || "127.0.0.1";
      const { startServer, devServerCommand } = await import("../../server/index.js");
      const { inngestMode } = await import("../../config/env.js");
      const { unknownScheduleVariables } = await import("../../config/schedules.js");
      for (const u of unknownScheduleVariables(process.env)) out.warn(`${u.variable} matches no dataset, so nothing is scheduled by it (did you mean ${u.closest}?)`);
      const server = await startServer(env, { port: o.check ? 0 : port, host: o.check ? "127.0.0.1" : host });
      const info = { ok: true, command: "serve", url: server.urls[0], urls: server.urls, mode: server.mode, functions: server.functionIds, store: server.storeLocation };

      if (o.check) {
        // Opening and reading prove nothing: a file this user may not write, a read-only database or
        // a full disk pass both, and then every function fails. Try a write (rolled back).
        try {
          await server.checkStoreWritable();
        } finally {
          await server.close(0);
        }
        if (out.opts.json) return out.json({ ...info, check: true });
        out.result(`configuration ok (${server.mode} mode); store at ${server.storeLocation}`);
        for (const id of server.functionIds) out.result(`function ${id}`);
        return;
      }

      // Listen for the signals before saying where we listen: whoever reads that line may stop us
      // at once, and a signal with no handler yet kills the process on the spot.
      const stopped = new Promise<NodeJS.Signals>((resolve) => {
        ctx.signalHandler = resolve;
        process.once("SIGTERM", () => resolve("SIGTERM"));
      });
      if (out.opts.json) out.json(info);
      const listenPort = Number(new URL(server.urls[0]!).port);
      out.info(`ayida-jobs serving on ${server.urls.join(" and ")} (${server.mode} mode)`);
      out.info(`  Inngest endpoint: ${server.urls[0]}/api/inngest`);
      out.info(`  functions: ${server.functionIds.join(", ")}`);
      out.info(`  store: ${server.storeLocation}`);
      if (!env.CRON_SECRET) out.warn("CRON_SECRET is not set: /api/batch/* answer 503 until it is");
      if (server.mode === "dev") {
        const { devUrl } = inngestMode(env);
        out.info(`  run the Inngest Dev Server against it:\n    ${devServerCommand(listenPort, devUrl)}`);
        if (!devUrl) out.info("  (the Dev Server is expected at http://localhost:8288; elsewhere, set INNGEST_DEV=<its URL>)");
        if (!isLoopback(host)) {
          out.warn(`dev mode on ${host}: /api/inngest runs requests from anyone who can reach this address, unsigned (dev mode checks no signature); listen on 127.0.0.1, or set INNGEST_SIGNING_KEY and leave INNGEST_DEV unset`);
        }
      }

      const signal = await stopped;
      out.info(`${signal}: no longer accepting requests; finishing the ones in flight (at most ${graceS} s)…`);
      const code = signal === "SIGTERM" ? 143 : EXIT.interrupted;
      // The promise is "gone by the grace period": whatever still holds the event loop after the
      // close (a hung call to the event API, a socket) must not keep the process alive.
      setTimeout(() => process.exit(code), graceS * 1000 + 1000).unref();
      await server.close(graceS * 1000);
      out.info("stopped");
      ctx.exitCode = code;
      setTimeout(() => process.exit(code), 250).unref();
    });
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { EXIT, UsageError } from "../errors.js";
import { requireEnv } from "../context.js";

export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command("serve")
    .description("host the Inngest functions (/api/inngest) and the batch HTTP routes")
    .option("-p, --port <port>", "port to listen on (env: PORT)", "")
    .option("--host <host>", "address to listen on; 0.0.0.0 for every interface (env: HOST)", "")
    .option("--check", "check the configuration, open the store, list the functions, and exit")
    .addHelpText(
      "after",
      `
Routes:
  GET|PUT|POST /api/inngest                 the Inngest SDK's endpoint (introspection, sync, execution)
  POST /api/batch/sync-convocatorias        body {"from","to"} optional; needs Authorization: Bearer $CRON_SECRET
  POST /api/batch/sync-convocatoria-individual  body {"bdns":"123456"}; same auth
  GET  /health                              {"ok","mode","functions"}

Examples:
  $ INNGEST_DEV=1 ayida-jobs serve                  # then: npx inngest-cli@latest dev -u http://localhost:3000/api/inngest --no-discovery
  $ ayida-jobs serve --host 0.0.0.0 --port 8080     # production, every interface
  $ ayida-jobs serve --check --json

Environment:
  INNGEST_DEV, INNGEST_SIGNING_KEY, INNGEST_EVENT_KEY (both required in cloud mode), INNGEST_BASE_URL,
  CRON_SECRET, PORT, HOST, DATABASE_URL, DOCUMENTS_DIR, BDNS_API_URL, BDNS_RATE_LIMIT, LOG_LEVEL`,
    )
    .action(async (o: { port: string; host: string; check?: boolean }) => {
      ctx.state.command = "serve";
      const env = requireEnv(ctx);
      const port = o.port === "" ? (env.PORT ?? 3000) : Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: ${JSON.stringify(o.port)} must be a port number 0–65535`);
      const host = o.host || env.HOST || "127.0.0.1";
      const { startServer, devServerCommand } = await import("../../server/index.js");
      const server = await startServer(env, { port: o.check ? 0 : port, host: o.check ? "127.0.0.1" : host });
      const info = { ok: true, command: "serve", url: server.urls[0], urls: server.urls, mode: server.mode, functions: server.functionIds, store: server.storeLocation };
      const { out } = ctx;

      if (o.check) {
        await server.close(0);
        if (out.opts.json) return out.json({ ...info, check: true });
        out.result(`configuration ok (${server.mode} mode); store at ${server.storeLocation}`);
        for (const id of server.functionIds) out.result(`function ${id}`);
        return;
      }

      if (out.opts.json) out.json(info);
      const listenPort = Number(new URL(server.urls[0]!).port);
      out.info(`ayida-jobs serving on ${server.urls.join(" and ")} (${server.mode} mode)`);
      out.info(`  Inngest endpoint: ${server.urls[0]}/api/inngest`);
      out.info(`  functions: ${server.functionIds.join(", ")}`);
      out.info(`  store: ${server.storeLocation}`);
      if (!env.CRON_SECRET) out.warn("CRON_SECRET is not set: /api/batch/* answer 503 until it is");
      if (server.mode === "dev") {
        out.info(`  run the Inngest Dev Server against it:\n    ${devServerCommand(listenPort)}`);
        if (!env.INNGEST_DEV?.startsWith("http")) out.info("  (the Dev Server is expected at http://localhost:8288; elsewhere, set INNGEST_DEV=<its URL>)");
      }

      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        ctx.signalHandler = resolve;
        process.once("SIGTERM", () => resolve("SIGTERM"));
      });
      out.info(`${signal}: no longer accepting requests; finishing the ones in flight (at most 10 s)…`);
      await server.close(10_000);
      out.info("stopped");
      ctx.exitCode = signal === "SIGTERM" ? 143 : EXIT.interrupted;
    });
}

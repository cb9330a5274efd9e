import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { UsageError } from "../errors.js";

const DEFAULT_TIMEOUT_S = 4;

export function registerDoctor(program: Command, ctx: CliContext): void {
  program
    .command("doctor")
    .description("check the configuration and every dependency: event API and key, the app's /api/inngest and its registration, CRON_SECRET, BDNS, the store, the documents folder")
    .option("--url <url>", "the deployment's serve, e.g. https://jobs.example.com (env: AYIDA_SERVER_URL; default http://127.0.0.1:$PORT, 3000)")
    .option("--timeout <seconds>", `time limit of each check (default ${DEFAULT_TIMEOUT_S}); the whole takes at most twice that`)
    .option("--verify-documents", "also re-hash every stored document and compare it with the store (reads every file: as long as that takes, not held to --timeout)")
    .addHelpText(
      "after",
      `
Each check prints ok, warn, fail or skip, and for warn and fail the fix on the line below. Nothing is
changed and nothing is sent: the event key is tested with an empty batch, the batch routes with a body
they refuse, the store is read without migrating, the documents folder gets a probe file removed at once.

Checks: configuration (mode; which keys are set, never their values), schedules, event API (reachable,
key accepted), signing key (cloud: Inngest accepts it), app /api/inngest (reachable; cloud: the signing
key authenticates), functions registered (the Dev Server's count against the app's), CRON_SECRET (set;
the batch routes refuse a request without it), BDNS (one request through the limiter), store (reachable,
every migration applied), documents folder (writable, free space); with --verify-documents, documents
verified (every stored file re-hashed against the size and sha256 recorded).

Examples:
  $ ayida-jobs doctor
  $ AYIDA_SERVER_URL=https://jobs.example.com ayida-jobs doctor --json | jq '.checks[] | select(.status=="fail")'
  $ ayida-jobs doctor --url http://127.0.0.1:3000 --env-file .env.production
  $ ayida-jobs doctor --verify-documents --json | jq '.checks[] | select(.id=="documents-verified") | .details.mismatches'

Exit codes: 0 nothing failed (warnings allowed), 1 a check failed, 2 usage.`,
    )
    .action(async (o: { url?: string; timeout?: string; verifyDocuments?: boolean }) => {
      ctx.state.command = "doctor";
      if (o.timeout !== undefined && !(/^\d+(\.\d+)?$/.test(o.timeout) && Number(o.timeout) > 0 && Number(o.timeout) <= 60)) throw new UsageError(`--timeout: ${JSON.stringify(o.timeout)} must be seconds, above 0 and at most 60`);
      const { runDoctor, parseEnvLeniently, CHECKS, VERIFY_DOCUMENTS_CHECK } = await import("../../doctor/index.js");
      const { secretValues, urlPasswords, refusedAsShort } = await import("../../config/env.js");
      const { env, problems, unknown } = parseEnvLeniently(process.env);
      // An invalid value may still be a secret: scrubbed, unless it is one refused for being short.
      ctx.out.setSecrets([...secretValues(process.env), ...urlPasswords(o.url), ...problems.filter((p) => !refusedAsShort(p.key, process.env[p.key])).map((p) => process.env[p.key] ?? "")]);
      if (o.url !== undefined && !isHttpUrl(o.url)) throw new UsageError(`--url: ${JSON.stringify(o.url)} must be an http(s) URL with a host and a port from 1 to 65535, e.g. http://127.0.0.1:3000`);
      const server = o.url ? { url: o.url, from: "--url" as const } : env.AYIDA_SERVER_URL ? { url: env.AYIDA_SERVER_URL, from: "AYIDA_SERVER_URL" as const } : { url: `http://127.0.0.1:${env.PORT ?? 3000}`, from: "default" as const };
      const timeoutMs = Math.round(Number(o.timeout ?? DEFAULT_TIMEOUT_S) * 1000);
      const t0 = performance.now();
      const { out } = ctx;
      if (!out.opts.json) out.info(`ayida-jobs doctor: checking (serve at ${server.url}${server.from === "default" ? ", the default; set AYIDA_SERVER_URL or --url for a deployment" : ""})…`);
      const checks = await runDoctor({ env, problems, unknown, server, cwd: ctx.cwd, timeoutMs, checks: o.verifyDocuments ? [...CHECKS, VERIFY_DOCUMENTS_CHECK] : CHECKS });
      const durationMs = Math.round(performance.now() - t0);
      const count = (s: string) => checks.filter((c) => c.status === s).length;
      const summary = { ok: count("ok"), warn: count("warn"), fail: count("fail"), skip: count("skip") };
      if (summary.fail > 0) ctx.exitCode = 1;
      if (out.opts.json) return out.json({ ok: summary.fail === 0, command: "doctor", server, summary, durationMs, checks });

      const paint = { ok: out.out.green, warn: out.out.yellow, fail: out.out.red, skip: out.out.dim };
      const width = Math.max(...checks.map((c) => c.title.length));
      for (const c of checks) {
        out.result(`${paint[c.status](c.status.padEnd(4))}  ${c.title.padEnd(width)}  ${c.message}`);
        if (c.fix && (c.status === "warn" || c.status === "fail")) out.result(`${" ".repeat(8 + width)}${out.out.dim("fix:")} ${c.fix}`);
      }
      out.result(`\n${summary.ok} ok, ${summary.warn} warn, ${summary.fail} fail, ${summary.skip} skipped (${(durationMs / 1000).toFixed(1)} s)`);
    });
}

/** What the checks can request: http(s), a host, a port in range (WHATWG's parser refuses 99999 and an unclosed `[`). */
function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "" && u.port !== "0" && /^https?:\/\/[^/\s]+/.test(value);
  } catch {
    return false;
  }
}

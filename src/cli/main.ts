/**
 * The CLI entry: the only place that sets the exit code. Commands throw; errors become an exit code
 * (see errors.ts), a message on stderr and, under --json, one JSON document on stdout.
 */
import { CommanderError } from "commander";
import type { CliContext } from "./context.js";
import { EXIT, UsageError, toCliError } from "./errors.js";
import { Output } from "./output.js";
import { createProgram, outputOptions } from "./program.js";

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
  cwd: string;
}

export async function main(argv: string[] = process.argv, io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, cwd: process.cwd() }): Promise<number> {
  // Commander's own errors come before any hook runs, so the output mode is read from argv up front.
  const args = argv.slice(2);
  const out = new Output(outputOptions({ json: args.includes("--json"), quiet: args.includes("--quiet") || args.includes("-q"), color: !args.includes("--no-color"), debug: args.includes("--debug") }, process.env), io.stdout, io.stderr);
  const ctx: CliContext = { out, cwd: io.cwd, stdin: io.stdin, state: {}, interruptHandlers: [] };

  const onSigint = () => {
    if (ctx.signalHandler) return ctx.signalHandler("SIGINT");
    for (const h of ctx.interruptHandlers) h();
    process.exit(EXIT.interrupted);
  };
  process.on("SIGINT", onSigint);
  try {
    await createProgram(ctx, io).parseAsync(argv);
    return ctx.exitCode ?? EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return EXIT.ok; // --help, --version
      const message = err.code === "commander.help" || err.code === "commander.executeSubCommandAsync" ? "no command given" : err.message.replace(/^error: /, "");
      err = new UsageError(message);
    }
    const e = toCliError(err, ctx.state.target);
    out.error(e, { command: ctx.state.command ?? null, ...(ctx.state.runId && { runId: ctx.state.runId }) });
    return e.exitCode;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

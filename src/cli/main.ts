/**
 * The CLI entry: the only place that sets the exit code. Commands throw; errors become an exit code
 * (see errors.ts), a message on stderr and, under --json, one JSON document on stdout.
 */
import { CommanderError } from "commander";
import type { CliContext } from "./context.js";
import { CliError, EXIT, UsageError, toCliError } from "./errors.js";
import { Output } from "./output.js";
import { createProgram, outputOptions } from "./program.js";
import { stdStream, type CliStream } from "./std-stream.js";

export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  stdin: NodeJS.ReadableStream;
  cwd: string;
}

/**
 * The process's own streams (std-stream.ts: by descriptor to a file or /dev/null, Node's stream
 * otherwise). stdin is opened only by a command that reads it (`detail --file -`).
 */
export const processIo = (): CliIo => ({
  stdout: stdStream(1),
  stderr: stdStream(2),
  get stdin() {
    return process.stdin;
  },
  cwd: process.cwd(),
});

export async function main(argv: string[] = process.argv, io: CliIo = processIo()): Promise<number> {
  // Commander's own errors come before any hook runs, so the output mode is read from argv up front.
  const args = argv.slice(2);
  const out = new Output(outputOptions({ json: args.includes("--json"), quiet: args.includes("--quiet") || args.includes("-q"), color: !args.includes("--no-color"), debug: args.includes("--debug") }, process.env), io.stdout, io.stderr);
  const ctx: CliContext = {
    out,
    cwd: io.cwd,
    get stdin() {
      return io.stdin;
    },
    state: {},
  };

  // A signal ends the run the way an error does: progress stopped (cursor back), the failure on
  // stderr and, under --json, exactly one JSON document saying what was and was not sent; then exit
  // 128 + the signal's number. serve takes signals over (ctx.signalHandler) to shut down cleanly.
  const onSignal = (signal: NodeJS.Signals) => {
    if (ctx.signalHandler) return ctx.signalHandler(signal);
    const exitCode = signal === "SIGTERM" ? EXIT.terminated : EXIT.interrupted;
    const what = ctx.describeInterruption?.();
    const e = new CliError(what ? `interrupted by ${signal}: ${what.message}` : `interrupted by ${signal}`, { exitCode, code: "INTERRUPTED", ...(what?.hint && { hint: what.hint }), ...(what?.details && { details: what.details }) });
    out.error(e, envelope(ctx));
    process.exit(exitCode);
  };
  // A reader that stops early (`… | head`, a closed pipe) ends the command at once: it cannot report
  // anything more. Not a crash (no stack), but not success either: 141, as SIGPIPE would; a command
  // that was following a run or sending says on stderr where it stopped. Any other stdout error is raised.
  // It stays installed after main returns: output still in the pipe's buffer can meet the closed end then.
  // Any other failure to write stdout (ENOSPC: a full disk, EIO) is 74 and one line on stderr: the
  // output is incomplete, and saying so beats a stack. A stderr that cannot be written loses its
  // messages but not the exit code.
  let finished = false;
  const onStdoutError = (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") {
      out.closeStdout();
      out.error(new CliError(`cannot write to stdout: ${err.code ?? err.message}${err.code ? ` (${err.message.replace(/^[A-Z]+: /, "")})` : ""}`, { exitCode: EXIT.outputFailed, code: "OUTPUT_FAILED", hint: "the output is incomplete: free space where stdout goes, or send it elsewhere" }), envelope(ctx));
      process.exit(EXIT.outputFailed);
    }
    out.closeStdout();
    const what = finished ? undefined : ctx.describeInterruption?.();
    if (what) out.error(new CliError(`stdout was closed: ${what.message}`, { exitCode: EXIT.outputClosed, code: "OUTPUT_CLOSED", ...(what.hint && { hint: what.hint }) }), envelope(ctx));
    process.exit(EXIT.outputClosed);
  };
  io.stdout.on("error", onStdoutError);
  io.stderr.on("error", () => {});
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    await createProgram(ctx, io, argv).parseAsync(argv);
    return ctx.exitCode ?? EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return EXIT.ok; // --help, --version
      const message = err.code === "commander.help" || err.code === "commander.executeSubCommandAsync" ? "no command given" : err.message.replace(/^error: /, "");
      err = new UsageError(message);
    }
    const e = toCliError(err, ctx.state.target);
    out.error(e, envelope(ctx));
    return e.exitCode;
  } finally {
    out.stopProgress();
    finished = true;
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** The known parts of an error document: which command, which run. */
function envelope(ctx: CliContext): Record<string, unknown> {
  return { command: ctx.state.command ?? null, ...(ctx.state.runId && { runId: ctx.state.runId }) };
}

/** Builds the commander program: global options, the env-loading hook and the commands. */
import { Command, Option } from "commander";
import { UsageError } from "./errors.js";
import pkg from "../../package.json" with { type: "json" };
import type { CliContext } from "./context.js";
import type { OutputOptions } from "./output.js";
import type { CliStream } from "./std-stream.js";
import { registerDatasets } from "./commands/datasets.js";
import { registerDetail } from "./commands/detail.js";
import { registerDocument } from "./commands/document.js";
import { registerRetry } from "./commands/retry.js";
import { registerRuns } from "./commands/runs.js";
import { registerStatus } from "./commands/status.js";
import { registerServe } from "./commands/serve.js";
import { registerSync } from "./commands/sync.js";
import { registerDoctor } from "./commands/doctor.js";
import { registerCompletion } from "./commands/completion.js";
import { registerDev } from "./commands/dev.js";

export interface GlobalOptions {
  json?: boolean;
  quiet?: boolean;
  color?: boolean;
  debug?: boolean;
  envFile?: string;
}

/** --json also comes from AYIDA_JOBS_OUTPUT=json; NO_COLOR (any non-empty value) turns color off. */
export function outputOptions(g: GlobalOptions, env: NodeJS.ProcessEnv): OutputOptions {
  return {
    json: Boolean(g.json) || env.AYIDA_JOBS_OUTPUT === "json",
    quiet: Boolean(g.quiet),
    color: g.color !== false && !env.NO_COLOR,
    debug: Boolean(g.debug) || /(^|,)ayida/.test(env.DEBUG ?? ""),
  };
}

/** Every command, in the order `--help` lists them. */
const COMMANDS: ReadonlyArray<readonly [string, (program: Command, ctx: CliContext) => void]> = [
  ["sync", registerSync],
  ["detail", registerDetail],
  ["document", registerDocument],
  ["serve", registerServe],
  ["dev", registerDev],
  ["datasets", registerDatasets],
  ["runs", registerRuns],
  ["status", registerStatus],
  ["retry", registerRetry],
  ["doctor", registerDoctor],
  ["completion", registerCompletion],
];

/**
 * The program. Given the argv it will parse, it defines only the command argv names (see
 * commandNamed): defining every command's options and help costs each start milliseconds that only
 * `--help`, `help`, `completion` and a mistyped command need.
 */
export function createProgram(ctx: CliContext, io: { stdout: CliStream; stderr: CliStream } = process, argv?: readonly string[]): Command {
  const program = new Command("ayida-jobs")
    .description("Trigger and run the Inngest jobs that keep Ayida Portal's copy of BDNS (Spain's grants database) current.")
    .version(pkg.version, "-v, --version", "print the version (also -V)")
    // -V too, as many CLIs spell it; commander takes one short flag, so -V asks for the same output.
    .addOption(new Option("-V").hideHelp())
    .on("option:V", function (this: Command) {
      (this as unknown as NodeJS.EventEmitter).emit("option:version"); // a Command is an EventEmitter
    })
    .option("--json", "print exactly one JSON document on stdout (env: AYIDA_JOBS_OUTPUT=json)")
    .option("-q, --quiet", "print results only, no progress")
    .option("--no-color", "no colors (also NO_COLOR=1)")
    .option("--debug", "print stacks and which env files were loaded (also DEBUG=ayida*)")
    .option("--env-file <path>", "load this env file instead of .env.local and .env (with npx: npx -- ayida-jobs …)")
    .exitOverride()
    // Every command's --help lists --json, --quiet, --env-file … too: they apply to each of them.
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // Commander's defaults read process.stdout/stderr, which builds Node's streams (std-stream.ts).
      // Not a terminal: no width, as commander's own default says (its type says number; it means 80).
      getOutHelpWidth: () => (io.stdout.isTTY ? io.stdout.columns : undefined) as number,
      getErrHelpWidth: () => (io.stderr.isTTY ? io.stderr.columns : undefined) as number,
      getOutHasColors: () => hasColors(io.stdout),
      getErrHasColors: () => hasColors(io.stderr),
      // Usage errors are rendered by main.ts, so that --json gets its JSON document too.
      outputError: () => {},
    })
    .addHelpText(
      "after",
      `
Examples:
  $ ayida-jobs sync convocatorias                  # last 7 days ending yesterday
  $ ayida-jobs detail 123456                       # one convocatoria's detail
  $ ayida-jobs document 123456 doc-789             # store one document
  $ ayida-jobs detail 123456 --dry-run --json      # show the event, send nothing
  $ INNGEST_DEV=1 ayida-jobs serve --port 3000     # host the functions locally
  $ ayida-jobs sync convocatorias --wait --json    # follow the whole fan-out; exit 0/1/124
  $ ayida-jobs runs                                # recent runs; then: status <runId> [--watch], retry <runId>
  $ ayida-jobs doctor                              # check the configuration and every dependency

Exit codes: 0 ok, 1 failed, 2 usage/invalid input (nothing sent), 69 event API unavailable or
no answer within --timeout (the events may have arrived; re-run with the same --run-id), 70 internal
error, 74 stdout could not be written (a full disk), 75 --wait: no function picked the run up,
78 configuration (incl. an event key the event API rejects), 124 --wait-timeout passed (the work goes
on), 130/143 interrupted (SIGINT/SIGTERM), 141 stdout closed early (| head).`,
    );

  program.hook("preAction", async (_root, action) => {
    rejectOptionLikeValues(action);
    const g = action.optsWithGlobals<GlobalOptions>();
    const { loadEnvFiles, parseEnv, secretValues } = await import("../config/env.js");
    // Scrubbed from the start, before the values are known to be valid: an invalid DATABASE_URL's
    // password is still a password.
    ctx.out.setSecrets(secretValues(process.env));
    ctx.out.configure(outputOptions(g, process.env));
    const files = await loadEnvFiles({ envFile: g.envFile, cwd: ctx.cwd });
    ctx.out.setSecrets(secretValues(process.env)); // the env files' too
    ctx.out.configure(outputOptions(g, process.env));
    ctx.out.debug(`env files loaded: ${files.length ? files.join(", ") : "none"}`);
    if (action.name() === "doctor" || action.name() === "completion") return; // doctor reports a bad configuration as a check; completion needs none
    ctx.env = parseEnv(process.env);
  });

  const only = argv && commandNamed(program, argv.slice(2));
  for (const [name, register] of COMMANDS) if (!only || name === only) register(program, ctx);
  refuseOptionLikeValuesAsParsed(program);
  return program;
}

/**
 * The command `args` runs, when it is one that needs no other defined: the first word that is not a
 * global option (or the value of one that takes a value, as `--env-file <path>`). Undefined when there
 * is none, after `--`, or it is not a command: commander then needs them all (for the help, `help
 * <command>`, or to suggest the command meant). `completion` describes every command, so it is not one.
 */
function commandNamed(program: Command, args: readonly string[]): string | undefined {
  const takesValue = new Set(program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short]));
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") return undefined;
    if (a.startsWith("-")) {
      if (takesValue.has(a)) i++; // its value follows (--env-file=path carries its own)
      continue;
    }
    return a !== "completion" && COMMANDS.some(([name]) => name === a) ? a : undefined;
  }
  return undefined;
}

/**
 * The same rule as rejectOptionLikeValues, as each value is parsed: commander checks the number of
 * arguments before any hook runs, so `sync convocatorias --from --to 2024-01-01` (--from took "--to",
 * leaving 2024-01-01 over) was refused as "too many arguments" instead of naming --from and its value.
 */
function refuseOptionLikeValuesAsParsed(program: Command): void {
  for (const cmd of [program, ...program.commands]) {
    for (const opt of cmd.options) {
      if (!opt.required && !opt.optional) continue;
      cmd.on(`option:${opt.name()}`, (value: unknown) => {
        if (typeof value === "string") refuseOptionLike(opt, value);
      });
    }
  }
}

function refuseOptionLike(opt: Option, value: string): void {
  if (value.startsWith("-") && value !== "-") {
    const name = opt.long ?? opt.flags;
    throw new UsageError(`${name}: "${value}" looks like an option, not a value for ${name}; give it one (${opt.flags})`);
  }
}

/**
 * Commander gives an option that needs a value the next word, whatever it is: `--run-id --dry-run`
 * read "--dry-run" as the run id and then sent for real. No value of ours starts with '-' (a file
 * that does can be written ./-name), so such a value is the user's missing one: a usage error that
 * names both. A lone '-' (stdin for --file) is a value.
 */
function rejectOptionLikeValues(action: Command): void {
  for (let cmd: Command | null = action; cmd; cmd = cmd.parent) {
    for (const opt of cmd.options) {
      if (!opt.required && !opt.optional) continue; // a flag, no value
      const value: unknown = cmd.getOptionValue(opt.attributeName());
      if (cmd.getOptionValueSource(opt.attributeName()) !== "cli" || typeof value !== "string") continue;
      refuseOptionLike(opt, value);
    }
  }
}

/** Commander's rule for colored help, on our streams: a terminal that says it has them. */
function hasColors(stream: CliStream): boolean {
  return Boolean(stream.isTTY) && (stream as { hasColors?: () => boolean }).hasColors?.() === true;
}

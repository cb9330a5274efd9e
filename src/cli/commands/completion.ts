/**
 * `ayida-jobs completion bash|zsh|fish`: a script that completes the commands, their options and the
 * dataset names. Generated from the program itself (its commands and options as commander knows them)
 * and from the dataset declarations, so it never lags behind either.
 */
import type { Command, Option } from "commander";
import type { CliContext } from "../context.js";
import { UsageError } from "../errors.js";

export const SHELLS = ["bash", "zsh", "fish"] as const;
type Shell = (typeof SHELLS)[number];

export function registerCompletion(program: Command, ctx: CliContext): void {
  program
    .command("completion")
    .description("print a shell completion script (commands, options, dataset names): bash, zsh or fish")
    .argument("<shell>", `one of ${SHELLS.join(", ")}`)
    .addHelpText(
      "after",
      `
Load it in the current shell, or install it for every new one:
  bash   source <(ayida-jobs completion bash)          # or: ayida-jobs completion bash > ~/.local/share/bash-completion/completions/ayida-jobs
  zsh    source <(ayida-jobs completion zsh)           # after compinit; or save it as _ayida-jobs in a folder of $fpath
  fish   ayida-jobs completion fish | source           # or: ayida-jobs completion fish > ~/.config/fish/completions/ayida-jobs.fish`,
    )
    .action(async (shell: string) => {
      ctx.state.command = "completion";
      if (!SHELLS.includes(shell as Shell)) throw new UsageError(`shell: ${JSON.stringify(shell)} is not one of ${SHELLS.join(", ")}`);
      const { SYNCABLE_DATASETS, SYNC_ALL } = await import("../../contracts/datasets.js");
      // `runs --dataset` filters by one dataset: every name but "all" (a run of all touches each).
      const spec = describeProgram(program, [...SYNCABLE_DATASETS, SYNC_ALL], { "--dataset": SYNCABLE_DATASETS });
      const script = shell === "bash" ? bashScript(spec) : shell === "zsh" ? zshScript(spec) : fishScript(spec);
      ctx.out.raw(script); // a script, not a result line; through the CLI's stdout, so a closed reader is 141
    });
}

interface OptionSpec {
  long?: string;
  short?: string;
  description: string;
  /** Takes a value; `file` when that value is a path. */
  value: false | "file" | "other";
  /** The values it takes, when they are a known list (`runs --dataset`). */
  choices?: readonly string[];
}

interface CommandSpec {
  name: string;
  description: string;
  options: OptionSpec[];
  /** Words to offer for its arguments. */
  args: string[];
}

export interface ProgramSpec {
  name: string;
  global: OptionSpec[];
  commands: CommandSpec[];
}

function optionSpec(o: Option, values: Readonly<Record<string, readonly string[]>>): OptionSpec {
  const takes = o.required || o.optional;
  const choices = o.long ? values[o.long] : undefined;
  return {
    ...(o.long && { long: o.long }),
    ...(o.short && { short: o.short }),
    description: o.description,
    value: !takes ? false : /file|path/i.test(`${o.long} ${o.flags}`) ? "file" : "other",
    ...(takes && choices && { choices }),
  };
}

/**
 * The program as completion sees it; dataset names for `sync`, the shells for `completion`, and
 * `values`: the words an option's value can be, by its long flag.
 */
export function describeProgram(program: Command, datasets: readonly string[], values: Readonly<Record<string, readonly string[]>> = {}): ProgramSpec {
  const visible = (o: Option) => !o.hidden && (o.long || o.short);
  const commands: CommandSpec[] = program.commands.map((c) => ({
    name: c.name(),
    description: c.description(),
    options: [...c.options.filter(visible).map((o) => optionSpec(o, values)), { long: "--help", short: "-h", description: "display help for command", value: false }],
    args: c.name() === "sync" ? [...datasets] : c.name() === "completion" ? [...SHELLS] : c.name() === "help" ? program.commands.map((x) => x.name()) : [],
  }));
  if (!commands.some((c) => c.name === "help")) commands.push({ name: "help", description: "display help for a command", options: [], args: program.commands.map((x) => x.name()) });
  // Every command lists its own -h/--help; the top level adds them itself.
  const global = program.options.filter(visible).map((o) => optionSpec(o, values));
  return { name: program.name(), global, commands };
}

const words = (opts: OptionSpec[]) => opts.flatMap((o) => [o.short, o.long].filter((x): x is string => Boolean(x)));
const valued = (opts: OptionSpec[], kind: "file" | "other") => [...new Set(words(opts.filter((o) => o.value === kind)))];
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
/** Each option whose value is one of a known list, once (by flag), with that list. */
const withChoices = (opts: OptionSpec[]) => [...new Map(opts.filter((o) => o.choices).flatMap((o) => words([o]).map((w) => [w, o.choices!] as const))).entries()];

export function bashScript(p: ProgramSpec): string {
  const fn = `_${p.name.replace(/[^A-Za-z0-9]/g, "_")}`;
  const all = [...p.global, ...p.commands.flatMap((c) => c.options)];
  const cases = p.commands
    .map((c) => `    ${c.name}) opts=${sq(words(c.options).join(" "))}; args=${sq(c.args.join(" "))} ;;`)
    .join("\n");
  return `# ${p.name} completion for bash. Load it with: source <(${p.name} completion bash)
${fn}() {
  local cur prev cmd="" opts="" args="" i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local commands=${sq(p.commands.map((c) => c.name).join(" "))}
  local global=${sq(words(p.global).join(" "))}
  local file_opts=" ${valued(all, "file").join(" ")} "
  local value_opts=" ${valued(all, "other").join(" ")} "
${withChoices(all).map(([flag, choices]) => `  if [[ "$prev" == ${flag} ]]; then COMPREPLY=( $(compgen -W ${sq(choices.join(" "))} -- "$cur") ); return 0; fi\n`).join("")}  case "$file_opts" in *" $prev "*) COMPREPLY=( $(compgen -f -- "$cur") ); return 0 ;; esac
  case "$value_opts" in *" $prev "*) COMPREPLY=(); return 0 ;; esac
  for (( i = 1; i < COMP_CWORD; i++ )); do
    case "\${COMP_WORDS[i]}" in
      -*) case "$file_opts$value_opts" in *" \${COMP_WORDS[i]} "*) (( i++ )) ;; esac ;;
      *) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  if [[ -z "$cmd" ]]; then
    if [[ "$cur" == -* ]]; then COMPREPLY=( $(compgen -W "$global -h --help" -- "$cur") ); else COMPREPLY=( $(compgen -W "$commands" -- "$cur") ); fi
    return 0
  fi
  case "$cmd" in
${cases}
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=( $(compgen -W "$opts $global" -- "$cur") ); else COMPREPLY=( $(compgen -W "$args" -- "$cur") ); fi
  return 0
}
complete -o default -F ${fn} ${p.name}
`;
}

export function zshScript(p: ProgramSpec): string {
  const fn = `_${p.name.replace(/[^A-Za-z0-9]/g, "_")}`;
  const all = [...p.global, ...p.commands.flatMap((c) => c.options)];
  const esc = (s: string) => s.replace(/:/g, "\\:");
  const cases = p.commands
    .map((c) => `    ${c.name}) opts=(${words(c.options).map(sq).join(" ")}); args=(${c.args.map(sq).join(" ")}) ;;`)
    .join("\n");
  return `#compdef ${p.name}
# ${p.name} completion for zsh. Load it with: source <(${p.name} completion zsh)  (after compinit)
${fn}() {
  local -a commands global opts args file_opts value_opts
  local cmd="" i
  commands=(${p.commands.map((c) => sq(`${esc(c.name)}:${esc(c.description)}`)).join(" ")})
  global=(${words(p.global).map(sq).join(" ")})
  file_opts=(${valued(all, "file").map(sq).join(" ")})
  value_opts=(${valued(all, "other").map(sq).join(" ")})
${withChoices(all).map(([flag, choices]) => `  if [[ "\${words[CURRENT-1]}" == ${flag} ]]; then compadd -- ${choices.map(sq).join(" ")}; return; fi\n`).join("")}  if (( \${file_opts[(Ie)\${words[CURRENT-1]}]} )); then _files; return; fi
  if (( \${value_opts[(Ie)\${words[CURRENT-1]}]} )); then return 0; fi
  for (( i = 2; i < CURRENT; i++ )); do
    case "\${words[i]}" in
      -*) if (( \${file_opts[(Ie)\${words[i]}]} || \${value_opts[(Ie)\${words[i]}]} )); then (( i++ )); fi ;;
      *) cmd="\${words[i]}"; break ;;
    esac
  done
  if [[ -z "$cmd" ]]; then
    if [[ "$PREFIX" == -* ]]; then compadd -- $global -h --help; else _describe -t commands '${p.name} command' commands; fi
    return
  fi
  case "$cmd" in
${cases}
  esac
  if [[ "$PREFIX" == -* ]]; then compadd -- $opts $global; else compadd -- $args; fi
}
if [[ "\${funcstack[1]}" == "${fn}" ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${p.name}
fi
`;
}

export function fishScript(p: ProgramSpec): string {
  const cmd = p.name;
  const opt = (o: OptionSpec, cond?: string) =>
    [
      `complete -c ${cmd}`,
      ...(cond ? [`-n ${sq(cond)}`] : []),
      ...(o.short ? [`-s ${o.short.replace(/^-/, "")}`] : []),
      ...(o.long ? [`-l ${o.long.replace(/^--/, "")}`] : []),
      ...(o.value === "file" ? ["-r -F"] : o.value === "other" ? ["-x"] : []),
      ...(o.choices ? [`-a ${sq(o.choices.join(" "))}`] : []),
      `-d ${sq(o.description)}`,
    ].join(" ");
  const names = p.commands.map((c) => c.name).join(" ");
  const lines = [
    `# ${cmd} completion for fish. Load it with: ${cmd} completion fish | source`,
    `complete -c ${cmd} -f`,
    ...p.global.map((o) => opt(o)),
    opt({ long: "--help", short: "-h", description: "display help", value: false }, `not __fish_seen_subcommand_from ${p.commands.map((c) => c.name).join(" ")}`),
    ...p.commands.map((c) => `complete -c ${cmd} -n ${sq(`not __fish_seen_subcommand_from ${names}`)} -a ${c.name} -d ${sq(c.description)}`),
    ...p.commands.flatMap((c) => [
      ...c.options.map((o) => opt(o, `__fish_seen_subcommand_from ${c.name}`)),
      ...(c.args.length ? [`complete -c ${cmd} -n ${sq(`__fish_seen_subcommand_from ${c.name}`)} -a ${sq(c.args.join(" "))}`] : []),
    ]),
  ];
  return lines.join("\n") + "\n";
}

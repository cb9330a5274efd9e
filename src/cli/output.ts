/**
 * The one writer to stdout and stderr. stdout carries results only (result lines, or exactly one JSON
 * document under --json); everything else (progress, warnings, errors, hints) goes to stderr.
 * Every byte passes through `redact`, so a secret can never be printed, whatever the message.
 */
import { styles, type Style } from "./style.js";
import type { CliError } from "./errors.js";

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  color: boolean;
  debug: boolean;
}

interface Writable {
  write(s: string): unknown;
  isTTY?: boolean;
}

export interface Spinner {
  text(s: string): void;
  stop(): void;
}

export class Output {
  opts: OutputOptions;
  private secrets: string[] = [];
  private outColor: Style;
  private errColor: Style;

  constructor(
    opts: OutputOptions,
    private readonly stdout: Writable = process.stdout,
    private readonly stderr: Writable = process.stderr,
  ) {
    this.opts = opts;
    this.outColor = this.errColor = styles(0);
    this.configure(opts);
  }

  configure(opts: OutputOptions): void {
    this.opts = opts;
    // FORCE_COLOR and the TTY decide, as chalk's would; the caller folds NO_COLOR into opts.color.
    const level = (stream: Writable) => (!opts.color || opts.json ? 0 : forcedLevel() ?? (stream.isTTY ? 1 : 0));
    this.outColor = styles(level(this.stdout));
    this.errColor = styles(level(this.stderr));
  }

  /**
   * Values never to print (secrets from the environment). Values under 4 characters are not
   * scrubbed: they would mangle ordinary text, and no real key is that short.
   */
  setSecrets(values: string[]): void {
    this.secrets = values.filter((v) => v.length >= 4).sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join("***");
    return out;
  }

  get out(): Style {
    return this.outColor;
  }
  get err(): Style {
    return this.errColor;
  }

  /** A human result line on stdout (nothing under --json: the JSON document is the result). */
  result(line: string): void {
    if (!this.opts.json && !this.stdoutClosed) this.stdout.write(this.redact(line) + "\n");
  }

  /** The JSON document on stdout. */
  json(doc: unknown): void {
    if (!this.stdoutClosed) this.stdout.write(this.redact(JSON.stringify(doc)) + "\n");
  }

  /** Text on stdout as it is (a completion script): no newline added, nothing once stdout is closed. */
  raw(text: string): void {
    if (!this.stdoutClosed) this.stdout.write(this.redact(text));
  }

  /** Its reader went away (EPIPE): nothing more is written there; errors still reach stderr. */
  closeStdout(): void {
    this.stdoutClosed = true;
  }

  private stdoutClosed = false;

  /** Progress and notes on stderr; silenced by --quiet and --json. */
  info(line: string): void {
    if (!this.opts.quiet && !this.opts.json) this.stderr.write(this.redact(line) + "\n");
  }

  warn(line: string): void {
    if (!this.opts.quiet) this.stderr.write(this.redact(this.err.yellow(`warning: ${line}`)) + "\n");
  }

  debug(line: string): void {
    if (this.opts.debug) this.stderr.write(this.redact(this.err.dim(`debug: ${line}`)) + "\n");
  }

  /** Errors always reach stderr; under --json the envelope also goes to stdout. */
  error(e: CliError, envelope: Record<string, unknown>): void {
    this.stopProgress();
    this.stderr.write(this.redact(`${this.err.red("error:")} ${e.message}`) + "\n");
    if (e.hint) this.stderr.write(this.redact(this.err.dim(`hint: ${e.hint}`)) + "\n");
    if (this.opts.debug && e.cause instanceof Error && e.cause.stack) this.stderr.write(this.redact(e.cause.stack) + "\n");
    if (this.opts.json) this.json({ ok: false, ...envelope, error: { code: e.code, message: e.message, ...(e.hint && { hint: e.hint }) }, ...e.details });
  }

  /**
   * Progress on stderr: a spinner when a person is watching a terminal that can draw one (stderr a
   * TTY with a usable width, not CI, not --json/--quiet), otherwise plain lines via `info`. ora is
   * loaded only when it will draw. Never able to outlive or block the work:
   * - a terminal that reports 0 columns (`script`, some `docker -t`/`kubectl exec -t`) made ora loop
   *   redrawing forever, so below MIN_SPINNER_COLUMNS there is no spinner, and a resize below it
   *   stops the one running;
   * - it leaves stdin alone (ora's default puts it in raw mode, where Ctrl-C is no longer a signal);
   * - `stopProgress()` runs on every way out: success, error, SIGINT, SIGTERM (see main.ts).
   */
  async spinner(text: string): Promise<Spinner> {
    const stream = this.stderr as NodeJS.WriteStream;
    if (!this.interactive("stderr")) {
      this.info(text);
      return { text: (s) => this.info(s), stop: () => {} };
    }
    const { default: ora } = await import("ora");
    const s = ora({ text: this.redact(text), stream, color: this.opts.color ? "cyan" : false, discardStdin: false }).start();
    const narrow = () => {
      if ((stream.columns ?? 0) < MIN_SPINNER_COLUMNS) stop();
    };
    const stop = () => {
      stream.off("resize", narrow);
      if (this.activeSpinner === stop) this.activeSpinner = undefined;
      if (s.isSpinning) s.stop();
    };
    stream.on("resize", narrow);
    this.activeSpinner = stop;
    return { text: (t) => void (s.isSpinning && (s.text = this.redact(t))), stop };
  }

  /**
   * Whether a person watches `which` on a terminal that can be drawn on in place: a TTY with a usable
   * width, not CI, not TERM=dumb, not --json (and, for stderr's progress, not --quiet). The spinner's
   * rule; `status --watch` redraws stdout under the same one.
   */
  interactive(which: "stderr" | "stdout"): boolean {
    const stream = (which === "stderr" ? this.stderr : this.stdout) as NodeJS.WriteStream;
    return Boolean(stream.isTTY) && (stream.columns ?? 0) >= MIN_SPINNER_COLUMNS && !process.env.CI && process.env.TERM !== "dumb" && !this.opts.json && (which === "stdout" || !this.opts.quiet);
  }

  /** The terminal's width of `which`, when it is one that can be drawn on (see `interactive`). */
  columns(which: "stderr" | "stdout"): number | undefined {
    return this.interactive(which) ? ((which === "stderr" ? this.stderr : this.stdout) as NodeJS.WriteStream).columns : undefined;
  }

  /** The terminal's height of stdout (for a redraw that must fit on the screen). */
  rows(): number | undefined {
    return (this.stdout as NodeJS.WriteStream).rows || undefined;
  }

  /**
   * stdout's width as the terminal reports it now, however narrow (a redraw must fit whatever the
   * width became, even below the spinner's minimum); undefined when stdout is not a terminal.
   */
  terminalColumns(): number | undefined {
    const stream = this.stdout as NodeJS.WriteStream;
    return stream.isTTY ? stream.columns || undefined : undefined;
  }

  /**
   * Call `listener` when stdout's terminal is resized (SIGWINCH: Node re-reads the size, then emits
   * `resize`). Returns the unsubscribe.
   */
  onResize(listener: () => void): () => void {
    const stream = this.stdout as NodeJS.WriteStream;
    if (!stream.isTTY || typeof stream.on !== "function") return () => {};
    stream.on("resize", listener);
    return () => void stream.off("resize", listener);
  }

  /**
   * Replace the block of lines this last drew on stdout with `lines` (each must fit the width: a
   * wrapped line would throw the count off). Only where `interactive("stdout")`.
   */
  redraw(lines: string[]): void {
    if (this.stdoutClosed) return;
    const up = this.drawn > 0 ? `\u001b[${this.drawn}F\u001b[0J` : "";
    this.stdout.write(up + this.redact(lines.join("\n")) + "\n");
    this.drawn = lines.length;
  }

  /**
   * Draw `lines` on a cleared screen, from its top. After a resize the block drawn before has been
   * wrapped or reflowed by the terminal into rows no one can count, so moving up "the lines drawn"
   * would land in the wrong place and leave copies behind: start over instead.
   */
  repaint(lines: string[]): void {
    if (this.stdoutClosed) return;
    this.stdout.write(`\u001b[H\u001b[2J${this.redact(lines.join("\n"))}\n`);
    this.drawn = lines.length;
  }

  /** The next `redraw` starts below what is on the screen now (a note was printed under the block). */
  keepDrawing(): void {
    this.drawn = 0;
  }

  private drawn = 0;

  /** Stop any spinner now, clearing its line and showing the cursor again. */
  stopProgress(): void {
    this.activeSpinner?.();
  }

  private activeSpinner: (() => void) | undefined;
}

/** Narrower than this, a spinner's line wraps on every frame; at 0, ora never finishes a redraw. */
const MIN_SPINNER_COLUMNS = 20;

function forcedLevel(): 0 | 1 | 2 | 3 | undefined {
  const f = process.env.FORCE_COLOR;
  if (f === undefined || f === "") return undefined;
  if (f === "0" || f === "false") return 0;
  const n = Number(f);
  return n === 2 || n === 3 ? n : 1;
}

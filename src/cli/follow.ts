/**
 * Following a run in the CLI: `--wait` after a send, and `status --watch`. Opens where runs are read
 * from (before anything is sent: a --wait that cannot read the run must fail before it sends), shows
 * progress while the run works, and turns the end into the command's result or its error:
 *
 *   succeeded      exit 0    (--json: the document with `run`)
 *   failed         exit 1    RUN_FAILED, the failures listed
 *   timeout        exit 124  WAIT_TIMEOUT, what was still pending; the work goes on
 *   not picked up  exit 75   NOT_PICKED_UP, the likely causes and how to check
 *   Ctrl-C         exit 130  INTERRUPTED (main.ts), how to follow the run with `status`
 *
 * Progress: `--wait` draws one line on stderr (the spinner's rules: a terminal of usable width, not CI,
 * not --json/--quiet), else prints a progress line when it changes: at once when the run is picked up or
 * an item starts failing or fails, otherwise at most every 10 s. `status --watch`
 * redraws the status block on stdout where stdout is such a terminal, else prints a line per change.
 * Loaded lazily: the plain send path never loads it.
 */
import { DEV_SERVER_URL, inngestMode, type Env } from "../config/env.js";
import type { CliContext } from "./context.js";
import { CliError, EXIT, toCliError } from "./errors.js";
import { waitSettings, type FollowSettings, type WaitCommandOptions } from "./duration.js";
import { cut, duration, failureLines, pendingText, progressLine, statusLines, when } from "./run-view.js";
import { openRunSource, type RunSource } from "../runs/source.js";
import type { Expectation } from "../runs/expectations.js";
import type { RunState } from "../runs/state.js";
import { engineReason, waitForRun, type Sent, type WaitResult } from "../runs/wait.js";

export type { FollowSettings };

/** The wait options as numbers; undefined when the command does not wait (no --wait, no --wait-timeout). */
export function followSettings(o: WaitCommandOptions, always = false): FollowSettings | undefined {
  const settings = waitSettings(o);
  return always || o.wait || o.waitTimeout !== undefined ? settings : undefined;
}

/** Where runs are read from, opened, and the store's latest activity now (the pick-up check's baseline). */
export async function openFollow(ctx: CliContext): Promise<{ source: RunSource; baseline: string | null }> {
  const source = await openRunSource(ctx.env!, { cwd: ctx.cwd });
  try {
    const baseline = await source.lastActivity();
    ctx.out.debug(`runs are read from the ${source.where}`);
    return { source, baseline };
  } catch (err) {
    await source.close();
    throw err;
  }
}

export interface FollowOptions {
  command: string;
  source: RunSource;
  baseline: string | null;
  runId: string;
  settings: FollowSettings;
  /** --wait: what was sent. */
  expected?: readonly Expectation[];
  /** --wait: the events sent with their internal ids, to ask the engine about what the store never shows. */
  sent?: readonly Sent[];
  mode: "wait" | "watch";
  /** Fields of the result document besides `run` (the send's: target, events, ids…). */
  base: Record<string, unknown>;
}

/** Follow until the run ends; print the result, or throw the error that says how it ended. */
export async function follow(ctx: CliContext, o: FollowOptions): Promise<RunState> {
  const { out } = ctx;
  let last: RunState | undefined;
  const stopHint = `follow it with: ayida-jobs status ${o.runId} --watch`;
  ctx.describeInterruption = () => ({
    message: `stopped ${o.mode === "wait" ? "waiting for" : "watching"} run ${o.runId}; the work goes on${last ? ` (${last.state}: ${last.done ? "done" : pendingText(last)})` : ""}`,
    hint: stopHint,
    details: { ...o.base, ...(last && { run: last }) },
  });
  const show = await progress(ctx, o);
  const engine = o.sent?.length ? await engineAsker(ctx) : undefined;
  let result: WaitResult;
  try {
    result = await waitForRun({
      source: o.source,
      runId: o.runId,
      ...(o.expected && { expected: o.expected }),
      baseline: o.baseline,
      timeoutMs: o.settings.timeoutMs,
      pickupMs: o.settings.pickupMs,
      pollMs: o.settings.pollMs ?? (o.source.kind === "server" ? 2000 : 1000),
      onState: (s) => {
        last = s;
        show.state(s);
      },
      ...(o.sent && { sent: o.sent }),
      askEngine: engine?.ask,
      onQueued: (s) => show.note(`run ${s.runId} is not picked up yet after ${duration(o.settings.pickupMs)}, but other work is moving: it is queued behind it; still waiting`),
      onEngine: (word, what) =>
        show.note(
          what === "going"
            ? `nothing of run ${o.runId} is in the store after ${duration(o.settings.pickupMs)}, but Inngest is running ${word.going} of the ${word.checked} function run(s) asked about: they are queued, or failing before they can write to the store (serve's log says why; \`ayida-jobs doctor\` checks the store); still waiting`
            : `Inngest ended the function runs of ${word.ended.length} event(s) this run sent, and the store never heard of them: counted as failed (${word.ended[0]!.error ?? word.ended[0]!.status})`,
        ),
      onReadError: (err) => show.note(`reading the run failed (${err.message}); trying again`),
    });
  } catch (err) {
    throw lostTrack(err, o, last, stopHint);
  } finally {
    show.stop();
  }
  last = result.state;
  const s = result.state;
  const details = { ...o.base, run: s };
  switch (result.outcome) {
    case "succeeded":
      show.final(s);
      if (out.opts.json) out.json({ ok: true, command: o.command, runId: o.runId, ...o.base, run: s });
      else if (o.mode === "wait") out.result(`run ${o.runId} succeeded in ${duration(s.durationMs)}: ${progressLine(s).split(" · ").slice(1, -1).join(" · ")}`);
      return s;
    case "failed": {
      show.final(s);
      const failed = s.totals.items.failed;
      const what = failed > 0 ? `${failed} item${failed === 1 ? "" : "s"} failed for good` : "a dataset's sync failed";
      throw new CliError(`run ${o.runId} failed: ${what}${failed > 0 ? `:\n${failureLines(s, 10).join("\n")}` : ""}`, {
        exitCode: EXIT.failed,
        code: "RUN_FAILED",
        hint: `see it with: ayida-jobs status ${o.runId}; re-request what failed with: ayida-jobs retry ${o.runId}`,
        details,
      });
    }
    case "timeout":
      throw new CliError(`run ${o.runId} is not done after ${duration(o.settings.timeoutMs ?? 0)} (--wait-timeout); still pending: ${pendingText(s)}`, {
        exitCode: EXIT.timeout,
        code: "WAIT_TIMEOUT",
        hint: `the work goes on (do not send it again); ${stopHint}`,
        details,
      });
    case "engine-failed": {
      // The store knows nothing of the run, and the engine ended its function runs: they failed
      // before anything could be recorded. Not the sync's fault: say what they failed on.
      const w = result.engine!;
      const reasons = [...new Set(w.ended.map((x) => x.error ?? x.status))];
      const lines = w.ended.slice(0, 10).map((x) => `  ${x.event.name} ${x.event.id}: ${engineReason(x)}`);
      const more = w.ended.length > 10 ? [`  … and ${w.ended.length - 10} more`] : [];
      throw new CliError(`run ${o.runId} failed: Inngest ran the functions for ${w.ended.length} of the ${w.checked} event(s) asked about, and they failed before the store could record anything: ${reasons.join("; ")}\n${[...lines, ...more].join("\n")}`, {
        exitCode: EXIT.failed,
        code: "RUN_FAILED",
        hint: `the app is synced and the functions ran; what they failed on is above (serve's log has the rest; \`ayida-jobs doctor\` checks that the store can be written). Once it is fixed, send again with a new --run-id`,
        details: { ...details, engine: { checked: w.checked, of: w.of, going: w.going, completed: w.completed, none: w.none, ended: w.ended.map((x) => ({ name: x.event.name, id: x.event.id, status: x.status, runId: x.runId, error: x.error })) } },
      });
    }
    case "not-picked-up":
      throw new CliError(`no function picked up run ${o.runId} within ${duration(o.settings.pickupMs)}, and nothing else ran meanwhile: ${o.mode === "wait" ? (result.engine ? `the events reached Inngest, but it started no function run for ${result.engine.none} of the ${result.engine.checked} asked about` : "the events reached Inngest, but no function is running them") : "the run id is not one this store knows, or no function is running it"}`, {
        exitCode: EXIT.notPickedUp,
        code: "NOT_PICKED_UP",
        hint:
          `likely the app is not synced with Inngest (an event sent before the app was synced never runs, and is not replayed), \`ayida-jobs serve\` is not running, or it writes to another store than this reads (${o.source.where}). ` +
          `Check that ${whereAppsAreListed(ctx.env!)} lists the app and its functions; \`ayida-jobs doctor\` checks it.` +
          (o.mode === "wait" ? " Once it does, send again with a new --run-id: Inngest keeps these event ids for 24 h and would drop a repeat." : ""),
        details,
      });
  }
}

/**
 * Following stopped on an error of its own (where runs are read from went away or refused us): the
 * error as it is, but its document still carries what was sent and the run as last read, and the hint
 * says first that the events were delivered — a CI step must not send them again.
 */
function lostTrack(err: unknown, o: FollowOptions, last: RunState | undefined, stopHint: string): CliError {
  const e = toCliError(err);
  const sent = o.mode === "wait" && Array.isArray(o.base.events) ? o.base.events.length : 0;
  const delivered = sent > 0 ? `the ${sent} event${sent === 1 ? " was" : "s were"} delivered (runId ${o.runId}): the work goes on; do not send ${sent === 1 ? "it" : "them"} again. ` : "";
  const hint = `${delivered}${e.hint ? `${e.hint}; ` : ""}${stopHint} once it answers`;
  return new CliError(e.message, { exitCode: e.exitCode, code: e.code, hint, details: { ...e.details, ...o.base, ...(last && { run: last }) }, cause: e.cause ?? err });
}

/**
 * How --wait asks the engine about what it sent (runs/engine-check.ts), or undefined when it cannot:
 * in cloud mode without INNGEST_SIGNING_KEY here (--debug says so).
 */
async function engineAsker(ctx: CliContext): Promise<{ ask: (events: readonly Sent[]) => Promise<import("../runs/engine-check.js").EngineWord> } | undefined> {
  const [{ openEngineRecord }, { askAboutSent }] = await Promise.all([import("../adapters/inngest/engine-record.js"), import("../runs/engine-check.js")]);
  const record = openEngineRecord(ctx.env!);
  if ("unavailable" in record) {
    ctx.out.debug(`--wait cannot ask Inngest what became of the events: ${record.unavailable}`);
    return undefined;
  }
  ctx.out.debug(`--wait asks Inngest's REST API at ${record.where} about the events it sent, if the store does not show them`);
  return { ask: (events) => askAboutSent(record, events) };
}

/** Where an operator sees the synced apps: the Dev Server this CLI sends to, or the Inngest dashboard. */
function whereAppsAreListed(env: Env): string {
  const { mode, devUrl } = inngestMode(env);
  if (mode === "dev") return `the Inngest Dev Server at ${devUrl ?? DEV_SERVER_URL} (Apps)`;
  return env.INNGEST_BASE_URL ? `your Inngest at ${env.INNGEST_BASE_URL} (Apps)` : "the Inngest dashboard (Apps)";
}

interface Progress {
  state(s: RunState): void;
  note(line: string): void;
  /** The last state, drawn for good (watch on a terminal), or printed once (watch elsewhere). */
  final(s: RunState): void;
  stop(): void;
}

/** How progress is shown, by mode and by what stderr/stdout are. */
async function progress(ctx: CliContext, o: FollowOptions): Promise<Progress> {
  const { out } = ctx;
  if (o.mode === "wait") {
    if (out.interactive("stderr")) {
      let spinner = await out.spinner(`waiting for run ${o.runId}…`);
      let paused = false;
      const width = () => (out.columns("stderr") ?? 80) - 3;
      return {
        state: (s) => {
          const text = cut(progressLine(s), width());
          if (!paused) return spinner.text(text);
          paused = false; // a note was printed: draw again below it
          void out.spinner(text).then((next) => (spinner = next));
        },
        note: (line) => {
          spinner.stop();
          paused = true;
          out.warn(line);
        },
        final: () => {},
        stop: () => spinner.stop(),
      };
    }
    let printed = "";
    let printedKey = "";
    let at = 0;
    return {
      state: (s) => {
        const line = progressLine(s);
        const counts = line.replace(/ · [^·]+$/, ""); // without the duration, which always moves
        // What someone reading a log must see at once: picked up, failing, failed, done.
        const key = `${s.state}|${s.totals.items.failing}|${s.totals.items.failed}|${s.awaiting?.length ?? 0}`;
        if (counts === printed || (key === printedKey && Date.now() - at < NON_TTY_PROGRESS_MS)) return;
        printed = counts;
        printedKey = key;
        at = Date.now();
        out.info(line);
      },
      note: (line) => out.warn(line),
      final: () => {},
      stop: () => {},
    };
  }
  // watch
  const live = out.interactive("stdout");
  const block = (s: RunState) => {
    // Read at every drawing: the terminal may have been resized since the last one.
    const width = out.terminalColumns() ?? 80;
    const rows = out.rows() ?? 40;
    const lines = [`${statusLines(s)[0]}  (as of ${when(s.asOf)}, every ${duration(o.settings.pollMs ?? (o.source.kind === "server" ? 2000 : 1000))}; Ctrl-C stops watching)`, ...statusLines(s).slice(1)];
    const fitted = lines.length > rows - 1 ? [...lines.slice(0, rows - 2), `… ${lines.length - rows + 2} more lines (ayida-jobs status ${o.runId})`] : lines;
    return fitted.map((l) => cut(l, Math.max(1, width - 1)));
  };
  if (live) {
    let last: RunState | undefined;
    const note = (line: string) => {
      out.warn(line);
      out.keepDrawing(); // the note stays; the status is drawn again below it
    };
    // Resized (SIGWINCH): drawn again at once, at the new width, on a cleared screen (see repaint).
    const stopResizing = out.onResize(() => last && out.repaint(block(last)));
    const draw = (s: RunState) => {
      last = s;
      out.redraw(block(s));
    };
    return { state: draw, note, final: draw, stop: stopResizing };
  }
  let printed = "";
  return {
    state: (s) => {
      if (out.opts.json) return;
      const line = `${s.state} · ${progressLine(s)}`;
      const key = line.replace(/ · [^·]+$/, "");
      if (key === printed) return;
      printed = key;
      out.result(`${when(s.asOf)} ${line}`);
    },
    note: (line) => out.warn(line),
    final: (s) => {
      if (!out.opts.json) for (const l of statusLines(s)) out.result(l);
    },
    stop: () => {},
  };
}

const NON_TTY_PROGRESS_MS = 10_000;

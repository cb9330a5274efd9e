/**
 * The sending half of every sending command: print what a dry run would send, or send through the
 * sender (send.ts, loaded lazily: validation and --dry-run never load the Inngest SDK) and report it.
 */
import { branchEnvironment, eventApiBaseUrl, inngestMode, requireEventKey, type Env } from "../config/env.js";
import type { SendableEvent } from "../contracts/schemas.js";
import { requireEnv, type CliContext } from "./context.js";
import { parseDuration, waitSettings, type WaitCommandOptions } from "./duration.js";
import { UsageError } from "./errors.js";

export interface Target {
  mode: "dev" | "cloud";
  /** The event endpoint, with the key masked. */
  url: string;
  eventKey: "set" | "not set";
  /** The Inngest branch environment, and which variable chose it. */
  branchEnv?: { name: string; from: string };
}

export function describeTarget(env: Env): Target {
  const branch = branchEnvironment();
  return {
    mode: inngestMode(env).mode,
    url: new URL("e/***", eventApiBaseUrl(env)).href,
    eventKey: env.INNGEST_EVENT_KEY ? "set" : "not set",
    ...(branch && { branchEnv: branch }),
  };
}

/** The business key of an event, for the result line: `bdns=123456`, `from=… to=…`. */
export function businessKey(e: SendableEvent): string {
  const d = e.data as Record<string, unknown>;
  const parts = ["bdns", "documentId", "from", "to", "full", "allowRemoval"].filter((k) => d[k] !== undefined).map((k) => `${k}=${String(d[k])}`);
  return parts.length ? parts.join(" ") : "window=default";
}

/** A sync's window as the function will resolve it: its days and the ≤ 7-day pieces it fans out to. */
export interface WindowSummary {
  from: string;
  to: string;
  days: number;
  pieces: number;
  /** Why these dates, when defaults chose them. */
  note?: string;
}

export interface EmitOptions {
  dryRun: boolean;
  timeout: string;
  window?: WindowSummary;
  /** --wait and its bounds: follow the run once sent (see follow.ts). */
  wait?: WaitCommandOptions;
  /** More fields for the result document (retry: retryOf, what it re-requests, what it skipped). */
  extra?: Record<string, unknown>;
}

export async function emit(ctx: CliContext, command: string, events: SendableEvent[], runId: string, opts: EmitOptions): Promise<void> {
  const { out } = ctx;
  const env = requireEnv(ctx);
  const wantsWait = Boolean(opts.wait && (opts.wait.wait || opts.wait.waitTimeout !== undefined));
  const timeoutMs = sendTimeout(opts.timeout, wantsWait);
  const settings = opts.wait && waitSettings(opts.wait); // checked before a dry run returns
  const extra = opts.extra ?? {};
  const target = describeTarget(env);
  ctx.state.runId = runId;
  ctx.state.target = { baseUrl: eventApiBaseUrl(env), mode: target.mode };
  if (target.branchEnv && target.branchEnv.from !== "INNGEST_ENV") {
    out.warn(`events go to Inngest branch environment "${target.branchEnv.name}" because ${target.branchEnv.from} is set; set INNGEST_ENV to choose explicitly`);
  }

  const { note, ...window } = opts.window ?? {};
  const windowField = opts.window && { window };
  if (opts.window) {
    const w = opts.window;
    const parts = [`${w.days} day${w.days === 1 ? "" : "s"}`, ...(w.pieces > 1 ? [`fanned out as ${w.pieces} pieces of at most 7 days`] : []), ...(note ? [note] : [])];
    out.info(`window: ${w.from} to ${w.to} (${parts.join(", ")})`);
  }

  if (opts.dryRun) {
    if (wantsWait) out.info("--wait: a dry run sends nothing, so there is nothing to wait for");
    if (out.opts.json) return out.json({ ok: true, command, dryRun: true, target, runId, ...windowField, ...extra, events, ids: [] });
    out.info(`dry run: nothing sent. Would send ${events.length} event(s) to ${target.url} (${target.mode} mode, event key ${target.eventKey}), runId ${runId}`);
    for (const e of events) out.result(JSON.stringify(e));
    return;
  }

  requireEventKey(env);
  // Until the first batch leaves, a signal stops a command that sent nothing (opening the store, a
  // server that hangs, loading the SDK): the document says so, and lists every event as unsent.
  ctx.describeInterruption = () => ({
    message: `nothing was sent (runId ${runId})`,
    hint: `run it again (the same --run-id ${runId} is fine)`,
    details: { events: [], ids: [], unsent: events },
  });
  // --wait reads the run from the store or a server: opened before anything is sent, so a --wait that
  // cannot read the run fails with nothing sent.
  const following = wantsWait ? await import("./follow.js") : undefined;
  const reader = following && (await following.openFollow(ctx));
  try {
    const { createSender } = await import("../send.js");
    const send = createSender({ env });
    const sentEvents: SendableEvent[] = [];
    const ids: string[] = [];
    ctx.describeInterruption = () => ({
      message: `${sentEvents.length} of ${events.length} events were sent (runId ${runId})`,
      hint: `re-run with the same --run-id ${runId} to send the rest: the events keep their ids and Inngest drops the ones it already has`,
      // The batch in flight when the signal came may have reached the event API.
      details: { events: sentEvents, ids, unsent: events.slice(sentEvents.length), ...(sentEvents.length < events.length && { unsentMayHaveArrived: true }) },
    });
    const spinner = await out.spinner(`sending ${events.length} event(s) to ${target.url}`);
    try {
      await send(events, {
        timeoutMs,
        onBatch: (r) => {
          sentEvents.push(...r.events);
          ids.push(...r.ids);
          if (r.batches > 1) spinner.text(`batch ${r.batch}/${r.batches}: ${r.events.length} events accepted (${sentEvents.length}/${events.length})`);
          // The runId on every line: under --quiet these lines are all a CI step gets.
          r.events.forEach((e, i) => out.result(`${out.out.green("sent")} ${e.name}  ${businessKey(e)}  runId=${runId}  id=${r.ids[i] ?? "?"}`));
        },
      });
    } finally {
      spinner.stop();
    }
    if (!following || !reader || !settings) {
      if (out.opts.json) return out.json({ ok: true, command, dryRun: false, target, runId, ...windowField, ...extra, events, ids });
      out.info(`${events.length} event(s) sent, runId ${runId}`);
      return;
    }
    out.info(`${events.length} event(s) sent, runId ${runId}; waiting for the run (${reader.source.where}); Ctrl-C stops waiting, not the work`);
    const [{ expectationsOf }, { datasetEventOf }] = await Promise.all([import("../runs/expectations.js"), import("../contracts/dataset-events.js")]);
    await following.follow(ctx, {
      command,
      source: reader.source,
      baseline: reader.baseline,
      runId,
      settings,
      expected: expectationsOf(events, datasetEventOf),
      sent: events.flatMap((e, i) => {
        const [owner] = expectationsOf([e], datasetEventOf);
        return owner && ids[i] ? [{ name: e.name, id: e.id, data: e.data, internalId: ids[i]!, dataset: owner.dataset, kind: owner.kind }] : [];
      }),
      mode: "wait",
      base: { dryRun: false, target, ...windowField, ...extra, events, ids },
    });
  } finally {
    await reader?.source.close();
  }
}

/** --timeout bounds the send (≤ 1 h); a longer value under --wait was meant for the wait. */
function sendTimeout(value: string, wantsWait: boolean): number {
  try {
    return parseDuration("--timeout", value);
  } catch (err) {
    if (wantsWait && err instanceof UsageError) {
      throw new UsageError(err.message, { hint: `--timeout bounds only the send; to bound the wait, use --wait-timeout ${value} (it implies --wait)` });
    }
    throw err;
  }
}

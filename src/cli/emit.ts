/**
 * The sending half of every sending command: print what a dry run would send, or send through the
 * InngestService (loaded lazily: validation and --dry-run never load the Inngest SDK) and report it.
 */
import { branchEnvironment, eventApiBaseUrl, inngestMode, requireEventKey, type Env } from "../config/env.js";
import type { SendableEvent } from "../contracts/schemas.js";
import { requireEnv, type CliContext } from "./context.js";
import { parseDuration } from "./duration.js";

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
  const parts = ["bdns", "documentId", "from", "to", "full"].filter((k) => d[k] !== undefined).map((k) => `${k}=${String(d[k])}`);
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

export async function emit(ctx: CliContext, command: string, events: SendableEvent[], runId: string, opts: { dryRun: boolean; timeout: string; window?: WindowSummary }): Promise<void> {
  const { out } = ctx;
  const env = requireEnv(ctx);
  const timeoutMs = parseDuration("--timeout", opts.timeout);
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
    if (out.opts.json) return out.json({ ok: true, command, dryRun: true, target, runId, ...windowField, events, ids: [] });
    out.info(`dry run: nothing sent. Would send ${events.length} event(s) to ${target.url} (${target.mode} mode, event key ${target.eventKey}), runId ${runId}`);
    for (const e of events) out.result(JSON.stringify(e));
    return;
  }

  requireEventKey(env);
  const { createInngestService } = await import("../service.js");
  const service = createInngestService({ env });
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
    await service.send(events, {
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
  if (out.opts.json) return out.json({ ok: true, command, dryRun: false, target, runId, ...windowField, events, ids });
  out.info(`${events.length} event(s) sent, runId ${runId}`);
}

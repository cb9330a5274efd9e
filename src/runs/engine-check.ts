/**
 * What `--wait` alone can ask: what became of the events it sent that the store has not shown. The
 * store only knows what a function recorded; when nothing was recorded — the app not synced, serve
 * down when the run was attempted, or every attempt failing before it could write (a store that
 * cannot be written) — only the engine knows, and only the sender knows which events to ask about
 * (it holds their internal ids from the send). Serve's reconcile covers everything the store knows
 * (functions/reconcile.ts); this covers the rest.
 *
 * Each event is asked by its internal id; one with no run is looked for again by its own id among the
 * events of its name received in the 24 h before (a re-sent request with the same --run-id is a second
 * copy Inngest starts nothing for: the first copy's runs are the ones).
 */
import { verdictOf, type EngineRecord, type Verdict } from "../adapters/inngest/engine-record.js";

export interface SentEvent {
  name: string;
  id: string;
  data: Record<string, unknown>;
  /** What the event API answered for it. */
  internalId: string;
}

export interface EngineWord {
  /** How many events were asked about, of how many. */
  checked: number;
  of: number;
  /** Every run ended, none completed: with the engine's reason. */
  ended: Array<{ event: SentEvent; status: "failed" | "cancelled"; runId: string; error: string | null }>;
  /** A run scheduled, running or between attempts. */
  going: number;
  completed: number;
  /** No run at all, for any copy. */
  none: number;
}

/** At most this many events asked about at once (a spread of them): enough to say what is going on. */
export const MAX_ASKED = 50;
const EARLIER_COPY_MS = 24 * 3_600_000;
const EARLIER_COPY_PAGES = 3;

export async function askAboutSent(record: EngineRecord, events: readonly SentEvent[], now: Date = new Date()): Promise<EngineWord> {
  const step = Math.max(1, Math.ceil(events.length / MAX_ASKED));
  const asked = events.filter((_, i) => i % step === 0).slice(0, MAX_ASKED);
  const word: EngineWord = { checked: asked.length, of: events.length, ended: [], going: 0, completed: 0, none: 0 };
  for (const event of asked) {
    const v = await verdictFor(record, event, now);
    if (v.kind === "ended") word.ended.push({ event, status: v.status, runId: v.runId, error: v.error });
    else if (v.kind === "going") word.going++;
    else if (v.kind === "completed") word.completed++;
    else word.none++;
  }
  return word;
}

async function verdictFor(record: EngineRecord, event: SentEvent, now: Date): Promise<Verdict> {
  const runs = await record.runsOf(event.internalId);
  if (runs.length > 0) return verdictOf(runs);
  const after = new Date(now.getTime() - EARLIER_COPY_MS).toISOString();
  let cursor: string | undefined;
  for (let page = 0; page < EARLIER_COPY_PAGES; page++) {
    const found = await record.events({ name: event.name, after, before: now.toISOString(), ...(cursor && { cursor }) });
    for (const copy of found) {
      if (copy.id !== event.id || copy.internalId === event.internalId) continue;
      const earlier = await record.runsOf(copy.internalId);
      if (earlier.length > 0) return verdictOf(earlier);
    }
    if (found.length === 0) break;
    cursor = found.at(-1)!.internalId;
  }
  return { kind: "none" };
}

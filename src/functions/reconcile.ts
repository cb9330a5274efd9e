/**
 * The store converges to what the engine knows. When Inngest ends a function run without our code
 * being able to say so — serve unreachable at the run's last attempt and at its failure handler
 * ("Unable to reach SDK URL") — the run's item would stay `queued` or `failing` for ever, and `--wait`,
 * `status --watch` and CI with it. So serve asks the engine's own record (Inngest's REST API,
 * adapters/inngest/engine-record.ts) about the work of runs that have stopped moving:
 *
 *   An unfinished run whose last activity (newest item change, row start or finish) is older than
 *   RECONCILE_AFTER (default 2 min) is looked at every RECONCILE_AFTER/4 (1–30 s). Each of its items
 *   still queued, or failing with no attempt due, and each sync row whose own work is not done
 *   (running, or `requested` by a `sync all`), is matched to the events that request it (by name,
 *   runId and the item's key, received from 6 h before it was filed to 10 min after) and the runs
 *   those events started:
 *   - every run ended as Failed or Cancelled → the item fails for good (ENGINE_FAILED /
 *     ENGINE_CANCELLED, with the engine's error), exactly as the failure handler would have recorded
 *     it (recordFailedRun: a sync function's row fails too);
 *   - no run at all, the event received more than RECONCILE_AFTER ago → NEVER_STARTED;
 *   - a run scheduled, running or between attempts, or completed → left alone (it will report);
 *   - no such event in the engine's record → left alone (logged once).
 *   Something asked about is asked again after RECONCILE_AFTER, then twice as long each time (≤ 1 h).
 *
 * Why inside serve and not an Inngest function: the case to cover is exactly the engine failing to
 * reach serve; a timer in serve keeps working then, and it costs nothing while runs move (a run that
 * moves is never asked about; a quiet one is a handful of lookups). Several instances may each ask:
 * what they record is idempotent (an item fails once, is counted once, and never over an outcome a
 * function wrote meanwhile).
 */
import type { Logger } from "../config/logger.js";
import type { EngineEvent, EngineRecord, Verdict } from "../adapters/inngest/engine-record.js";
import { verdictOf } from "../adapters/inngest/engine-record.js";
import type { Store, WorkItem } from "../adapters/store/store.js";
import { quietRuns, type StuckItem, type StuckRow } from "../adapters/store/stuck-work.js";
import { recordFailedRun } from "./errors.js";
import { eventNamesFor, syncEventName, workOfEvent, type EventWork } from "./event-items.js";

export interface ReconcileOptions {
  /** RECONCILE_AFTER: how long a run may sit still before its work is asked about. */
  afterMs: number;
  /** At most this many things asked about per pass. */
  limit?: number;
  /** At most this many pages of events read per pass. */
  pages?: number;
  now?: () => Date;
}

export interface PassResult {
  /** Things matched to events and asked about. */
  asked: number;
  /** Failed for good from the engine's word, by failure code. */
  recorded: Array<{ runId: string; dataset: string; kind: string; item: string; failure: string; reason: string }>;
  /** Still going on the engine, or completed there. */
  going: number;
  /** No event found for them in the engine's record. */
  unknown: number;
}

/** From 6 h before an item was filed (a request waits in a throttle's queue) to 10 min after (clocks). */
const BEFORE_MS = 6 * 3_600_000;
const AFTER_MS = 10 * 60_000;
const MAX_BACKOFF_MS = 3_600_000;

interface Wanted {
  key: string;
  runId: string;
  names: string[];
  /** When it was filed (items) or started (rows): the events are looked for around it. */
  at: string;
  matches(e: EngineEvent): boolean;
  /** What a failure is recorded as: from the event found (as its function would have). */
  work(e: EngineEvent): EventWork;
  describe: { dataset: string; kind: string; item: string };
}

export class Reconciler {
  private asked = new Map<string, { at: number; times: number }>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly store: () => Promise<Store>,
    private readonly record: EngineRecord,
    private readonly logger: Logger,
    private readonly o: ReconcileOptions,
  ) {}

  /** Between passes: a quarter of RECONCILE_AFTER, 1–30 s. */
  get intervalMs(): number {
    return Math.min(30_000, Math.max(1000, Math.round(this.o.afterMs / 4)));
  }

  start(): void {
    const next = () => {
      if (this.stopped) return;
      // ±10 %: a fleet's instances started together do not ask together.
      this.timer = setTimeout(() => {
        this.running = this.pass()
          .catch((err: unknown) => this.logger.warn({ err }, "reconcile: a pass failed; trying again at the next one"))
          .finally(next);
      }, this.intervalMs * (0.9 + Math.random() * 0.2));
      this.timer.unref();
    };
    next();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One look at the quiet runs; what it recorded. */
  async pass(): Promise<PassResult> {
    const now = (this.o.now ?? (() => new Date()))();
    const cutoff = new Date(now.getTime() - this.o.afterMs).toISOString();
    const store = await this.store();
    const result: PassResult = { asked: 0, recorded: [], going: 0, unknown: 0 };
    const wanted: Wanted[] = [];
    for (const run of await quietRuns(store.db, { cutoff, limit: this.o.limit ?? 200 })) {
      for (const row of run.rows) wanted.push(rowWanted(row));
      for (const item of run.items) if (item.kind !== "record") wanted.push(itemWanted(item));
    }
    const due = wanted.filter((w) => this.due(w.key, now.getTime()));
    if (due.length === 0) return result;

    const found = await this.find(due, now);
    for (const w of due) {
      this.mark(w.key, now.getTime());
      const events = found.get(w.key) ?? [];
      if (events.length === 0) {
        result.unknown++;
        this.logger.debug({ runId: w.runId, ...w.describe }, "reconcile: no event for it in Inngest's record");
        continue;
      }
      result.asked++;
      const runs = (await Promise.all(events.map((e) => this.record.runsOf(e.internalId)))).flat();
      const outcome = failureOf(verdictOf(runs), events, cutoff);
      if (!outcome) {
        result.going++;
        continue;
      }
      const event = events[0]!;
      const data = event.data as { runId: string; retryOf?: string };
      await recordFailedRun(store, data, w.work(event), { ...outcome, onlyIfUnsettled: true });
      result.recorded.push({ runId: w.runId, ...w.describe, ...outcome });
      this.logger.warn({ runId: w.runId, ...w.describe, failure: outcome.failure, reason: outcome.reason }, "reconcile: the engine ended this work without the store hearing of it; recorded as failed");
    }
    return result;
  }

  /** The events each wanted thing was requested by: per run and event name, pages newest first. */
  private async find(wanted: Wanted[], now: Date): Promise<Map<string, EngineEvent[]>> {
    const found = new Map<string, EngineEvent[]>();
    const groups = new Map<string, { name: string; wanted: Wanted[] }>();
    for (const w of wanted) {
      for (const name of w.names) {
        const k = `${w.runId}\u0000${name}`;
        const g = groups.get(k) ?? { name, wanted: [] };
        g.wanted.push(w);
        groups.set(k, g);
      }
    }
    let pages = this.o.pages ?? 50;
    for (const g of groups.values()) {
      const times = g.wanted.map((w) => Date.parse(w.at));
      const after = new Date(Math.min(...times) - BEFORE_MS).toISOString();
      const before = new Date(Math.min(now.getTime(), Math.max(...times) + AFTER_MS)).toISOString();
      let cursor: string | undefined;
      const open = new Set(g.wanted.filter((w) => !found.has(w.key)));
      while (open.size > 0 && pages-- > 0) {
        const page = await this.record.events({ name: g.name, after, before, ...(cursor && { cursor }) });
        for (const e of page) {
          for (const w of g.wanted) {
            if (!w.matches(e)) continue;
            found.set(w.key, [...(found.get(w.key) ?? []), e]);
            open.delete(w);
          }
        }
        if (page.length === 0) break;
        cursor = page.at(-1)!.internalId;
      }
    }
    return found;
  }

  private due(key: string, now: number): boolean {
    const a = this.asked.get(key);
    return !a || now - a.at >= Math.min(MAX_BACKOFF_MS, this.o.afterMs * 2 ** (a.times - 1));
  }

  private mark(key: string, now: number): void {
    const a = this.asked.get(key);
    this.asked.set(key, { at: now, times: (a?.times ?? 0) + 1 });
    if (this.asked.size > 100_000) for (const [k, v] of this.asked) if (now - v.at > 24 * 3_600_000) this.asked.delete(k);
  }
}

/** The failure to record for what the engine says, or undefined while it is not over. */
function failureOf(v: Verdict, events: readonly EngineEvent[], cutoff: string): { failure: string; reason: string } | undefined {
  if (v.kind === "ended" && v.status === "failed") {
    return { failure: "ENGINE_FAILED", reason: `Inngest ended its function run ${v.runId} as failed${v.error ? ` (${v.error})` : ""}, and nothing of serve's could record it then` };
  }
  if (v.kind === "ended") return { failure: "ENGINE_CANCELLED", reason: `Inngest cancelled its function run ${v.runId}` };
  const received = events.map((e) => e.receivedAt).sort()[0] ?? "";
  if (v.kind === "none" && received && received < cutoff) {
    return { failure: "NEVER_STARTED", reason: `Inngest received the event at ${received} but started no function run for it (was the app synced, with this function?)` };
  }
  return undefined;
}

const keyOf = (runId: string, dataset: string, kind: string, item: string) => `${runId}\u0000${dataset}\u0000${kind}\u0000${item}`;

function itemWanted(i: StuckItem): Wanted {
  const same = (it: WorkItem | undefined) => it !== undefined && (it.dataset ?? "convocatorias") === i.dataset && it.kind === i.kind && it.key === i.item;
  return {
    key: keyOf(i.runId, i.dataset, i.kind, i.item),
    runId: i.runId,
    names: eventNamesFor(i.dataset, i.kind),
    at: i.queuedAt ?? i.updatedAt,
    matches: (e) => e.data.runId === i.runId && same(workOfEvent(e.name, e.data as { runId: string })?.item),
    work: (e) => workOfEvent(e.name, e.data as { runId: string })!,
    describe: { dataset: i.dataset, kind: i.kind, item: i.item },
  };
}

function rowWanted(r: StuckRow): Wanted {
  const name = syncEventName(r.dataset);
  return {
    key: keyOf(r.runId, r.dataset, "row", ""),
    runId: r.runId,
    names: [name],
    at: r.startedAt,
    matches: (e) => e.name === name && e.data.runId === r.runId,
    // A dataset this version does not know (a newer sender's `sync all`) still fails as its sync request.
    work: (e) => workOfEvent(e.name, e.data as { runId: string }) ?? { item: { dataset: r.dataset, kind: "sync", key: "" }, runKind: "sync" },
    describe: { dataset: r.dataset, kind: "sync", item: r.status },
  };
}

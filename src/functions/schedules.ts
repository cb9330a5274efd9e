/**
 * Scheduled syncs: one Inngest cron function per schedule the environment sets (SCHEDULE_<DATASET>,
 * see config/schedules.ts; none by default). At each tick it sends exactly what
 * `ayida-jobs sync <dataset>` sends — `<dataset>/sync.requested`, built by the contracts' builders,
 * with the default window for windowed datasets (the 7 days ending the day before the tick) — so the
 * scheduled work is the same work, recorded and followed the same way.
 *
 * The runId comes from the tick (`scheduled-<dataset>-<YYYYMMDDTHHmmZ>`): a re-run of the same tick
 * sends the same event id, and Inngest drops the repeat.
 */
import { cron } from "inngest";
import type { AyidaInngest } from "../config/client.js";
import type { Schedule } from "../config/schedules.js";
import { newRunContext } from "../contracts/build.js";
import { buildSyncRequests } from "../contracts/sync-requests.js";
import { toSdkEvent } from "../contracts/events.js";

export const scheduleFunctionId = (dataset: string) => `schedule-${dataset}`;

/** The runId of a tick: the dataset and the scheduled minute, UTC. */
export function scheduledRunId(dataset: string, at: Date): string {
  return `scheduled-${dataset}-${at.toISOString().slice(0, 16).replace(/[-:]/g, "")}Z`;
}

export function createScheduleFunctions(inngest: AyidaInngest, schedules: readonly Schedule[]) {
  return schedules.map((s) =>
    inngest.createFunction(
      { id: scheduleFunctionId(s.dataset), name: `schedule: sync ${s.dataset} (${s.cron})`, triggers: [cron(s.cron)], retries: 3 },
      async ({ event, step }) => {
        // The tick's time (the scheduled event's ts), kept in a step so every replay sees the same.
        const at = await step.run("tick", () => new Date(typeof event.ts === "number" ? event.ts : Date.now()).toISOString());
        const run = newRunContext({ runId: scheduledRunId(s.dataset, new Date(at)), now: new Date(at) });
        const events = buildSyncRequests({ dataset: s.dataset }, run, new Date(at));
        const { ids } = await step.sendEvent("request-sync", events.map(toSdkEvent));
        return { dataset: s.dataset, schedule: s.cron, runId: run.runId, events: events.map((e) => ({ name: e.name, id: e.id })), ids };
      },
    ),
  );
}

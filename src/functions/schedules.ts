/**
 * Scheduled syncs: one Inngest cron function per schedule the environment sets (SCHEDULE_<DATASET>,
 * see config/schedules.ts; none by default). At each tick it sends exactly what
 * `ayida-jobs sync <dataset>` sends — `<dataset>/sync.requested`, built by the contracts' builders,
 * with the default window for windowed datasets (the 7 days ending the day before the tick) — so the
 * scheduled work is the same work, recorded and followed the same way.
 *
 * The runId comes from the tick (`scheduled-<dataset>-<YYYYMMDDTHHmmZ>`): a re-run of the same tick
 * sends the same event id, and Inngest drops the repeat. But an event id is one engine's: two engines
 * whose apps share one database (staging and production pointed at one DATABASE_URL by mistake, a
 * migration between Inngest environments) would each run the tick. So the tick is claimed first in
 * the store the sync writes to (Store.once, keyed by the tick's runId): the first engine run to claim
 * it sends; another engine's run finds the claim and sends nothing; the claiming run retried by its
 * own engine finds its own claim and sends again (the same id, dropped by Inngest if it arrived).
 */
import { cron } from "inngest";
import type { AyidaInngest } from "../config/client.js";
import type { Schedule } from "../config/schedules.js";
import { newRunContext } from "../contracts/build.js";
import { buildSyncRequests } from "../contracts/sync-requests.js";
import { toSdkEvent } from "../contracts/events.js";
import type { JobDeps } from "./deps.js";

export const scheduleFunctionId = (dataset: string) => `schedule-${dataset}`;

/** The runId of a tick: the dataset and the scheduled minute, UTC. */
export function scheduledRunId(dataset: string, at: Date): string {
  return `scheduled-${dataset}-${at.toISOString().slice(0, 16).replace(/[-:]/g, "")}Z`;
}

export function createScheduleFunctions(inngest: AyidaInngest, schedules: readonly Schedule[], deps: Pick<JobDeps, "store" | "logger">) {
  return schedules.map((s) =>
    inngest.createFunction(
      { id: scheduleFunctionId(s.dataset), name: `schedule: sync ${s.dataset} (${s.cron})`, triggers: [cron(s.cron)], retries: 3 },
      async ({ event, step, runId: engineRunId }) => {
        // The tick's time (the scheduled event's ts), kept in a step so every replay sees the same.
        const at = await step.run("tick", () => new Date(typeof event.ts === "number" ? event.ts : Date.now()).toISOString());
        const run = newRunContext({ runId: scheduledRunId(s.dataset, new Date(at)), now: new Date(at) });
        const claim = await step.run("claim", async () => (await deps.store()).once(run.runId, s.dataset, "schedule tick", async () => ({ engineRunId, at })));
        if (claim.engineRunId !== engineRunId) {
          const skipped = `tick ${at} already claimed by engine run ${claim.engineRunId}: another engine shares this database and runs this schedule; nothing sent`;
          deps.logger.warn({ jobName: scheduleFunctionId(s.dataset), runId: run.runId, inngestRunId: engineRunId, claimedBy: claim.engineRunId }, `schedule: ${skipped}`);
          return { dataset: s.dataset, schedule: s.cron, runId: run.runId, skipped };
        }
        const events = buildSyncRequests({ dataset: s.dataset }, run, new Date(at));
        const { ids } = await step.sendEvent("request-sync", events.map(toSdkEvent));
        return { dataset: s.dataset, schedule: s.cron, runId: run.runId, events: events.map((e) => ({ name: e.name, id: e.id })), ids };
      },
    ),
  );
}

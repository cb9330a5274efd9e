/**
 * The --json documents, as schemas: what CI pipelines can rely on. Fields are only ever added.
 * (Not used at run time; tests parse real output with them, and the library exports them.)
 */
import * as z from "zod/mini";

const event = z.object({ name: z.string(), data: z.record(z.string(), z.unknown()), id: z.string() });

export const sendResultSchema = z.object({
  ok: z.literal(true),
  command: z.enum(["sync", "detail", "document"]),
  dryRun: z.boolean(),
  target: z.object({
    mode: z.enum(["dev", "cloud"]),
    url: z.string(),
    eventKey: z.enum(["set", "not set"]),
    branchEnv: z.optional(z.object({ name: z.string(), from: z.string() })),
  }),
  runId: z.string(),
  /** sync: the window as the function resolves it, and the ≤ 7-day pieces it fans out to. */
  window: z.optional(z.object({ from: z.string(), to: z.string(), days: z.number(), pieces: z.number() })),
  events: z.array(event),
  /** Inngest's ids for the events, in order; empty on a dry run. */
  ids: z.array(z.string()),
});

export const errorResultSchema = z.object({
  ok: z.literal(false),
  command: z.nullable(z.string()),
  runId: z.optional(z.string()),
  error: z.object({ code: z.string(), message: z.string(), hint: z.optional(z.string()) }),
  /** Invalid input: each rejected field, value and rule. */
  issues: z.optional(z.array(z.object({ field: z.string(), value: z.unknown(), rule: z.string() }))),
  /** Event API failure: what was sent before it (events, ids) and what was not (unsent). */
  events: z.optional(z.array(event)),
  ids: z.optional(z.array(z.string())),
  unsent: z.optional(z.array(event)),
  /** A request carrying the unsent events left and got no answer: they may have arrived after all. */
  unsentMayHaveArrived: z.optional(z.boolean()),
});

/** `ayida-jobs datasets --json`. */
export const datasetsResultSchema = z.object({
  ok: z.literal(true),
  command: z.literal("datasets"),
  datasets: z.array(
    z.object({
      name: z.string(),
      title: z.string(),
      summary: z.string(),
      event: z.string(),
      strategy: z.enum(["full", "windowed"]),
      window: z.nullable(z.string()),
      floor: z.nullable(z.string()),
      endpoints: z.array(z.string()),
      tables: z.array(z.object({ name: z.string(), key: z.array(z.string()) })),
      volume: z.string(),
      route: z.string(),
      /** Its schedule on serve (SCHEDULE_<DATASET>): the cron as Inngest receives it and the next tick, or null (off). */
      schedule: z.object({ variable: z.string(), cron: z.nullable(z.string()), next: z.nullable(z.string()) }),
    }),
  ),
});

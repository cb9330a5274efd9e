/**
 * The --json documents, as schemas: what CI pipelines can rely on. Fields are only ever added.
 * (Not used at run time; tests parse real output with them, and the library exports them.)
 */
import * as z from "zod/mini";

const event = z.object({ name: z.string(), data: z.record(z.string(), z.unknown()), id: z.string() });

// --- runs (src/runs/state.ts): `status`, `runs`, `--wait`, and serve's GET /api/runs ------------------

const runStateName = z.enum(["pending", "running", "succeeded", "failed"]);
const itemCounts = z.object({ queued: z.number(), failing: z.number(), stored: z.number(), unchanged: z.number(), failed: z.number(), total: z.number() });
const counters = z.object({
  listed: z.number(),
  fetched: z.number(),
  queued: z.number(),
  new: z.number(),
  changed: z.number(),
  unchanged: z.number(),
  removed: z.number(),
  failed: z.number(),
  documentsStored: z.number(),
  /** Rows a completed fetch no longer returned but did not mark removed (the removal rule held them back). */
  removalsHeld: z.number(),
});
const nullableText = z.nullable(z.string());
const datasetState = z.object({
  dataset: z.string(),
  kind: nullableText,
  status: nullableText,
  state: runStateName,
  done: z.boolean(),
  window: z.nullable(z.object({ from: z.string(), to: z.string() })),
  startedAt: nullableText,
  finishedAt: nullableText,
  pieces: z.object({ total: z.number(), done: z.number() }),
  counters,
  items: itemCounts,
  itemsByKind: z.record(z.string(), itemCounts),
  failing: z.object({ count: z.number(), maxAttempt: z.nullable(z.number()), maxAttempts: z.nullable(z.number()), nextAttemptAt: nullableText }),
});

/** A run in brief (`runs`, GET /api/runs): its state, each dataset, the totals. */
export const runSummarySchema = z.object({
  runId: z.string(),
  state: runStateName,
  done: z.boolean(),
  retryOf: nullableText,
  retries: z.array(z.string()),
  startedAt: nullableText,
  finishedAt: nullableText,
  durationMs: z.nullable(z.number()),
  asOf: z.string(),
  datasets: z.array(datasetState),
  totals: z.object({ pieces: z.object({ total: z.number(), done: z.number() }), counters, items: itemCounts }),
  /** What an operator should know though nothing failed (removals held back, and how to force them). */
  warnings: z.array(z.string()),
});

/** A run whole (`status`, `--wait`, GET /api/runs/:runId): also what failed for good and what is failing now. */
export const runStateSchema = z.extend(runSummarySchema, {
  failing: z.array(
    z.object({ dataset: z.string(), kind: z.string(), item: z.string(), attempt: z.number(), maxAttempts: z.nullable(z.number()), failure: nullableText, reason: nullableText, nextAttemptAt: nullableText, updatedAt: z.string() }),
  ),
  failingOmitted: z.number(),
  failures: z.array(z.object({ dataset: z.string(), kind: z.string(), item: z.string(), bdns: nullableText, documentId: nullableText, failure: nullableText, reason: nullableText, at: z.string() })),
  failuresOmitted: z.number(),
  /** Scopes whose removal was held back: the unit, rows not marked removed, of how many, why. */
  heldRemovals: z.array(z.object({ dataset: z.string(), unit: z.string(), rows: z.number(), of: z.number(), reason: z.string(), message: z.string(), at: z.string() })),
  /** --wait only: what it sent that no function has picked up yet. */
  awaiting: z.optional(z.array(z.object({ dataset: z.string(), kind: z.enum(["sync", "piece", "detail", "document"]), expected: z.number(), seen: z.number() }))),
});

/** `ayida-jobs runs --json`. */
export const runsResultSchema = z.object({ ok: z.literal(true), command: z.literal("runs"), runs: z.array(runSummarySchema) });

/** `ayida-jobs status <runId> --json` (also at the end of --watch, when the run succeeded). */
export const statusResultSchema = z.object({ ok: z.literal(true), command: z.literal("status"), runId: z.string(), run: runStateSchema });

const retried = z.array(z.object({ dataset: z.string(), kind: z.string(), item: z.string(), event: z.string(), id: z.string() }));
const skipped = z.array(z.object({ dataset: z.string(), kind: z.string(), item: z.string(), reason: z.string() }));

export const sendResultSchema = z.object({
  ok: z.literal(true),
  command: z.enum(["sync", "detail", "document", "retry"]),
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
  /** --wait: the run as it ended (succeeded: a failed run is an error document with `run`). */
  run: z.optional(runStateSchema),
  /** retry: the run whose failures this re-requests, each item and the event that re-requests it, and what could not be. */
  retryOf: z.optional(z.string()),
  retried: z.optional(retried),
  skipped: z.optional(skipped),
});

export const errorResultSchema = z.object({
  ok: z.literal(false),
  command: z.nullable(z.string()),
  /** Absent before anything was sent: a run exists only once its events do. */
  runId: z.optional(z.string()),
  /** `retry` that sent nothing (RUN_NOT_FOUND, TOO_MANY, NOTHING_RETRIABLE): the run it was asked to retry. */
  retryOf: z.optional(z.string()),
  error: z.object({ code: z.string(), message: z.string(), hint: z.optional(z.string()) }),
  /** Invalid input: each rejected field, value and rule. */
  issues: z.optional(z.array(z.object({ field: z.string(), value: z.unknown(), rule: z.string() }))),
  /** Event API failure: what was sent before it (events, ids) and what was not (unsent). */
  events: z.optional(z.array(event)),
  ids: z.optional(z.array(z.string())),
  unsent: z.optional(z.array(event)),
  /** A request carrying the unsent events left and got no answer: they may have arrived after all. */
  unsentMayHaveArrived: z.optional(z.boolean()),
  /** --wait / status --watch that ended badly (RUN_FAILED, WAIT_TIMEOUT, NOT_PICKED_UP, INTERRUPTED): the run as last read. */
  run: z.optional(runStateSchema),
  /** --wait, RUN_FAILED with nothing in the store: what Inngest said of the events it sent (how many asked, and each run that ended). */
  engine: z.optional(
    z.object({
      checked: z.number(),
      of: z.number(),
      going: z.number(),
      completed: z.number(),
      none: z.number(),
      ended: z.array(z.object({ name: z.string(), id: z.string(), status: z.enum(["failed", "cancelled"]), runId: z.string(), error: nullableText })),
    }),
  ),
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

/** Everything a function test needs: loopback BDNS and event API, a temp SQLite file and documents folder. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { BdnsClient } from "../../src/adapters/bdns/client.js";
import { StartSpacer } from "../../src/adapters/bdns/limiter.js";
import type { DocumentStore } from "../../src/adapters/store/document-store.js";
import { FolderDocumentStore } from "../../src/adapters/store/documents.js";
import { Store } from "../../src/adapters/store/store.js";
import { createInngestClient } from "../../src/config/client.js";
import { parseEnv } from "../../src/config/env.js";
import { createFunctions } from "../../src/functions/index.js";
import type { JobDeps } from "../../src/functions/deps.js";
import { InngestTestEngine, mockCtx } from "@inngest/test";
import { startFakeBdns, type FakeBdns, type FakeConvocatoria } from "./bdns-server.js";
import type { DatasetsFixture } from "./bdns-datasets.js";
import { startFakeEventApi, type FakeEventApi } from "./event-api.js";

export interface JobsHarness {
  bdns: FakeBdns;
  events: FakeEventApi;
  store: Store;
  deps: JobDeps;
  dir: string;
  logs: Array<Record<string, unknown>>;
  fns: ReturnType<typeof createFunctions>;
  /** The function whose trigger is this event name. */
  fnFor(eventName: string): ReturnType<typeof createFunctions>[number];
  /**
   * Run one event through its function (as Inngest would, in-process with @inngest/test), then
   * every event that run and its successors sent to the event API, until none is left: a whole
   * fan-out, executed. Returns each run's event name, result and error, in order.
   */
  runAll(event: { name: string; data: Record<string, unknown> }, o?: { attempt?: number }): Promise<Array<{ name: string; data: Record<string, unknown>; result: unknown; error: unknown }>>;
  close(): Promise<void>;
}

export async function startJobsHarness(
  dataset: FakeConvocatoria[],
  o: { pageSize?: number; minGapMs?: number; rate?: number; datasets?: DatasetsFixture; databaseUrl?: string; documents?: DocumentStore; analyzeAfterRows?: number } = {},
): Promise<JobsHarness> {
  const bdns = await startFakeBdns({ dataset, ...(o.minGapMs && { minGapMs: o.minGapMs }), ...(o.datasets && { datasets: o.datasets }) });
  const events = await startFakeEventApi();
  const dir = mkdtempSync(join(tmpdir(), "ayida-jobs-"));
  const store = await Store.open(o.databaseUrl ?? join(dir, "ayida.db"));
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: "debug" }, new Writable({ write: (chunk, _e, done) => (logs.push(JSON.parse(String(chunk))), done()) }));
  const deps: JobDeps = {
    bdns: new BdnsClient({ baseUrl: bdns.url, spacer: new StartSpacer(o.rate ?? 500), backoffMs: 10, timeoutMs: 2000 }),
    store: async () => store,
    documents: o.documents ?? new FolderDocumentStore(join(dir, "documents")),
    logger,
    pageSize: o.pageSize ?? 10_000,
    ...(o.analyzeAfterRows !== undefined && { analyzeAfterRows: o.analyzeAfterRows }),
  };
  const client = createInngestClient(parseEnv({ INNGEST_DEV: events.url }), { logger });
  const fns = createFunctions(client, deps);
  const byEvent = new Map<string, (typeof fns)[number]>();
  for (const fn of fns) for (const t of (fn as unknown as { opts: { triggers: Array<{ event: string | { name: string } }> } }).opts.triggers) byEvent.set(typeof t.event === "string" ? t.event : t.event.name, fn);
  const fnFor = (name: string) => {
    const fn = byEvent.get(name);
    if (!fn) throw new Error(`no function is triggered by ${name}`);
    return fn;
  };
  return {
    bdns,
    events,
    store,
    deps,
    dir,
    logs,
    fns,
    fnFor,
    async runAll(first, ro = {}) {
      const runs: Array<{ name: string; data: Record<string, unknown>; result: unknown; error: unknown }> = [];
      let seen = events.events().length;
      const queue: Array<{ name: string; data: Record<string, unknown> }> = [first];
      while (queue.length > 0) {
        const event = queue.shift()!;
        const t = new InngestTestEngine({ function: fnFor(event.name) as never, events: [event] as never, transformCtx: (ctx) => ({ ...mockCtx(ctx), attempt: ro.attempt ?? 0 }) });
        const { result, error } = await t.execute();
        runs.push({ name: event.name, data: event.data, result, error });
        const sent = events.events();
        queue.push(...sent.slice(seen));
        seen = sent.length;
      }
      return runs;
    },
    async close() {
      await store.close();
      await bdns.close();
      await events.close();
    },
  };
}

/** Everything a function test needs: loopback BDNS and event API, a temp SQLite file and documents folder. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { BdnsClient } from "../../src/adapters/bdns/client.js";
import { StartSpacer } from "../../src/adapters/bdns/limiter.js";
import { DocumentStore } from "../../src/adapters/store/documents.js";
import { Store } from "../../src/adapters/store/store.js";
import { createInngestClient } from "../../src/config/client.js";
import { parseEnv } from "../../src/config/env.js";
import { createFunctions } from "../../src/functions/index.js";
import type { JobDeps } from "../../src/functions/deps.js";
import { startFakeBdns, type FakeBdns, type FakeConvocatoria } from "./bdns-server.js";
import { startFakeEventApi, type FakeEventApi } from "./event-api.js";

export interface JobsHarness {
  bdns: FakeBdns;
  events: FakeEventApi;
  store: Store;
  deps: JobDeps;
  dir: string;
  logs: Array<Record<string, unknown>>;
  fns: ReturnType<typeof createFunctions>;
  close(): Promise<void>;
}

export async function startJobsHarness(dataset: FakeConvocatoria[], o: { pageSize?: number; minGapMs?: number; rate?: number } = {}): Promise<JobsHarness> {
  const bdns = await startFakeBdns({ dataset, ...(o.minGapMs && { minGapMs: o.minGapMs }) });
  const events = await startFakeEventApi();
  const dir = mkdtempSync(join(tmpdir(), "ayida-jobs-"));
  const store = await Store.open(join(dir, "ayida.db"));
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: "debug" }, new Writable({ write: (chunk, _e, done) => (logs.push(JSON.parse(String(chunk))), done()) }));
  const deps: JobDeps = {
    bdns: new BdnsClient({ baseUrl: bdns.url, spacer: new StartSpacer(o.rate ?? 500), backoffMs: 10, timeoutMs: 2000 }),
    store: async () => store,
    documents: new DocumentStore(join(dir, "documents")),
    logger,
    pageSize: o.pageSize ?? 10_000,
  };
  const client = createInngestClient(parseEnv({ INNGEST_DEV: events.url }), { logger });
  return {
    bdns,
    events,
    store,
    deps,
    dir,
    logs,
    fns: createFunctions(client, deps),
    async close() {
      await store.close();
      await bdns.close();
      await events.close();
    },
  };
}

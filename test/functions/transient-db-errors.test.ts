/**
 * One transient database error inside a step must not count anything twice. Each step's writes and
 * its counters commit together, once: a step retried after a failure finds nothing half-done, and a
 * step run again after it committed (its answer to Inngest lost: a restart, a dropped connection)
 * returns what it committed without writing or counting again.
 *
 * The error is injected by a trigger on the real store: SQLSTATE 40001 (serialization_failure) on
 * PostgreSQL, from a trigger that fails once (a sequence, which no rollback undoes, says whether it
 * fired); SQLite's transient error is "database is locked", from a trigger the runner drops once it
 * fired. One on the `documentos` insert of one convocatoria's detail, one on the piece's `run_items`
 * insert when the piece completes — the two places a sync of 40 counted 80 queued, 40 new + 1
 * unchanged, and recorded the detail this run created as unchanged.
 */
import { InngestTestEngine, mockCtx } from "@inngest/test";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { makeDatasetsFixture } from "../support/bdns-datasets.js";
import { makeDataset } from "../support/bdns-server.js";
import { startJobsHarness, type JobsHarness } from "../support/jobs.js";
import { usePostgres } from "../support/postgres.js";

const pgServer = usePostgres();

const TS = "2026-11-28T10:00:00.000Z";
const FAULTY_DETAIL = "900003";

/**
 * Triggers that fail the first statement they match with a transient error, on this dialect: one on
 * the documents of `parent` (the convocatorias' `documentos`, or a dataset's `<table>_documentos`
 * by `parent_id`), one on a piece's run_items row.
 */
async function injectTransientErrors(h: JobsHarness, documents = { table: "documentos", parentColumn: "bdns", parent: FAULTY_DETAIL }): Promise<void> {
  const db = h.store.db;
  const { table, parentColumn, parent } = documents;
  if (h.store.dialect === "postgres") {
    await sql`CREATE SEQUENCE fault_documentos; CREATE SEQUENCE fault_piece`.execute(db);
    for (const [name, seq] of [["documentos", "fault_documentos"], ["piece", "fault_piece"]] as const) {
      await sql
        .raw(
          `CREATE FUNCTION fail_once_${name}() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             IF nextval('${seq}') = 1 THEN RAISE EXCEPTION 'could not serialize access due to concurrent update (injected: fault_${name})' USING ERRCODE = '40001'; END IF;
             RETURN NEW;
           END $$`,
        )
        .execute(db);
    }
    await sql.raw(`CREATE TRIGGER fault_documentos BEFORE INSERT ON ${table} FOR EACH ROW WHEN (NEW.${parentColumn} = '${parent}') EXECUTE FUNCTION fail_once_documentos()`).execute(db);
    await sql.raw(`CREATE TRIGGER fault_piece BEFORE INSERT ON run_items FOR EACH ROW WHEN (NEW.kind = 'piece') EXECUTE FUNCTION fail_once_piece()`).execute(db);
  } else {
    await sql.raw(`CREATE TRIGGER fault_documentos BEFORE INSERT ON ${table} WHEN NEW.${parentColumn} = '${parent}' BEGIN SELECT RAISE(ABORT, 'database is locked (injected: fault_documentos)'); END`).execute(db);
    await sql.raw(`CREATE TRIGGER fault_piece BEFORE INSERT ON run_items WHEN NEW.kind = 'piece' BEGIN SELECT RAISE(ABORT, 'database is locked (injected: fault_piece)'); END`).execute(db);
  }
}

/** SQLite's triggers cannot remember that they fired: the runner drops the one that did. */
async function afterFailure(h: JobsHarness, error: unknown): Promise<string | undefined> {
  const fired = /injected: (\w+)/.exec(String((error as Error | undefined)?.message ?? ""))?.[1];
  if (fired && h.store.dialect === "sqlite") await sql.raw(`DROP TRIGGER IF EXISTS ${fired}`).execute(h.store.db);
  return fired;
}

/**
 * Runs an event and everything it fans out the way Inngest does: a function run whose step failed is
 * run again with the steps that finished replayed from their recorded results (not run again), until
 * it succeeds, fails for good, or spends its attempts; an event id is delivered once.
 */
async function runToEnd(h: JobsHarness, first: { name: string; data: Record<string, unknown> }) {
  const delivered = new Set<string>();
  const queue = [first];
  const injected: string[] = [];
  let seen = h.events.events().length;
  while (queue.length > 0) {
    const event = queue.shift()!;
    let steps: Array<{ id: string; idIsHashed: true; handler: () => unknown }> = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const t = new InngestTestEngine({ function: h.fnFor(event.name) as never, events: [event] as never, steps, transformCtx: (ctx) => ({ ...mockCtx(ctx), attempt }) });
      const { error, state } = await t.execute();
      const sent = h.events.events();
      for (const e of sent.slice(seen)) {
        if (e.id && delivered.has(e.id)) continue;
        if (e.id) delivered.add(e.id);
        queue.push({ name: e.name, data: e.data });
      }
      seen = sent.length;
      if (!error) break;
      const fired = await afterFailure(h, error);
      if (fired) injected.push(fired);
      if ((error as Error).name === "NonRetriableError") break;
      // What Inngest keeps of this attempt: the results of the steps that finished.
      const finished = await Promise.all(Object.entries(state).map(async ([id, p]) => [id, await p.then((v) => ({ v }), () => undefined)] as const));
      steps = finished.filter(([, r]) => r !== undefined).map(([id, r]) => ({ id, idIsHashed: true as const, handler: () => r!.v }));
    }
  }
  return { injected };
}

/** Every function run again from its first step, as if no step's answer had reached Inngest. */
async function runAgainFromScratch(h: JobsHarness, events: Array<{ name: string; data: Record<string, unknown> }>) {
  for (const event of events) {
    const t = new InngestTestEngine({ function: h.fnFor(event.name) as never, events: [event] as never, transformCtx: (ctx) => ({ ...mockCtx(ctx), attempt: 1 }) });
    const { error } = await t.execute();
    expect(error, `${event.name} ${JSON.stringify(event.data)}`).toBeUndefined();
  }
}

describe.each(["postgres", "sqlite"] as const)("a transient database error inside a step, on %s", (dialect) => {
  it("a sync of 40 with one error storing a detail and one completing the piece: every counter exact, every item's outcome the first attempt's", async () => {
    const dataset = makeDataset(40, { firstDate: "2026-11-02", perDay: 8, docs: 1, light: true });
    const h = await startJobsHarness(dataset, { ...(dialect === "postgres" && { databaseUrl: await pgServer().createDatabase() }) });
    try {
      await injectTransientErrors(h);
      const { injected } = await runToEnd(h, { name: "convocatorias/sync.requested", data: { runId: "transient", timestamp: TS, from: "2026-11-02", to: "2026-11-06" } });
      expect(injected.sort(), "each error was injected once").toEqual(["fault_documentos", "fault_piece"]);

      expect(await h.store.getRun("transient")).toMatchObject({ status: "succeeded", pieces: 1, pieces_done: 1, listed: 40, queued: 40, new: 40, changed: 0, unchanged: 0, failed: 0, documents_stored: 40 });
      const items = await h.store.getItems("transient");
      const byKind = (kind: string) => items.filter((i) => i.kind === kind).map((i) => i.state);
      expect(byKind("piece")).toEqual(["stored"]);
      expect(byKind("detail")).toEqual(Array(40).fill("stored")); // created by this run: never "unchanged"
      expect(byKind("document")).toEqual(Array(40).fill("stored"));
      expect((await h.store.getItem("transient", { kind: "detail", key: FAULTY_DETAIL }))?.state).toBe("stored");
      // Each detail and document was fetched from BDNS as often as the failures required, and no more.
      expect(h.bdns.count("/convocatorias/busqueda")).toBe(1); // the listing page committed: re-run, it is not fetched again
      expect(h.bdns.count("/convocatorias")).toBe(40 + 1); // the detail whose step failed, once more
      expect(h.bdns.count("/convocatorias/documentos")).toBe(40);
    } finally {
      await h.close();
    }
  }, 60_000);

  it("a dataset (planes estratégicos) with one error storing a plan's detail and one completing its unit: counted once, the plan's item 'stored'", async () => {
    const fx = makeDatasetsFixture({ planes: { plans: 9 } });
    const h = await startJobsHarness([], { datasets: fx, pageSize: 10, ...(dialect === "postgres" && { databaseUrl: await pgServer().createDatabase() }) });
    try {
      const faulty = "3103"; // a plan with two documents, whose detail is a record (3104 is broken: an HTML page)
      await injectTransientErrors(h, { table: "planes_estrategicos_documentos", parentColumn: "parent_id", parent: faulty });
      const { injected } = await runToEnd(h, { name: "planes-estrategicos/sync.requested", data: { runId: "plans", timestamp: TS } });
      expect(injected.sort()).toEqual(["fault_documentos", "fault_piece"]);
      const documents = (await sql.raw<{ n: number }>("SELECT COUNT(*) AS n FROM planes_estrategicos_documentos WHERE sha256 IS NOT NULL").execute(h.store.db)).rows[0]!;
      expect(Number(documents.n)).toBe(9);
      expect(await h.store.getRun("plans", "planes-estrategicos")).toMatchObject({ status: "succeeded", pieces: 1, pieces_done: 1, fetched: 9, new: 9, queued: 9, failed: 1, documents_stored: 9 });
      const items = await h.store.getItems("plans", "planes-estrategicos");
      expect(items.filter((i) => i.kind === "detail").map((i) => [i.item, i.state])).toEqual(
        Array.from({ length: 9 }, (_, i) => String(3101 + i)).map((id) => [id, id === "3104" ? "failed" : "stored"]),
      );
      expect(items.filter((i) => i.kind === "piece").map((i) => i.state)).toEqual(["stored"]);
    } finally {
      await h.close();
    }
  }, 60_000);

  it("every step run again after it committed (its answer lost): nothing is written, fetched or counted twice", async () => {
    const dataset = makeDataset(12, { firstDate: "2026-11-02", perDay: 4, docs: 1, light: true });
    const h = await startJobsHarness(dataset, { pageSize: 5, ...(dialect === "postgres" && { databaseUrl: await pgServer().createDatabase() }) });
    try {
      const first = { name: "convocatorias/sync.requested", data: { runId: "replayed", timestamp: TS, from: "2026-11-02", to: "2026-11-04" } };
      await runToEnd(h, first);
      const before = { run: await h.store.getRun("replayed"), items: await h.store.getItems("replayed"), requests: h.bdns.requests.length };
      expect(before.run).toMatchObject({ status: "succeeded", listed: 12, queued: 12, new: 12, documents_stored: 12 });
      const events = [first, ...new Map(h.events.events().map((e) => [e.id, { name: e.name, data: e.data }])).values()];
      await runAgainFromScratch(h, events);
      expect(await h.store.getRun("replayed")).toEqual(before.run);
      expect((await h.store.getItems("replayed")).map((i) => [i.kind, i.item, i.state])).toEqual(before.items.map((i) => [i.kind, i.item, i.state]));
      expect(h.bdns.requests.length - before.requests, "BDNS asked again").toBe(0);
    } finally {
      await h.close();
    }
  }, 60_000);
});

describe("two attempts of one step at the same time (two processes or engines, each with its own pool)", () => {
  // PostgreSQL only: SQLite has one writer, and two of its connections in one process cannot both be
  // inside a write transaction (better-sqlite3 is synchronous); across processes the second waits, then
  // fails as busy, and its retry finds the first's result.
  it("postgres: one writes and counts; the other, past the check at the same moment, returns what the first committed", async () => {
    const { Store } = await import("../../src/adapters/store/store.js");
    const url = await pgServer().createDatabase();
    const [a, b] = [await Store.open(url), await Store.open(url)];
    try {
      await a.ensureRun("race", "detail");
      const attempt = (store: typeof a, who: string) =>
        store.once("race", "convocatorias", "detail 900001", async (tx) => {
          await tx.count("race", "new");
          await new Promise((r) => setTimeout(r, 150)); // both are past the check before either commits
          return { who };
        });
      const results = await Promise.all([attempt(a, "a"), attempt(b, "b")]);
      expect(results[0]).toEqual(results[1]); // the same, winner's, result for both
      expect((await a.getRun("race"))!.new).toBe(1);
    } finally {
      await a.close();
      await b.close();
    }
  }, 30_000);
});

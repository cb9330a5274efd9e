import { describe, expect, it } from "vitest";
import { buildDetailRequests, buildDocumentRequest, newRunContext } from "../../src/contracts/build.js";
import { buildSyncRequest, buildSyncRequests } from "../../src/contracts/sync-requests.js";
import { SYNCABLE_DATASETS } from "../../src/contracts/datasets.js";
import { DATASETS } from "../../src/datasets/index.js";
import { datasetPayload } from "../../src/contracts/dataset-events.js";
import { InvalidInputError } from "../../src/contracts/errors.js";
import { detailRequested, storageRequested, syncRequested, toSdkEvent } from "../../src/contracts/events.js";
import { EVENT, SCHEMA_BY_EVENT } from "../../src/contracts/schemas.js";

const ctx = { runId: "run-1", timestamp: "2026-11-28T10:00:00.000Z" };
const now = new Date("2026-11-28T10:00:00Z");

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    if (e instanceof InvalidInputError) return e.issues;
    throw e;
  }
  throw new Error("expected InvalidInputError");
}

describe("run context", () => {
  it("makes a UUID runId and an ISO UTC timestamp", () => {
    const c = newRunContext({ now });
    expect(c.runId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(c.timestamp).toBe("2026-11-28T10:00:00.000Z");
    expect(newRunContext().runId).not.toBe(c.runId);
  });

  it("keeps a given runId and rejects a bad one", () => {
    expect(newRunContext({ runId: "ci-42" }).runId).toBe("ci-42");
    expect(issuesOf(() => newRunContext({ runId: "a b" }))).toEqual([{ field: "runId", value: "a b", rule: expect.stringContaining("run id") }]);
    expect(issuesOf(() => newRunContext({ runId: "--dry-run" }))).toEqual([{ field: "runId", value: "--dry-run", rule: expect.stringContaining("not starting with '-'") }]);
  });
});

describe("builders", () => {
  it("builds the seed's detail payload with a deterministic id", () => {
    const [e] = buildDetailRequests(["123456"], ctx);
    expect(e).toEqual({
      name: "convocatorias/detail.requested",
      data: { bdns: "123456", runId: "run-1", timestamp: ctx.timestamp },
      id: "convocatorias/detail.requested?bdns=123456&runId=run-1",
    });
    expect(buildDetailRequests(["123456"], { ...ctx, timestamp: "2026-11-29T00:00:00.000Z" })[0]!.id).toBe(e!.id);
    expect(buildDetailRequests(["123456"], { ...ctx, runId: "run-2" })[0]!.id).not.toBe(e!.id);
  });

  it("rejects a whole batch when one code is bad, naming every bad one", () => {
    const issues = issuesOf(() => buildDetailRequests(["1", { code: "x2", source: "bdns (line 2 of f)" }, "3", "4444444444444"], ctx));
    expect(issues.map((i) => [i.field, i.value])).toEqual([
      ["bdns (line 2 of f)", "x2"],
      ["bdns", "4444444444444"],
    ]);
  });

  it("drops duplicate codes", () => {
    expect(buildDetailRequests(["1", "2", "1"], ctx).map((e) => e.data.bdns)).toEqual(["1", "2"]);
  });

  it("writes every code in its canonical form (no leading zeros), so 000123 and 123 are one event", () => {
    const events = buildDetailRequests(["000123", "123", "0042"], ctx);
    expect(events.map((e) => e.data.bdns)).toEqual(["123", "42"]);
    expect(events[0]!.id).toBe(buildDetailRequests(["123"], ctx)[0]!.id);
    expect(buildDocumentRequest("000123", "doc-1", ctx).data.bdns).toBe("123");
  });

  it.each(["0", "000", "00000000000"])("refuses the code %j: there is no convocatoria 0", (code) => {
    expect(issuesOf(() => buildDetailRequests([code], ctx))).toEqual([{ field: "bdns", value: code, rule: expect.stringContaining("not 0") }]);
  });

  it("builds the storage payload", () => {
    expect(buildDocumentRequest("123456", "doc-789", ctx)).toEqual({
      name: "documents/storage.requested",
      data: { bdns: "123456", documentId: "doc-789", runId: "run-1", timestamp: ctx.timestamp },
      id: "documents/storage.requested?bdns=123456&documentId=doc-789&runId=run-1",
    });
    expect(issuesOf(() => buildDocumentRequest("12x", "../x", ctx)).map((i) => i.field)).toEqual(["bdns", "documentId"]);
  });

  it.each([
    [{}, undefined],
    [{ from: "2026-11-01", to: "2026-11-07" }, undefined],
    [{ from: "2026-11-28" }, undefined],
    [{ from: "2026-11-29" }, "from"],
    [{ to: "2027-01-01" }, "to"],
    [{ from: "2026-11-07", to: "2026-11-01" }, "from"],
    [{ from: "2026-02-30" }, "from"],
    [{ dataset: "subvenciones" }, "dataset"],
    [{ from: "0000-01-01" }, "from"], // a real calendar date, but long before BDNS began
    [{ from: "2012-12-31" }, "from"],
    [{ to: "2012-12-31" }, "to"],
    [{ from: "2013-01-01", to: "2013-01-07" }, undefined], // the floor itself is fine
  ])("sync window %j → rejected field %s", (input, field) => {
    if (field === undefined) {
      const e = buildSyncRequest(input, ctx, now);
      expect(e.name).toBe(EVENT.syncRequested);
      expect(e.data).toEqual({ ...ctx, ...input });
    } else {
      expect(issuesOf(() => buildSyncRequest(input, ctx, now))[0]!.field).toBe(field);
    }
  });

  it("names the floor when a date is before it", () => {
    expect(issuesOf(() => buildSyncRequest({ from: "0000-01-01" }, ctx, now))[0]!.rule).toBe("must not be before 2013-01-01, when BDNS's convocatorias begin");
  });

  it("lists the valid datasets when one is unknown", () => {
    expect(issuesOf(() => buildSyncRequest({ dataset: "subvenciones" }, ctx, now))[0]!.rule).toBe(`is not a dataset that can be synced; valid: ${SYNCABLE_DATASETS.join(", ")}, or all`);
    expect(issuesOf(() => buildSyncRequests({ dataset: "All" }, ctx, now))[0]).toMatchObject({ field: "dataset", value: "All" });
  });

  it("keys a sync by its window and full flag", () => {
    expect(buildSyncRequest({}, ctx, now).id).toBe("convocatorias/sync.requested?runId=run-1");
    expect(buildSyncRequest({ from: "2026-11-01", to: "2026-11-07", full: true }, ctx, now).id).toBe(
      "convocatorias/sync.requested?from=2026-11-01&to=2026-11-07&full=true&runId=run-1",
    );
  });
});

describe("the datasets' sync requests, from their declarations", () => {
  it("sync all: one event per dataset, convocatorias first, one runId, distinct ids, each valid for its function", () => {
    const events = buildSyncRequests({ dataset: "all" }, ctx, now);
    expect(events.map((e) => e.name)).toEqual(["convocatorias/sync.requested", ...DATASETS.map((d) => `${d.name}/sync.requested`)]);
    expect(events).toHaveLength(11);
    expect(new Set(events.map((e) => e.id)).size).toBe(11);
    // Each event also says which datasets the request asked for together, so whichever function picks
    // one up first can tell the store the run is all eleven; not a business key: the ids are a single
    // dataset's.
    for (const e of events) expect(e.data).toEqual({ ...ctx, datasets: SYNCABLE_DATASETS });
    expect(events.find((e) => e.name === "organos/sync.requested")!.id).toBe(buildSyncRequests({ dataset: "organos" }, ctx, now)[0]!.id);
    expect(buildSyncRequests({ dataset: "organos" }, ctx, now)[0]!.data).not.toHaveProperty("datasets");
  });

  it("a window goes to the windowed datasets only; full to every one", () => {
    const events = buildSyncRequests({ dataset: "all", from: "2026-11-01", to: "2026-11-07", full: true }, ctx, now);
    const byName = Object.fromEntries(events.map((e) => [e.name, e.data]));
    expect(byName["concesiones/sync.requested"]).toEqual({ ...ctx, from: "2026-11-01", to: "2026-11-07", full: true, datasets: SYNCABLE_DATASETS });
    expect(byName["organos/sync.requested"]).toEqual({ ...ctx, full: true, datasets: SYNCABLE_DATASETS });
    expect(events.find((e) => e.name === "organos/sync.requested")!.id).toBe("organos/sync.requested?full=true&runId=run-1");
  });

  it("allowRemoval (--allow-removal) is a business key: a forced sync is not deduplicated against a normal one; all carries it to every dataset, convocatorias too", () => {
    const normal = buildSyncRequests({ dataset: "catalogos" }, ctx, now)[0]!;
    const forced = buildSyncRequests({ dataset: "catalogos", allowRemoval: true }, ctx, now)[0]!;
    expect(forced.data).toEqual({ ...ctx, allowRemoval: true });
    expect(forced.id).toBe("catalogos/sync.requested?allowRemoval=true&runId=run-1");
    expect(forced.id).not.toBe(normal.id);
    expect(normal.id).toBe("catalogos/sync.requested?runId=run-1"); // the ids of what was sent before stay as they were
    const all = buildSyncRequests({ dataset: "all", allowRemoval: true }, ctx, now);
    expect(all.filter((e) => e.data.allowRemoval === true).map((e) => e.name)).toEqual(["convocatorias/sync.requested", ...DATASETS.map((d) => `${d.name}/sync.requested`)]);
    expect(all[0]).toMatchObject({ name: "convocatorias/sync.requested", data: { ...ctx, allowRemoval: true }, id: "convocatorias/sync.requested?allowRemoval=true&runId=run-1" });
    expect(buildSyncRequests({ dataset: "convocatorias" }, ctx, now)[0]!.id).toBe("convocatorias/sync.requested?runId=run-1"); // unchanged without it
    const piece = datasetPayload(DATASETS.find((d) => d.name === "catalogos")!, "piece", { ...ctx, feed: "finalidades", allowRemoval: true });
    expect(piece.id).toBe("catalogos/sync.piece.requested?feed=finalidades&allowRemoval=true&runId=run-1");
  });

  it.each([
    [{ dataset: "organos", from: "2026-11-01" }, "from", /does not apply: organos is not windowed/],
    [{ dataset: "sanciones", to: "2026-11-01" }, "to", /does not apply/],
    [{ dataset: "concesiones", from: "2019-12-31" }, "from", /must not be before 2020-01-01, when concesiones's data begins/],
    [{ dataset: "minimis", from: "2014-12-31" }, "from", /must not be before 2015-01-01/],
    [{ dataset: "all", from: "2012-12-31" }, "from", /must not be before 2013-01-01/],
  ])("%j → %s refused", (input, field, rule) => {
    const [issue] = issuesOf(() => buildSyncRequests(input, ctx, now));
    expect(issue!.field).toBe(field);
    expect(issue!.rule).toMatch(rule);
  });

  it("the SDK event types of every dataset accept what the builders make, and refuse a broken one", async () => {
    for (const e of buildSyncRequests({ dataset: "all", from: "2026-11-01" }, ctx, now)) await expect(toSdkEvent(e).validate()).resolves.toBeUndefined();
    const bad = { ...buildSyncRequests({ dataset: "organos" }, ctx, now)[0]!, data: { runId: "r", timestamp: "yesterday" } };
    await expect(toSdkEvent(bad as never).validate()).rejects.toThrow(/timestamp/);
  });
});

describe("event schemas", () => {
  it.each([
    [EVENT.detailRequested, { bdns: "1", runId: "r", timestamp: ctx.timestamp }, true],
    [EVENT.detailRequested, { bdns: 1, runId: "r", timestamp: ctx.timestamp }, false],
    [EVENT.detailRequested, { bdns: "1", runId: "r" }, false],
    [EVENT.storageRequested, { bdns: "1", documentId: "d", runId: "r", timestamp: ctx.timestamp }, true],
    [EVENT.storageRequested, { bdns: "1", runId: "r", timestamp: ctx.timestamp }, false],
    [EVENT.syncRequested, { runId: "r", timestamp: ctx.timestamp }, true],
    [EVENT.syncRequested, { runId: "r", timestamp: ctx.timestamp, from: "2026-11-02", to: "2026-11-01" }, false],
    [EVENT.syncPieceRequested, { runId: "r", timestamp: ctx.timestamp, from: "2026-11-01", to: "2026-11-07" }, true],
    [EVENT.syncPieceRequested, { runId: "r", timestamp: ctx.timestamp }, false],
  ] as const)("%s accepts %j: %s", (name, data, ok) => {
    expect(SCHEMA_BY_EVENT[name].safeParse(data).success).toBe(ok);
  });

  it("the SDK event types validate with the same schemas before sending", async () => {
    expect(syncRequested.name).toBe("convocatorias/sync.requested");
    expect(detailRequested.name).toBe("convocatorias/detail.requested");
    expect(storageRequested.name).toBe("documents/storage.requested");
    const good = toSdkEvent(buildDetailRequests(["123456"], ctx)[0]!);
    await expect(good.validate()).resolves.toBeUndefined();
    expect(good.id).toBe("convocatorias/detail.requested?bdns=123456&runId=run-1");
    const bad = detailRequested.create({ bdns: "12a", runId: "r", timestamp: ctx.timestamp } as never);
    await expect(bad.validate()).rejects.toThrow(/bdns: must be a BDNS code/);
  });
});

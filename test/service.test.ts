/** The library API (`InngestService`, as the seed shows it) against the loopback event API. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createInngestService, EventSendError, InvalidInputError, InngestService, ConfigError } from "../src/index.js";
import { parseEnv } from "../src/config/env.js";
import { startFakeEventApi, type FakeEventApi } from "./support/event-api.js";

let api: FakeEventApi;
beforeAll(async () => {
  api = await startFakeEventApi();
});
afterAll(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
  api.setFault(undefined);
});

const ISO = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

describe("InngestService", () => {
  it("triggerConvocatoriaDetail sends the seed's event and returns runId and ids", async () => {
    const service = createInngestService({ env: parseEnv({ INNGEST_DEV: api.url }) });
    const result = await service.triggerConvocatoriaDetail("123456");
    expect(result.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.ids).toEqual(api.requests[0]!.ids);
    expect(api.events()).toEqual([
      { name: "convocatorias/detail.requested", data: { bdns: "123456", runId: result.runId, timestamp: ISO }, id: `convocatorias/detail.requested?bdns=123456&runId=${result.runId}`, ts: expect.any(Number) },
    ]);
    expect(result.events[0]!.id).toBe(api.events()[0]!.id);
  });

  it("triggerConvocatoriasSync takes an optional window and runId", async () => {
    const service = createInngestService({ env: parseEnv({ INNGEST_DEV: api.url }) });
    const result = await service.triggerConvocatoriasSync({ from: "2026-11-01", to: "2026-11-07", runId: "lib-1" });
    expect(result.runId).toBe("lib-1");
    expect(api.events()[0]).toMatchObject({ name: "convocatorias/sync.requested", data: { runId: "lib-1", from: "2026-11-01", to: "2026-11-07", timestamp: ISO } });
    await service.triggerConvocatoriasSync();
    expect(api.events()[1]!.data).toEqual({ runId: expect.any(String), timestamp: ISO });
  });

  it("triggerDatasetSync takes allowRemoval: the event carries it, and its id says so", async () => {
    const service = createInngestService({ env: parseEnv({ INNGEST_DEV: api.url }) });
    await service.triggerDatasetSync("regiones", { allowRemoval: true, runId: "lib-force" });
    expect(api.events()[0]).toMatchObject({ name: "regiones/sync.requested", data: { runId: "lib-force", allowRemoval: true }, id: "regiones/sync.requested?allowRemoval=true&runId=lib-force" });
    await service.triggerConvocatoriasSync({ allowRemoval: true, runId: "lib-force-c" });
    expect(api.events()[1]).toMatchObject({ name: "convocatorias/sync.requested", data: { runId: "lib-force-c", allowRemoval: true }, id: "convocatorias/sync.requested?allowRemoval=true&runId=lib-force-c" });
  });

  it("codes travel in their canonical form whatever the caller wrote: 000123 is 123", async () => {
    const service = createInngestService({ env: parseEnv({ INNGEST_DEV: api.url }) });
    await service.triggerConvocatoriaDetails(["000123", "123"], { runId: "canon" });
    await service.triggerDocumentStorage("0042", "d-1", { runId: "canon" });
    expect(api.events().map((e) => e.data.bdns)).toEqual(["123", "42"]);
    await expect(service.triggerConvocatoriaDetail("0")).rejects.toThrow(/bdns: "0" must be a BDNS code: 1–10 digits, not 0/);
  });

  it("triggerDocumentStorage sends documents/storage.requested", async () => {
    const service = createInngestService({ env: parseEnv({ INNGEST_DEV: api.url }) });
    await service.triggerDocumentStorage("123456", "doc-789", { runId: "r" });
    expect(api.events()).toEqual([expect.objectContaining({ name: "documents/storage.requested", data: { bdns: "123456", documentId: "doc-789", runId: "r", timestamp: ISO } })]);
  });

  it("invalid input throws InvalidInputError naming the field, and sends nothing", async () => {
    const service = createInngestService({ env: parseEnv({ INNGEST_DEV: api.url }) });
    await expect(service.triggerConvocatoriaDetail("12a")).rejects.toThrow(InvalidInputError);
    await expect(service.triggerDocumentStorage("1", "a/b")).rejects.toThrow(/documentId: "a\/b" must be a document id/);
    await expect(service.triggerConvocatoriaDetails(["1", "x"])).rejects.toMatchObject({ issues: [{ field: "bdns", value: "x" }] });
    expect(api.requests).toHaveLength(0);
  });

  it("cloud mode without a key throws ConfigError before any request", async () => {
    const service = createInngestService({ env: parseEnv({ INNGEST_BASE_URL: api.url }) });
    await expect(service.triggerConvocatoriaDetail("1")).rejects.toThrow(ConfigError);
    expect(api.requests).toHaveLength(0);
  });

  it("a failing event API throws EventSendError with what was sent and what was not", async () => {
    api.setFault((n) => (n >= 1 ? { status: 503, body: '{"error":"maintenance"}' } : undefined));
    const service = createInngestService({ env: parseEnv({ INNGEST_DEV: api.url }), batchSize: 2 });
    const err = await service.triggerConvocatoriaDetails(["1", "2", "3"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EventSendError);
    const e = err as EventSendError;
    expect(e.sent.map((x) => x.data)).toMatchObject([{ bdns: "1" }, { bdns: "2" }]);
    expect(e.ids).toEqual(api.requests[0]!.ids);
    expect(e.unsent.map((x) => x.data)).toMatchObject([{ bdns: "3" }]);
    expect(e.message).toContain("503 maintenance");
    expect(e).toMatchObject({ reason: "unavailable", mayHaveArrived: false }); // every request got its answer: a refusal
  });

  it("a rejected event key fails the send at once, without the SDK's retries", async () => {
    api.setFault(() => ({ status: 401, body: '{"error":"Event key not found"}' }));
    const service = createInngestService({ env: parseEnv({ INNGEST_EVENT_KEY: "wrong-key", INNGEST_BASE_URL: api.url }) });
    const err = (await service.triggerConvocatoriaDetail("1").catch((e: unknown) => e)) as EventSendError;
    expect(err).toBeInstanceOf(EventSendError);
    expect(err.reason).toBe("key-rejected");
    expect(err.message).toContain("401");
    expect(api.requests).toHaveLength(1);
  });

  it("a hung event API: the send gives up at timeoutMs, and says the events may have arrived", async () => {
    api.setFault(() => "hang");
    const service = createInngestService({ env: parseEnv({ INNGEST_DEV: api.url }), timeoutMs: 300 });
    const err = (await service.triggerConvocatoriaDetail("1").catch((e: unknown) => e)) as EventSendError;
    expect(err).toBeInstanceOf(EventSendError);
    expect(err).toMatchObject({ reason: "timeout", mayHaveArrived: true, requestsSent: 1 });
    expect(err.unsent).toHaveLength(1);
  });

  it("the default InngestService reads process.env on first use", async () => {
    const saved = process.env.INNGEST_DEV;
    process.env.INNGEST_DEV = api.url;
    try {
      const result = await InngestService.triggerConvocatoriaDetail("424242");
      expect(api.events()[0]!.data.bdns).toBe("424242");
      expect(result.ids).toHaveLength(1);
    } finally {
      if (saved === undefined) delete process.env.INNGEST_DEV;
      else process.env.INNGEST_DEV = saved;
    }
  });
});

/**
 * Event ids are Inngest's idempotency keys: two different requests must never share one (Inngest would
 * silently drop the second), and the same request must always get the same one. Checked as properties
 * over generated payloads, with small alphabets so that near-collisions (a date as a runId prefix, a
 * `from` where another request has a `to`) come up often.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { payload } from "../../src/contracts/build.js";
import { buildSyncRequest } from "../../src/contracts/sync-requests.js";
import { EVENT, EVENT_KEYS, type EventName, type EventPayload } from "../../src/contracts/schemas.js";

const TS = "2026-11-28T10:00:00.000Z";
const NOW = new Date(TS);

// Values that are valid for their field, drawn from small sets so different fields share values.
const date = fc.constantFrom("2026-11-01", "2026-11-07", "2013-01-01", "2020-02-29");
const runId = fc.oneof(
  fc.constantFrom("X", "2026-11-01:X", "2026-11-01", "full:X", "bdns:1", "runId:X", "1", "a:b", "x.y_z"),
  fc.stringMatching(/^[A-Za-z0-9._:][A-Za-z0-9._:-]{0,127}$/),
);
const bdns = fc.oneof(fc.constantFrom("1", "12", "123", "2026"), fc.stringMatching(/^[1-9][0-9]{0,9}$/));
const documentId = fc.oneof(fc.constantFrom("1", "doc-1", "X", "2026-11-01"), fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/));
const full = fc.option(fc.constant(true), { nil: undefined });

const window = fc
  .record({ from: fc.option(date, { nil: undefined }), to: fc.option(date, { nil: undefined }), full })
  .filter((w) => !w.from || !w.to || w.from <= w.to);

const anyPayload: fc.Arbitrary<EventPayload> = fc.oneof(
  fc.record({ bdns, runId }).map((d) => payload(EVENT.detailRequested, { ...d, timestamp: TS })),
  fc.record({ bdns, documentId, runId }).map((d) => payload(EVENT.storageRequested, { ...d, timestamp: TS })),
  fc.tuple(window, runId).map(([w, r]) => payload(EVENT.syncRequested, strip({ ...w, runId: r, timestamp: TS }))),
  fc
    .tuple(date, date, full, runId)
    .filter(([a, b]) => a <= b)
    .map(([from, to, f, r]) => payload(EVENT.syncPieceRequested, strip({ from, to, full: f, runId: r, timestamp: TS }))),
);

/** What makes two requests the same: the event, each business key by name, and the runId. */
function identity(p: EventPayload): string {
  const data = p.data as Record<string, unknown>;
  const keys = (EVENT_KEYS[p.name] as readonly string[]).filter((k) => data[k] !== undefined).map((k) => [k, data[k]]);
  return JSON.stringify([p.name, keys, data.runId]);
}

function strip<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

describe("event ids", () => {
  it("are injective: two payloads share an id exactly when they are the same request", () => {
    // Many payloads per run, so each run compares thousands of pairs drawn from small alphabets.
    fc.assert(
      fc.property(fc.array(anyPayload, { minLength: 100, maxLength: 300 }), (payloads) => {
        const identityById = new Map<string, string>();
        const idByIdentity = new Map<string, string>();
        for (const p of payloads) {
          const who = identity(p);
          expect(identityById.get(p.id) ?? who, `id ${p.id} given to two different requests`).toBe(who);
          expect(idByIdentity.get(who) ?? p.id, `request ${who} given two ids`).toBe(p.id);
          identityById.set(p.id, who);
          idByIdentity.set(who, p.id);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("do not depend on the timestamp (a retried request is deduplicated)", () => {
    fc.assert(
      fc.property(bdns, runId, (code, r) => {
        const a = payload(EVENT.detailRequested, { bdns: code, runId: r, timestamp: TS });
        const b = payload(EVENT.detailRequested, { bdns: code, runId: r, timestamp: "2027-01-01T00:00:00.000Z" });
        expect(a.id).toBe(b.id);
      }),
    );
  });

  it("the collisions found in #7 are gone: --from X, --to X and a runId starting with X differ", () => {
    const ctx = { runId: "X", timestamp: TS };
    const ids = [
      buildSyncRequest({ from: "2026-11-01" }, ctx, NOW).id,
      buildSyncRequest({ to: "2026-11-01" }, ctx, NOW).id,
      buildSyncRequest({}, { ...ctx, runId: "2026-11-01:X" }, NOW).id,
      buildSyncRequest({}, ctx, NOW).id,
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("label every key, so an id says what it is", () => {
    const ctx = { runId: "ci-1", timestamp: TS };
    expect(buildSyncRequest({ from: "2026-11-01", to: "2026-11-07", full: true }, ctx, NOW).id).toBe(
      "convocatorias/sync.requested?from=2026-11-01&to=2026-11-07&full=true&runId=ci-1",
    );
    expect(payload(EVENT.storageRequested, { bdns: "123456", documentId: "doc-789", ...ctx }).id).toBe("documents/storage.requested?bdns=123456&documentId=doc-789&runId=ci-1");
  });

  it("stay within the 300 characters the Dev Server accepts, for the longest valid values", () => {
    const longest = { runId: "r".repeat(128), timestamp: TS };
    const all: Array<[EventName, Record<string, unknown>]> = [
      [EVENT.detailRequested, { bdns: "9".repeat(10), ...longest }],
      [EVENT.storageRequested, { bdns: "9".repeat(10), documentId: "d".repeat(64), ...longest }],
      [EVENT.syncRequested, { from: "2026-11-01", to: "2026-11-07", full: true, ...longest }],
      [EVENT.syncPieceRequested, { from: "2026-11-01", to: "2026-11-07", full: true, ...longest }],
    ];
    for (const [name, data] of all) expect(payload(name, data as never).id.length).toBeLessThanOrEqual(300);
  });
});

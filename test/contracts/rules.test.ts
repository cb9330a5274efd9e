import { describe, expect, it } from "vitest";
import { bdnsCode, canonicalBdnsCode, documentId, isoDate, runId, timestamp, isCalendarDate } from "../../src/contracts/rules.js";

const table = <T>(rows: Array<[T, boolean]>) => rows;

describe("input rules", () => {
  it.each(
    table<string>([
      ["123456", true],
      ["1", true],
      ["1234567890", true],
      ["12345678901", false],
      ["", false],
      ["12a", false],
      [" 123", false],
      ["-1", false],
      ["１２３", false], // full-width digits are not ASCII digits
      ["0", false], // no convocatoria 0
      ["0123", false], // the contract holds the canonical form only; builders drop leading zeros first
      ["1000000000", true],
    ]),
  )("bdns code %j → %s", (value, ok) => expect(bdnsCode.safeParse(value).success).toBe(ok));

  it.each(
    table<string>([
      ["doc-789", true],
      ["1462210", true],
      ["a.b_c-d", true],
      ["x".repeat(64), true],
      ["x".repeat(65), false],
      ["", false],
      ["../etc/passwd", false],
      ["doc 789", false],
      ["doc/789", false],
    ]),
  )("document id %j → %s", (value, ok) => expect(documentId.safeParse(value).success).toBe(ok));

  it.each(
    table<string>([
      ["2026-11-27", true],
      ["2024-02-29", true],
      ["2026-02-29", false],
      ["2026-02-30", false],
      ["2026-13-01", false],
      ["27/11/2026", false],
      ["2026-1-1", false],
    ]),
  )("date %j → %s", (value, ok) => {
    expect(isoDate.safeParse(value).success).toBe(ok);
    expect(isCalendarDate(value)).toBe(ok);
  });

  it.each(
    table<string>([
      ["ci-4711", true],
      ["6868c7b9-8aac-4f75-adbb-492874d07a1a", true],
      ["pipeline:12.3_a", true],
      ["", false],
      ["has space", false],
      ["x".repeat(129), false],
      ["-q", false], // would read as an option
      ["--dry-run", false],
      ["a-", true],
    ]),
  )("run id %j → %s", (value, ok) => expect(runId.safeParse(value).success).toBe(ok));

  it.each(
    table<string>([
      ["2026-11-28T10:00:00.000Z", true],
      ["2026-11-28T10:00:00Z", true],
      ["2026-11-28T10:00:00+01:00", false],
      ["2026-11-28", false],
    ]),
  )("timestamp %j → %s", (value, ok) => expect(timestamp.safeParse(value).success).toBe(ok));

  it("messages name the rule", () => {
    const r = bdnsCode.safeParse("12a");
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/^must be a BDNS code: 1–10 digits/);
  });

  it.each([
    ["123", "123"],
    ["000123", "123"],
    ["0000000000000042", "42"],
    ["0", undefined],
    ["000", undefined],
    ["12a", undefined],
    ["", undefined],
    ["12345678901", undefined],
  ])("canonical BDNS code of %j is %j", (raw, canonical) => expect(canonicalBdnsCode(raw)).toBe(canonical));
});

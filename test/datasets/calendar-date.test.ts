/**
 * toDate/calendarDate (src/datasets/noise.ts): a BDNS date is kept only if it is a day of the calendar
 * (years 1–9999), since PostgreSQL's date column refuses the others and the page with them. Checked
 * against the calendar as JavaScript's Date knows it (proleptic Gregorian), for every kind of input.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { calendarDate, toDate } from "../../src/datasets/noise.js";

/** The calendar's answer, through Date. */
function reference(ymd: string): string | null {
  const [y, m, d] = ymd.split("-").map(Number) as [number, number, number];
  if (!(y >= 1)) return null;
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d);
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d ? ymd : null;
}

const pad = (n: number, w: number) => String(n).padStart(w, "0");

describe("calendarDate", () => {
  it.each([
    ["2024-02-29", "2024-02-29"], // leap year
    ["2023-02-29", null],
    ["2100-02-29", null], // a century is not a leap year…
    ["2000-02-29", "2000-02-29"], // …unless divisible by 400
    ["0000-01-01", null], // no year 0
    ["0001-01-01", "0001-01-01"],
    ["9999-12-31", "9999-12-31"],
    ["2026-13-01", null],
    ["2026-00-10", null],
    ["2026-04-31", null],
    ["2026-04-30", "2026-04-30"],
    ["2026-01-00", null],
  ])("%s → %s", (ymd, day) => {
    expect(calendarDate(ymd)).toBe(day);
  });

  it("agrees with the calendar on any YYYY-MM-DD", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), (y, m, d) => {
        const ymd = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
        expect(calendarDate(ymd)).toBe(reference(ymd));
      }),
      { numRuns: 20_000 },
    );
  });

  it("toDate: the day of a timestamp, nothing from what is not a date", () => {
    expect(toDate("2026-03-01T10:00:00")).toBe("2026-03-01");
    expect(toDate("2026-02-30T10:00:00")).toBe(null);
    for (const v of ["", "26-03-01", "2026/03/01", null, undefined, 20260301, {}]) expect(toDate(v)).toBe(null);
  });
});

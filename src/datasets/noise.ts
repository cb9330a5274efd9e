/**
 * BDNS's known noise, each a finding (reference/dataset-layer-anchors.md), as small pure helpers the
 * dataset declarations use in their `normalise` and their columns.
 */

/**
 * A BDNS code however it is written (`0900000`, `900000`, the number 900000) → its canonical form, the
 * one the store keys on (`900000`); undefined for what is not one (not digits, more than 10 of them, or
 * zero). The one definition: the contracts' builders, the BDNS response schemas and the dataset columns
 * that reference a convocatoria all use it.
 */
export function canonicalCode(raw: unknown): string | undefined {
  const s = typeof raw === "number" ? (Number.isSafeInteger(raw) && raw >= 0 ? String(raw) : "") : typeof raw === "string" ? raw : "";
  if (!/^\d+$/.test(s)) return undefined;
  const code = s.replace(/^0+/, "");
  return /^[1-9]\d{0,9}$/.test(code) ? code : undefined;
}

/** A reference to a convocatoria in a dataset row: its canonical code, or what BDNS wrote when it is not a code. */
export function toBdnsCode(value: unknown): string | null {
  return canonicalCode(value) ?? toText(value);
}

/** "B00000000 EMPRESA SL" / "B00000011 - EMPRESA SL" / "***1234** NOMBRE" → the NIF, the first token. */
export function nifOf(beneficiario: unknown): string | null {
  if (typeof beneficiario !== "string") return null;
  return /\S+/.exec(beneficiario)?.[0] ?? null; // the first word, without splitting the whole name (every row, twice)
}

/** The name after the NIF (and the " - " state aid writes between them). */
export function nameOf(beneficiario: unknown): string | null {
  if (typeof beneficiario !== "string") return null;
  const rest = beneficiario.trim().replace(/^\S+\s*(?:-\s+)?/, "").trim();
  return rest || null;
}

/** A joined list BDNS returns shuffled, as its sorted elements (`#` in ayudas de estado). */
export function sortedList(value: unknown, separator: string | RegExp): string[] | null {
  if (typeof value !== "string") return value === null || value === undefined ? null : [String(value)];
  return value
    .split(separator)
    .map((s) => s.trim())
    .filter(Boolean)
    .sort();
}

/**
 * minimis' `sectorActividad`: `; `-joined and shuffled, but some CNAE labels contain `;` themselves
 * ("84.1 - Administración Pública y defensa; Seguridad Social obligatoria"): split only where the next
 * element begins (a CNAE code, a letter section or a number, followed by " - ").
 */
export const CNAE_LIST_SEPARATOR = /;\s*(?=(?:[A-U]|\d{1,2}(?:\.\d{1,2})?) - )/;

/** A string that may hold a number ("2024") as a number; other values as they are. */
export function toInt(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? Math.trunc(n) : null;
}

export function toNumber(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

/** The text without NUL characters, which PostgreSQL's text cannot hold. */
export function withoutNul(s: string): string {
  return s.includes("\0") ? s.replaceAll("\0", "") : s;
}

export function toText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const s = String(value).trim();
  return s === "" ? null : s;
}

/**
 * `2026-09-14` or `2024-10-14T15:57:09+02:00` → `2026-09-14`; anything else → null, a day no calendar
 * has (`2026-02-30`, year 0) too: PostgreSQL's date column would refuse it, and the whole page with it
 * (the raw JSON keeps what BDNS wrote).
 */
export function toDate(value: unknown): string | null {
  return typeof value === "string" && /^\d{4}-\d{2}-\d{2}/.test(value) ? calendarDate(value.slice(0, 10)) : null;
}

/** Days of each month in a common year. */
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * `YYYY-MM-DD` if it is a day of the (proleptic Gregorian) calendar, years 1–9999, else null. By
 * arithmetic, not through a Date: every award row has two dates, and a Date per date was ~2 µs a row.
 */
export function calendarDate(ymd: string): string | null {
  const y = Number(ymd.slice(0, 4));
  const m = Number(ymd.slice(5, 7));
  const d = Number(ymd.slice(8, 10));
  if (!(y >= 1 && m >= 1 && m <= 12 && d >= 1)) return null;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= (m === 2 && leap ? 29 : MONTH_DAYS[m - 1]!) ? ymd : null;
}

export function toFlag(value: unknown): number | null {
  return typeof value === "boolean" ? (value ? 1 : 0) : null;
}

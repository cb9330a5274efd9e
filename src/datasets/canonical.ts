/**
 * The canonical form a row is hashed in, so that a second pass over unchanged data reports
 * 0 changed: object keys sorted, arrays sorted (BDNS returns tree children and lists in a different
 * order on every call), strings trimmed (trailing spaces come and go), `advertencia` (the legal notice
 * every answer repeats) and undefined fields dropped. What is particular to one table (a name BDNS
 * re-spells, a joined list it shuffles) is the table's `normalise`, applied first.
 */
import { hash } from "node:crypto";

const DROPPED = new Set(["advertencia"]);

export function canonicalForm(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return JSON.stringify(value.trim());
  if (typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalForm).sort().join(",")}]`;
  const obj = value as Record<string, unknown>;
  const keys = sortedKeys(obj);
  // Flat rows (every award row): the values copied into an object built in sorted key order, which
  // V8's serialiser writes on its fast path (~30 % cheaper than JSON.stringify with a key list).
  const flat = sortedFlat(obj, keys);
  if (flat) return JSON.stringify(flat);
  let out = "{";
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    if (out.length > 1) out += ",";
    out += `${JSON.stringify(k)}:${leaf(v) ?? canonicalForm(v)}`;
  }
  return out + "}";
}

/** A copy with the keys in sorted order and strings trimmed, when every value is a primitive; else undefined. */
function sortedFlat(obj: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> | undefined {
  if (literalOrderUnsafe.has(keys)) return undefined;
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = obj[k];
    if (typeof v === "string") out[k] = v.length > 0 && (v.charCodeAt(0) <= 32 || v.charCodeAt(v.length - 1) <= 32) ? v.trim() : v;
    else if (v === null || typeof v === "number" || typeof v === "boolean") out[k] = v;
    else return undefined; // nested, or undefined (dropped by the generic path)
  }
  return out;
}

/** A primitive's canonical text without the generic path (the hot case: flat award rows). */
function leaf(v: unknown): string | undefined {
  switch (typeof v) {
    case "string":
      return JSON.stringify(v.length > 0 && (v.charCodeAt(0) <= 32 || v.charCodeAt(v.length - 1) <= 32) ? v.trim() : v);
    case "number":
      return Number.isFinite(v) ? String(v) : "null";
    case "boolean":
      return v ? "true" : "false";
    default:
      return v === null ? "null" : undefined;
  }
}

/**
 * An object's keys, sorted, without the dropped ones. Rows of one table share their keys, so the sort
 * is done once per key set (looked up by the keys as listed), not once per row.
 */
const sortedKeysCache = new Map<string, string[]>();
const literalOrderUnsafe = new WeakSet<readonly string[]>();
/** The last key list seen and its sorted form: consecutive rows of a page share it (no signature to build). */
let lastKeys: string[] = [];
let lastSorted: string[] = [];
function sortedKeys(obj: Record<string, unknown>): string[] {
  const keys = Object.keys(obj);
  if (sameList(keys, lastKeys)) return lastSorted;
  // JSON: a list of keys read back as it was (a join would read [""] as [] and ["a\0b"] as ["a", "b"]).
  const signature = JSON.stringify(keys);
  let sorted = sortedKeysCache.get(signature);
  if (!sorted) {
    sorted = keys.filter((k) => !DROPPED.has(k)).sort();
    // An object literal does not keep these in insertion order (index-like keys come first, by number;
    // __proto__ is no own key): such rows take the generic path.
    if (sorted.some((k) => k === "__proto__" || /^(0|[1-9]\d*)$/.test(k))) literalOrderUnsafe.add(sorted);
    if (sortedKeysCache.size < 1000) sortedKeysCache.set(signature, sorted);
  }
  lastKeys = keys;
  lastSorted = sorted;
  return sorted;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** sha256 of the canonical form, hex. */
export function canonicalHash(value: unknown): string {
  return hash("sha256", canonicalForm(value)); // one-shot: ~40 % cheaper than createHash() per row
}

/**
 * The canonical form a row is hashed in, so that a second pass over unchanged data reports
 * 0 changed: object keys sorted, arrays sorted (BDNS returns tree children and lists in a different
 * order on every call), strings trimmed (trailing spaces come and go), `advertencia` (the legal notice
 * every answer repeats) and undefined fields dropped. What is particular to one table (a name BDNS
 * re-spells, a joined list it shuffles) is the table's `normalise`, applied first.
 */
import { createHash } from "node:crypto";

const DROPPED = new Set(["advertencia"]);

export function canonicalForm(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return JSON.stringify(value.trim());
  if (typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalForm).sort().join(",")}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = "{";
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined || DROPPED.has(k)) continue;
    if (out.length > 1) out += ",";
    out += `${JSON.stringify(k)}:${canonicalForm(v)}`;
  }
  return out + "}";
}

/** sha256 of the canonical form, hex. */
export function canonicalHash(value: unknown): string {
  return createHash("sha256").update(canonicalForm(value)).digest("hex");
}

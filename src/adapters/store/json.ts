/**
 * JSON text as the store keeps it (raw_json, detail_json): what BDNS sent, but without NUL characters,
 * which PostgreSQL's jsonb cannot hold (`\u0000` in a string is refused, and with it the whole page).
 * The same text goes to SQLite, so both stores keep one thing.
 */

/** `\u0000` escapes (not an escaped backslash followed by "u0000") dropped; any other text as it is. */
export function jsonbSafe(json: string): string {
  if (!json.includes("\\u0000")) return json; // the common case: one scan, no copy
  return json.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, "$1");
}

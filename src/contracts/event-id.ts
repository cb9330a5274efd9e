/**
 * Event ids: Inngest's idempotency key, written like a URL query so it reads well and cannot be
 * ambiguous: `convocatorias/sync.requested?from=2026-11-01&to=2026-11-07&runId=ci-1`. Every present
 * business key is labelled (a `from` never reads as a `to`), absent ones are left out, the runId comes
 * last under its own label, and `%`, `&` and `=` inside a value are percent-encoded — so two ids are
 * equal exactly when the event, every key by name and the runId are. Deterministic: a retried CI step
 * or a re-delivered fan-out with the same runId is deduplicated by Inngest (24 h).
 */

/** The Inngest Dev Server refuses longer event ids. */
export const MAX_EVENT_ID_LENGTH = 300;

export function labelledEventId(name: string, data: Record<string, unknown>, keys: readonly string[]): string {
  const parts = [...keys.filter((k) => data[k] !== undefined), "runId"].map((k) => `${k}=${escape(String(data[k]))}`);
  const id = `${name}?${parts.join("&")}`;
  if (id.length > MAX_EVENT_ID_LENGTH) throw new RangeError(`event id longer than ${MAX_EVENT_ID_LENGTH} characters: ${id.slice(0, 80)}…`);
  return id;
}

const escape = (v: string) => v.replace(/[%&=]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

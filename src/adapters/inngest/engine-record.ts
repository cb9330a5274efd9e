/**
 * The engine's own record of what it did with our events: Inngest's REST API (the Dev Server and a
 * self-hosted server without a key; Inngest Cloud with the signing key as a Bearer token), the truth
 * the store converges to when serve could not record an outcome itself (see functions/reconcile.ts and
 * `--wait`, runs/wait.ts).
 *
 * - `GET /v1/events?name=&received_after=&received_before=&cursor=&limit=`: events by name, newest
 *   first; `cursor` is the internal id of the last one seen (the next page is older). Each has our own
 *   `id` (the deterministic event id) and Inngest's `internal_id`: a repeat of an id Inngest already
 *   had is stored under a new internal id and starts no run (observed on the Dev Server 1.43).
 * - `GET /v1/events/<internal id>/runs`: the function runs the event started: `Scheduled` at once
 *   (also when throttled or queued), `Running`, then `Completed`, `Failed` or `Cancelled`, with the
 *   run's output (`{"error":{"message":"Unable to reach SDK URL",…}}` when serve could not be reached).
 *   A run between attempts is listed `Failed` with `ended_at: null` (its last attempt failed; it is
 *   not over): only a run with an end time has ended. Cached by the server for ~15 s: asking again
 *   sooner sees nothing new.
 */
import { branchHeader, apiBaseUrl, hashedSigningKey } from "../../config/inngest-api.js";
import { inngestMode, type Env } from "../../config/env.js";
import { readAll, request } from "../../net/request.js";

export interface EngineEvent {
  /** Inngest's own id of this copy of the event (what `/runs` is asked with). */
  internalId: string;
  /** Ours: the deterministic event id (contracts/event-id.ts). */
  id: string;
  name: string;
  data: Record<string, unknown>;
  receivedAt: string;
}

export interface EngineRun {
  runId: string;
  /** As Inngest says it: Scheduled, Running, Completed, Failed, Cancelled, … */
  status: string;
  endedAt: string | null;
  /** A failed run's error, in the engine's words. */
  error: string | null;
}

export class EngineRecordError extends Error {
  override readonly name = "EngineRecordError";
  constructor(
    message: string,
    /** unreachable: no answer; refused: 401/403 (the signing key); failed: any other answer. */
    readonly reason: "unreachable" | "refused" | "failed",
  ) {
    super(message);
  }
}

export interface EngineRecord {
  /** For messages: the API's base URL. */
  where: string;
  /** One page of events named `name` received in [after, before], newest first (older than `cursor`). */
  events(o: { name: string; after: string; before: string; cursor?: string; limit?: number }): Promise<EngineEvent[]>;
  /** The runs an event started (by its internal id). */
  runsOf(internalId: string): Promise<EngineRun[]>;
}

/** Inngest Cloud caps a page of events at 100. */
export const EVENTS_PAGE = 100;
const TIMEOUT_MS = 10_000;

/**
 * The engine's record for this environment, or why it cannot be read: cloud mode needs the signing
 * key (a CI runner usually has only the event key).
 */
export function openEngineRecord(env: Env): EngineRecord | { unavailable: string } {
  const { mode } = inngestMode(env);
  if (mode === "cloud" && !env.INNGEST_SIGNING_KEY) return { unavailable: "INNGEST_SIGNING_KEY is not set here, and Inngest's REST API needs it" };
  const base = apiBaseUrl(env);
  const keys = mode === "cloud" ? [env.INNGEST_SIGNING_KEY!, ...(env.INNGEST_SIGNING_KEY_FALLBACK ? [env.INNGEST_SIGNING_KEY_FALLBACK] : [])] : [];
  let key = 0; // after a 401, the fallback key (a rotation in progress) is used from then on

  const get = async (path: string): Promise<unknown> => {
    const url = new URL(path, base.endsWith("/") ? base : `${base}/`);
    for (;;) {
      const headers: Record<string, string> = { accept: "application/json", ...branchHeader(), ...(keys[key] && { authorization: `Bearer ${hashedSigningKey(keys[key]!)}` }) };
      let status: number;
      let text: string;
      try {
        const res = await request(url, { headers, timeoutMs: TIMEOUT_MS });
        status = res.statusCode ?? 0;
        text = (await readAll(res)).toString("utf8");
      } catch (err) {
        throw new EngineRecordError(`Inngest's API at ${base} did not answer (${err instanceof Error ? err.message : String(err)})`, "unreachable");
      }
      if ((status === 401 || status === 403) && key + 1 < keys.length) {
        key++;
        continue;
      }
      if (status === 401 || status === 403) throw new EngineRecordError(`Inngest's API at ${base} refused the signing key (${status})`, "refused");
      if (status !== 200) throw new EngineRecordError(`Inngest's API at ${base} answered ${status} to ${url.pathname}: ${text.slice(0, 160)}`, "failed");
      try {
        return (JSON.parse(text) as { data?: unknown }).data;
      } catch {
        throw new EngineRecordError(`Inngest's API at ${base} answered ${url.pathname} with something that is not JSON`, "failed");
      }
    }
  };

  return {
    where: base,
    async events(o) {
      const q = new URLSearchParams({ name: o.name, received_after: o.after, received_before: o.before, limit: String(o.limit ?? EVENTS_PAGE), ...(o.cursor && { cursor: o.cursor }) });
      const data = await get(`v1/events?${q}`);
      return (Array.isArray(data) ? data : []).flatMap((e: Record<string, unknown>) =>
        typeof e.internal_id === "string" && typeof e.name === "string"
          ? [{ internalId: e.internal_id, id: typeof e.id === "string" ? e.id : "", name: e.name, data: (e.data ?? {}) as Record<string, unknown>, receivedAt: String(e.received_at ?? "") }]
          : [],
      );
    },
    async runsOf(internalId) {
      const data = await get(`v1/events/${encodeURIComponent(internalId)}/runs`);
      return (Array.isArray(data) ? data : []).map((r: Record<string, unknown>) => ({
        runId: String(r.run_id ?? ""),
        status: String(r.status ?? ""),
        endedAt: typeof r.ended_at === "string" ? r.ended_at : null,
        error: errorOf(r.output),
      }));
    },
  };
}

/** What an event's runs say, together. */
export type Verdict =
  /** No run at all: the engine received the event and started nothing for it. */
  | { kind: "none" }
  /** A run is scheduled, running, or between attempts. */
  | { kind: "going" }
  | { kind: "completed" }
  /** Every run ended, none completed: failed (or cancelled) for good. */
  | { kind: "ended"; status: "failed" | "cancelled"; runId: string; error: string | null };

export function verdictOf(runs: readonly EngineRun[]): Verdict {
  if (runs.length === 0) return { kind: "none" };
  const status = (r: EngineRun) => r.status.toLowerCase();
  if (runs.some((r) => status(r) === "completed")) return { kind: "completed" };
  // Failed without an end time: the last attempt failed, another is due (observed on the Dev Server).
  const ended = runs.filter((r) => ["failed", "cancelled", "canceled"].includes(status(r)) && r.endedAt);
  if (ended.length < runs.length) return { kind: "going" };
  const failed = ended.find((r) => status(r) === "failed");
  const last = failed ?? ended[0]!;
  return { kind: "ended", status: failed ? "failed" : "cancelled", runId: last.runId, error: last.error };
}

/** A run's output as the engine keeps it: `{"error":{"message":…}}`, a string, or nothing. */
function errorOf(output: unknown): string | null {
  if (output === null || output === undefined || output === "") return null;
  if (typeof output === "string") return output.slice(0, 300);
  const o = output as { error?: unknown; message?: unknown };
  const e = o.error as { message?: unknown; error?: unknown } | string | undefined;
  const text = typeof e === "string" ? e : typeof e?.message === "string" ? e.message : typeof e?.error === "string" ? e.error : typeof o.message === "string" ? o.message : undefined;
  return (text ?? JSON.stringify(output)).slice(0, 300);
}

/**
 * What the store knows of runs, for a CLI that reaches the service but not its database (a CI runner):
 *   GET /api/runs?limit=20&dataset=NAME   the newest runs first   → {"ok":true,"runs":[…],"lastActivityAt"}
 *   GET /api/runs/:runId?failures=100&failing=100   one run      → {"ok":true,"run":{…}}
 * Exactly what `ayida-jobs runs|status --json` print from the store (src/runs/state.ts makes both), behind
 * the same `Authorization: Bearer $CRON_SECRET` as the batch routes (401 without it, 503 when the server
 * has none). Read-only; an unknown runId is a run in state `pending`, as the CLI shows it.
 */
import type { Store } from "../adapters/store/store.js";
import { RunQueries } from "../adapters/store/run-queries.js";
import { SYNCABLE_DATASETS } from "../contracts/datasets.js";
import { runId as runIdRule } from "../contracts/rules.js";
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, listRuns, readRunState } from "../runs/state.js";
import { storeTrouble } from "../adapters/store/errors.js";
import { checkBearer } from "./auth.js";
import { allowMethods, HttpError, jsonResponse } from "./http.js";

export const RUNS_PATH = "/api/runs";
export const MAX_RUNS_LIMIT = 1000;

export function isRunsPath(path: string): boolean {
  return path === RUNS_PATH || path.startsWith(`${RUNS_PATH}/`);
}

/**
 * `path`: the request's path from /api/runs on (an app mounted under a base path passes it without
 * that prefix).
 */
export async function handleRuns(request: Request, path: string, o: { store: (() => Promise<Store>) | undefined; cronSecret: string | undefined }): Promise<Response> {
  allowMethods(request, "GET", "HEAD");
  checkBearer(request, o.cronSecret);
  const url = new URL(request.url);
  const rest = path.slice(RUNS_PATH.length);
  if (!o.store) throw new HttpError(503, "NO_STORE", "this server has no store to read runs from");
  const q = new RunQueries((await o.store()).db);

  if (rest === "" || rest === "/") {
    const params = known(url.searchParams, ["limit", "dataset"]);
    const limit = count(params, "limit", DEFAULT_RUNS_LIMIT, 1, MAX_RUNS_LIMIT);
    const dataset = params.get("dataset") ?? undefined;
    if (dataset !== undefined && !SYNCABLE_DATASETS.includes(dataset)) {
      throw new HttpError(400, "INVALID_INPUT", `dataset: ${JSON.stringify(dataset)} is not a dataset; valid: ${SYNCABLE_DATASETS.join(", ")}`);
    }
    const [runs, lastActivityAt] = await Promise.all([listRuns(q, { limit, dataset }), q.lastActivity()]);
    return jsonResponse(200, { ok: true, runs, lastActivityAt });
  }

  const segment = rest.slice(1);
  if (segment.includes("/")) throw new HttpError(404, "NOT_FOUND", `no route for ${path}; runs routes: ${RUNS_PATH}, ${RUNS_PATH}/:runId`);
  let runId: string;
  try {
    runId = decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, "INVALID_INPUT", "runId: is not a valid URL path segment");
  }
  const checked = runIdRule.safeParse(runId);
  if (!checked.success) throw new HttpError(400, "INVALID_INPUT", `runId: ${JSON.stringify(runId.slice(0, 60))} ${checked.error.issues[0]?.message ?? "is invalid"}`);
  const params = known(url.searchParams, ["failures", "failing"]);
  const run = await readRunState(q, runId, {
    failures: count(params, "failures", DEFAULT_LIST_LIMIT, 0, MAX_LIST_LIMIT),
    failing: count(params, "failing", DEFAULT_LIST_LIMIT, 0, MAX_LIST_LIMIT),
  });
  return jsonResponse(200, { ok: true, run });
}

const DEFAULT_RUNS_LIMIT = 20;

/**
 * A read the store could not answer, as a 503 a caller retries (`--wait` does, for up to 60 s): the
 * database down or restarting, or a lock held elsewhere outlasting the read's timeouts. undefined:
 * not the store's doing.
 */
export function storeReadFailure(err: unknown): HttpError | undefined {
  const trouble = storeTrouble(err);
  if (trouble === "busy") return new HttpError(503, "STORE_BUSY", "the store is busy: a lock held by another session outlasted this read's timeout; try again shortly", {}, { "retry-after": "2" });
  if (trouble === "unavailable") return new HttpError(503, "STORE_UNAVAILABLE", "the store's database is not answering (down, restarting or failing over); try again shortly", {}, { "retry-after": "2" });
  return undefined;
}

function known(params: URLSearchParams, names: readonly string[]): URLSearchParams {
  for (const key of params.keys()) {
    if (!names.includes(key)) throw new HttpError(400, "INVALID_INPUT", `${key}: is not a known parameter; known: ${names.join(", ")}`);
  }
  return params;
}

function count(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const n = /^\d{1,7}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) throw new HttpError(400, "INVALID_INPUT", `${name}: ${JSON.stringify(raw)} must be a whole number from ${min} to ${max}`);
  return n;
}

/**
 * The seed's two batch routes: they send an event and answer 202 at once; the work happens in the
 * functions. Bodies are checked against the contracts before anything is sent. A caller that retries
 * passes its own `runId`: the event ids derive from it, so Inngest drops the repeat.
 */
import { InvalidInputError } from "../contracts/errors.js";
import { EventSendError } from "../send-error.js";
import type { InngestServiceApi, TriggerResult } from "../service.js";
import { checkBearer } from "./auth.js";
import { SYNCABLE_DATASETS, SYNC_ALL } from "../contracts/datasets.js";
import { DATASETS } from "../datasets/index.js";
import { allowMethods, HttpError, jsonResponse, readJsonBody } from "./http.js";

type FieldType = "string" | "boolean";
interface Route {
  required: Record<string, FieldType>;
  optional: Record<string, FieldType>;
  trigger(service: InngestServiceApi, body: Record<string, string | boolean | undefined>): Promise<TriggerResult>;
}

const str = (v: unknown) => v as string | undefined;

/** A route that syncs one dataset (or all): a window only where the dataset is windowed. */
function syncRoute(dataset: string, windowed: boolean): Route {
  return {
    required: {},
    optional: { ...(windowed && { from: "string", to: "string" }), full: "boolean", allowRemoval: "boolean", runId: "string" },
    trigger: (service, b) => service.triggerDatasetSync(dataset, defined({ from: str(b.from), to: str(b.to), full: b.full as boolean | undefined, allowRemoval: b.allowRemoval as boolean | undefined, runId: str(b.runId) })),
  };
}

/** The seed's two routes, then one per declared dataset and one for all of them. */
export const BATCH_ROUTES: Record<string, Route> = {
  "/api/batch/sync-convocatorias": syncRoute("convocatorias", true),
  "/api/batch/sync-convocatoria-individual": {
    required: { bdns: "string" },
    optional: { runId: "string" },
    trigger: (service, b) => service.triggerConvocatoriaDetail(str(b.bdns)!, defined({ runId: str(b.runId) })),
  },
  ...Object.fromEntries(DATASETS.map((d) => [`/api/batch/sync-${d.name}`, syncRoute(d.name, d.strategy === "windowed")])),
  "/api/batch/sync-all": syncRoute(SYNC_ALL, true),
};

/**
 * A request to a batch path that is not one: `sync-<unknown dataset>` is invalid input (400) naming
 * the valid datasets, as `ayida-jobs sync <unknown>` is; anything else under /api/batch/ a 404
 * naming the routes.
 */
export function unknownBatchRoute(path: string): HttpError | undefined {
  const dataset = /^\/api\/batch\/sync-(.+)$/.exec(path)?.[1];
  if (dataset !== undefined) {
    const issue = { field: "dataset", value: dataset, rule: `is not a dataset that can be synced; valid: ${SYNCABLE_DATASETS.join(", ")}, or ${SYNC_ALL}` };
    return new HttpError(400, "INVALID_INPUT", `dataset: ${JSON.stringify(dataset)} ${issue.rule}`, { issues: [issue] });
  }
  if (!path.startsWith("/api/batch/")) return undefined;
  return new HttpError(404, "NOT_FOUND", `no route for ${path}; batch routes: ${Object.keys(BATCH_ROUTES).join(", ")}`);
}

/** The batch route at `path` (a key of BATCH_ROUTES): 202 once the event API took the events. */
export async function handleBatch(path: string, request: Request, o: { service: InngestServiceApi; cronSecret: string | undefined }): Promise<Response> {
  const route = BATCH_ROUTES[path]!;
  allowMethods(request, "POST");
  checkBearer(request, o.cronSecret);
  const body = checkShape(route, await readJsonBody(request));
  let result: TriggerResult;
  try {
    result = await route.trigger(o.service, body);
  } catch (err) {
    if (err instanceof InvalidInputError) throw new HttpError(400, "INVALID_INPUT", err.message, { issues: err.issues });
    if (err instanceof EventSendError) {
      // Say what is known: nothing left, or the event may be queued already. Either way a retry with
      // the same runId is safe: the event id derives from it.
      const fate = err.requestsSent === 0 ? "nothing was sent" : err.mayHaveArrived || err.sent.length > 0 ? "the event may have been queued" : "the event API refused it";
      throw new HttpError(502, "EVENT_API_UNAVAILABLE", `the Inngest event API failed (${err.reason}): ${err.message}; ${fate}; retrying with runId ${err.runId ?? "(the same)"} is safe`, { runId: err.runId });
    }
    throw err;
  }
  return jsonResponse(202, { ok: true, queued: true, runId: result.runId, ids: result.ids });
}

/** A JSON object with only the route's fields, each of its type. Names the field and the rule. */
function checkShape(route: Route, body: unknown): Record<string, string | boolean | undefined> {
  if (body === undefined) body = {};
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new HttpError(400, "INVALID_INPUT", "body: must be a JSON object");
  const types = { ...route.required, ...route.optional };
  const known = Object.keys(types);
  const out: Record<string, string | boolean | undefined> = {};
  for (const [key, value] of Object.entries(body)) {
    const type = types[key];
    if (!type) throw new HttpError(400, "INVALID_INPUT", `body.${key}: is not a known field; known: ${known.join(", ") || "none"}`);
    if (typeof value !== type) throw new HttpError(400, "INVALID_INPUT", `${key}: ${JSON.stringify(value)} must be ${type === "boolean" ? "true or false" : "a string"}`);
    out[key] = value as string | boolean;
  }
  for (const key of Object.keys(route.required)) if (out[key] === undefined) throw new HttpError(400, "INVALID_INPUT", `${key}: is required`);
  return out;
}

/** Drop the undefined fields: the service's options are optional, not "present but undefined". */
function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}

/**
 * The seed's two batch routes: they send an event and answer 202 at once; the work happens in the
 * functions. Bodies are checked against the contracts before anything is sent.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { InvalidInputError } from "../contracts/errors.js";
import { EventSendError } from "../send-error.js";
import type { InngestServiceApi, TriggerResult } from "../service.js";
import { checkBearer } from "./auth.js";
import { HttpError, readJsonBody, sendJson } from "./http.js";

export const BATCH_ROUTES = {
  "/api/batch/sync-convocatorias": async (service: InngestServiceApi, body: Record<string, string | undefined>) => service.triggerConvocatoriasSync({ ...(body.from !== undefined && { from: body.from }), ...(body.to !== undefined && { to: body.to }) }),
  "/api/batch/sync-convocatoria-individual": async (service: InngestServiceApi, body: Record<string, string | undefined>) => service.triggerConvocatoriaDetail(body.bdns ?? ""),
} as const;

const FIELDS: Record<keyof typeof BATCH_ROUTES, { required: string[]; optional: string[] }> = {
  "/api/batch/sync-convocatorias": { required: [], optional: ["from", "to"] },
  "/api/batch/sync-convocatoria-individual": { required: ["bdns"], optional: [] },
};

export async function handleBatch(path: keyof typeof BATCH_ROUTES, req: IncomingMessage, res: ServerResponse, o: { service: InngestServiceApi; cronSecret: string | undefined }): Promise<void> {
  if (req.method !== "POST") throw new HttpError(405, "METHOD_NOT_ALLOWED", `${req.method} is not allowed here; use POST`, {}, { allow: "POST" });
  checkBearer(req, o.cronSecret);
  const body = checkShape(path, await readJsonBody(req));
  let result: TriggerResult;
  try {
    result = await BATCH_ROUTES[path](o.service, body);
  } catch (err) {
    if (err instanceof InvalidInputError) throw new HttpError(400, "INVALID_INPUT", err.message, { issues: err.issues });
    if (err instanceof EventSendError) throw new HttpError(502, "EVENT_API_UNAVAILABLE", `the Inngest event API failed; nothing was queued: ${err.message}`);
    throw err;
  }
  sendJson(res, 202, { ok: true, queued: true, runId: result.runId, ids: result.ids });
}

/** A JSON object with only the route's fields, all strings. Names the field and the rule. */
function checkShape(path: keyof typeof BATCH_ROUTES, body: unknown): Record<string, string | undefined> {
  const { required, optional } = FIELDS[path];
  if (body === undefined) body = {};
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new HttpError(400, "INVALID_INPUT", "body: must be a JSON object");
  const known = [...required, ...optional];
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!known.includes(key)) throw new HttpError(400, "INVALID_INPUT", `body.${key}: is not a known field; known: ${known.join(", ") || "none"}`);
    if (typeof value !== "string") throw new HttpError(400, "INVALID_INPUT", `${key}: ${JSON.stringify(value)} must be a string`);
    out[key] = value;
  }
  for (const key of required) if (out[key] === undefined) throw new HttpError(400, "INVALID_INPUT", `${key}: is required`);
  return out;
}

/** Signing a request as Inngest signs its calls to an app, for tests that call /api/inngest themselves. */
import { createHmac } from "node:crypto";
import { canonicalJson } from "../../src/adapters/store/store.js";

/** X-Inngest-Signature: t=<unix s>&s=HMAC-SHA256(key without "signkey-<env>-", canonical JSON + t). */
export function inngestSignature(body: string, signingKey: string): string {
  const t = Math.floor(Date.now() / 1000).toString();
  const s = createHmac("sha256", signingKey.replace(/^signkey-\w+-/, "")).update(canonicalJson(JSON.parse(body)) + t).digest("hex");
  return `t=${t}&s=${s}`;
}

/** The body Inngest POSTs to run the detail function for one BDNS code, as a first attempt. */
export function detailExecutionBody(bdnsCode: string, runId: string): string {
  const event = { name: "convocatorias/detail.requested", data: { bdns: bdnsCode, runId, timestamp: "2026-11-28T10:00:00.000Z" }, id: `e-${runId}`, ts: Date.now() };
  return JSON.stringify({ event, events: [event], steps: {}, ctx: { run_id: `01RUN${runId}`, attempt: 0, stack: { stack: [], current: 0 } }, version: 2, use_api: false });
}

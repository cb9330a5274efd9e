/**
 * The seed's "Errores de autorización": CRON_SECRET set, and the deployment's batch routes refusing a
 * request without it (and, when it is set here, accepting it). Both probes carry a body the route
 * refuses (an unknown field), which it checks after the secret and before sending anything: no sync
 * is ever requested by doctor, even from a route that wrongly lets it through.
 */
import { answerText, exchange, isGatewayAnswer, safeUrl, serveDownBehindProxy, unreachable } from "./http.js";
import type { Check } from "./types.js";

const ROUTE = "api/batch/sync-convocatorias";
const PROBE = JSON.stringify({ doctorProbe: "ayida-jobs doctor: refused on purpose, nothing is sent" });

export const cronSecretCheck: Check = {
  id: "cron-secret",
  title: "CRON_SECRET",
  needs: ["app"],
  timeoutFix: "check that serve runs and that AYIDA_SERVER_URL (or --url) is its address",
  async run(ctx, prior) {
    const secret = ctx.env.CRON_SECRET;
    const url = new URL(ROUTE, ctx.server.url.endsWith("/") ? ctx.server.url : `${ctx.server.url}/`).href;
    const details: Record<string, unknown> = { url: safeUrl(url), setHere: Boolean(secret) };
    if (prior.get("app")?.details?.status === undefined) {
      // Nothing answered at the server URL (see the app check): nothing to probe.
      return secret
        ? { status: "skip", message: "set here; the batch routes were not probed: no serve answered (see app /api/inngest)", details }
        : { status: "warn", message: "not set here: the batch routes of a serve with this configuration answer 503", fix: "set CRON_SECRET (a long random value) where serve runs, and give its callers the same value", details };
    }
    if (prior.get("app")?.details?.serveDown) {
      return { status: "skip", message: "the batch routes were not probed: serve is down behind the proxy at that address (see app /api/inngest)", details };
    }
    const post = (auth?: string) => exchange(url, { method: "POST", headers: { "content-type": "application/json", ...(auth && { authorization: auth }) }, body: PROBE, signal: ctx.signal });
    let anon;
    try {
      anon = await post();
    } catch (err) {
      return { status: "fail", message: `no answer from ${safeUrl(url)} (${unreachable(err)})`, fix: "check that serve runs there", details };
    }
    details.withoutSecret = anon.status;
    if (isGatewayAnswer(anon)) return { status: "fail", ...serveDownBehindProxy(url, anon), details };
    if (anon.status === 503) {
      return { status: secret ? "fail" : "warn", message: `the deployment's batch routes are closed (503): CRON_SECRET is not set where serve runs${secret ? ", though it is here" : ""}`, fix: "set CRON_SECRET where serve runs (the same value the callers send as Authorization: Bearer …)", details };
    }
    if (anon.status !== 401) {
      return { status: "fail", message: `${safeUrl(url)} did not refuse a request without Authorization (HTTP ${anon.status}: ${answerText(anon)})`, fix: "the batch routes must answer 401 without Bearer CRON_SECRET: is AYIDA_SERVER_URL an ayida-jobs serve, behind a proxy that adds credentials?", details };
    }
    if (!secret) return { status: "warn", message: "the deployment refuses requests without the secret (401), but CRON_SECRET is not set here to test it", fix: "run doctor with the deployment's CRON_SECRET to check that callers' value is the one serve expects", details };
    let authed;
    try {
      authed = await post(`Bearer ${secret}`);
    } catch (err) {
      return { status: "fail", message: `no answer from ${safeUrl(url)} (${unreachable(err)})`, fix: "check that serve runs there", details };
    }
    details.withSecret = authed.status;
    if (isGatewayAnswer(authed)) return { status: "fail", ...serveDownBehindProxy(url, authed), details };
    if (authed.status === 401) return { status: "fail", message: "the deployment refuses this CRON_SECRET (401): serve's value differs", fix: "give serve and its callers (cron host, CI) the same CRON_SECRET", details };
    if (authed.status === 400) return { status: "ok", message: "set; the batch routes refuse requests without it (401) and accept this one (the probe's body was refused, so nothing was sent)", details };
    return { status: "warn", message: `the batch route answered HTTP ${authed.status} to a request with CRON_SECRET (${answerText(authed)})`, fix: "check serve's log for that request", details };
  },
};

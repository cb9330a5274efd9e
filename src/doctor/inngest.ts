/**
 * The Inngest checks — the seed's "Jobs no se ejecutan": is the event API there and does it take our
 * key, is the app's /api/inngest reachable, does its signing key authenticate, and has Inngest
 * registered all its functions (an event sent before that never runs).
 *
 * - Event key: `POST /e/<key>` with an empty batch `[]`. The event API checks the key before it reads
 *   the body: a wrong key is 401 (observed on `inngest start --event-key`: `{"error":"Event key not
 *   found"}`), a good one gets `{"ids":[""],"status":200}` and no event is stored. Nothing is sent.
 * - Signing key (cloud mode): Inngest's REST API (`GET /v1/events?limit=1`) with the hashed key as a
 *   Bearer token, as the SDK authenticates; 401 means Inngest does not know the key. And the app's
 *   introspection (`GET /api/inngest`) signed with it: `authentication_succeeded: true` means the app
 *   holds the same key.
 * - Registration (Dev Server, or a self-hosted server with its GraphQL API): `POST /v0/gql`
 *   `{ apps { … functionCount } }` against the `function_count` the app reports.
 */
import { createHmac } from "node:crypto";
import { eventApiBaseUrl, inngestMode } from "../config/env.js";
import { CLOUD_API, apiBaseUrl, branchHeader, hashedSigningKey } from "../config/inngest-api.js";
import { APP_ID } from "../contracts/schemas.js";
import { devServerStartCommand } from "../config/dev-server.js";
import { answerText, exchange, isGatewayAnswer, safeUrl, serveDownBehindProxy, unreachable } from "./http.js";
import type { Check, CheckResult } from "./types.js";

export { CLOUD_API, apiBaseUrl, hashedSigningKey } from "../config/inngest-api.js";

/** `X-Inngest-Signature` for a body-less request (GET), as the SDK verifies it. */
export function signatureFor(key: string, body = "", now = Date.now()): string {
  const t = Math.round(now / 1000);
  const s = createHmac("sha256", key.replace(/^signkey-\w+-/, "")).update(body + String(t)).digest("hex");
  return `t=${t}&s=${s}`;
}

const envHeader = (): Record<string, string> => branchHeader(process.env);

export const eventApiCheck: Check = {
  id: "event-api",
  title: "event API",
  timeoutFix: "check that the event API URL is right (INNGEST_DEV / INNGEST_BASE_URL / INNGEST_EVENT_API_BASE_URL) and reachable from here",
  async run(ctx) {
    const { mode } = inngestMode(ctx.env);
    const base = eventApiBaseUrl(ctx.env);
    const key = ctx.env.INNGEST_EVENT_KEY;
    if (mode === "cloud" && !key) return { status: "skip", message: "no INNGEST_EVENT_KEY to test (see configuration)", details: { url: base } };
    const details = { url: base, keyTested: Boolean(key) };
    let a;
    try {
      a = await exchange(new URL(`e/${encodeURIComponent(key ?? "NO_EVENT_KEY_SET")}`, base).href, { method: "POST", headers: { "content-type": "application/json", ...envHeader() }, body: "[]", signal: ctx.signal });
    } catch (err) {
      if (mode === "dev") return { status: "fail", message: `no Dev Server at ${base} (${unreachable(err)})`, fix: `start it: ${devServerStartCommand(base)}; if it listens elsewhere, set INNGEST_DEV to its URL`, details };
      return { status: "fail", message: `the event API at ${base} is unreachable (${unreachable(err)})`, fix: "check INNGEST_BASE_URL / INNGEST_EVENT_API_BASE_URL and the network (proxy, firewall)", details };
    }
    if (a.status === 401 || a.status === 403) {
      return { status: "fail", message: `the event API at ${base} rejected INNGEST_EVENT_KEY (HTTP ${a.status}: ${answerText(a)})`, fix: "copy an event key of this environment from the Inngest dashboard (Manage → Event keys); for a branch environment also set INNGEST_ENV", details: { ...details, status: a.status } };
    }
    if (a.status >= 200 && a.status < 300) {
      const what = mode === "dev" ? `the Dev Server at ${base} answers` : `reachable at ${base}; INNGEST_EVENT_KEY accepted`;
      return { status: "ok", message: `${what} (tested with an empty batch: nothing was sent)`, details: { ...details, status: a.status } };
    }
    if (a.status === 400) {
      // The key is checked before the body: a 400 about the empty batch means the key passed.
      return { status: "ok", message: `reachable at ${base}; key accepted (it refused the empty test batch: ${answerText(a)})`, details: { ...details, status: a.status } };
    }
    return { status: "fail", message: `the event API at ${base} answered HTTP ${a.status}: ${answerText(a)}`, fix: a.status === 404 ? "that URL is not an Inngest event API: check INNGEST_BASE_URL / INNGEST_EVENT_API_BASE_URL" : "retry later; if it persists, check Inngest's status page", details: { ...details, status: a.status } };
  },
};

export const signingKeyCheck: Check = {
  id: "signing-key",
  title: "signing key",
  timeoutFix: "check INNGEST_API_BASE_URL / INNGEST_BASE_URL and the network",
  async run(ctx) {
    if (inngestMode(ctx.env).mode === "dev") return { status: "skip", message: "dev mode: nothing is signed" };
    const key = ctx.env.INNGEST_SIGNING_KEY;
    if (!key) return { status: "skip", message: "no INNGEST_SIGNING_KEY to test (see configuration)" };
    const base = apiBaseUrl(ctx.env);
    const url = new URL("v1/events?limit=1", base).href;
    const tryKey = async (k: string) => exchange(url, { headers: { authorization: `Bearer ${hashedSigningKey(k)}`, ...envHeader() }, signal: ctx.signal });
    let a;
    try {
      a = await tryKey(key);
      if ((a.status === 401 || a.status === 403) && ctx.env.INNGEST_SIGNING_KEY_FALLBACK) {
        const b = await tryKey(ctx.env.INNGEST_SIGNING_KEY_FALLBACK);
        if (b.status === 200) return { status: "warn", message: `Inngest at ${base} accepts INNGEST_SIGNING_KEY_FALLBACK but not INNGEST_SIGNING_KEY`, fix: "finish the key rotation: set INNGEST_SIGNING_KEY to the current key", details: { url: base } };
      }
    } catch (err) {
      return { status: "fail", message: `Inngest's API at ${base} is unreachable (${unreachable(err)})`, fix: "check INNGEST_API_BASE_URL / INNGEST_BASE_URL and the network", details: { url: base } };
    }
    if (a.status === 200) return { status: "ok", message: `Inngest's API at ${base} accepts INNGEST_SIGNING_KEY`, details: { url: base, status: a.status } };
    if (a.status === 401 || a.status === 403) {
      return { status: "fail", message: `Inngest's API at ${base} rejected INNGEST_SIGNING_KEY (HTTP ${a.status}: ${answerText(a)})`, fix: "copy the signing key of this environment from the Inngest dashboard (Manage → Signing key); serve needs the same one", details: { url: base, status: a.status } };
    }
    return { status: "warn", message: `could not tell: Inngest's API at ${base} answered HTTP ${a.status} (${answerText(a)})`, fix: "check INNGEST_API_BASE_URL / INNGEST_BASE_URL", details: { url: base, status: a.status } };
  },
};

interface Introspection {
  mode?: string;
  function_count?: number;
  has_event_key?: boolean;
  has_signing_key?: boolean;
  authentication_succeeded?: boolean;
}

export const appCheck: Check = {
  id: "app",
  title: "app /api/inngest",
  timeoutFix: "check that serve runs and that AYIDA_SERVER_URL (or --url) is its address as seen from here",
  async run(ctx) {
    const { mode } = inngestMode(ctx.env);
    const url = new URL("api/inngest", withSlash(ctx.server.url)).href;
    const key = ctx.env.INNGEST_SIGNING_KEY;
    const headers: Record<string, string> = mode === "cloud" && key ? { "x-inngest-signature": signatureFor(key) } : {};
    const details: Record<string, unknown> = { url: safeUrl(url), from: ctx.server.from };
    let a;
    try {
      a = await exchange(url, { headers, signal: ctx.signal });
    } catch (err) {
      const why = `no answer from ${safeUrl(url)} (${unreachable(err)})`;
      if (ctx.server.from === "default") return { status: "warn", message: `${why}: no serve on this machine's default port`, fix: "point doctor at the deployment: AYIDA_SERVER_URL=https://… or --url; or start one here: ayida-jobs serve", details };
      return { status: "fail", message: why, fix: `start serve there (ayida-jobs serve), or fix ${ctx.server.from} if it is not the deployment's address`, details };
    }
    const intro = (a.json ?? {}) as Introspection;
    Object.assign(details, { status: a.status, mode: intro.mode, functionCount: intro.function_count, expectedFunctions: ctx.expectedFunctions.length });
    if (isGatewayAnswer(a)) return { status: "fail", ...serveDownBehindProxy(url, a), details: { ...details, serveDown: true } };
    if (a.status === 500 && /internal_server_error/.test(a.text)) {
      return { status: "fail", message: `${safeUrl(url)} answers 500: the app runs in cloud mode without a signing key`, fix: "set INNGEST_SIGNING_KEY (and INNGEST_EVENT_KEY) where serve runs, or INNGEST_DEV=1 for a Dev Server", details };
    }
    if (a.status === 401 && mode === "dev") {
      return { status: "warn", message: `the app runs in cloud mode (it answers only signed requests: 401), this configuration is dev mode`, fix: "use the deployment's environment (INNGEST_DEV, keys) when running doctor, or fix serve's", details: { ...details, mode: "cloud" } };
    }
    if (a.status === 401 && mode === "cloud") {
      if (!key) return { status: "warn", message: `${safeUrl(url)} answers (cloud mode) but only to signed requests, and there is no INNGEST_SIGNING_KEY here to sign with`, fix: "run doctor with the deployment's INNGEST_SIGNING_KEY to check that it authenticates", details };
      return { status: "fail", message: `the app at ${safeUrl(url)} refused a request signed with INNGEST_SIGNING_KEY: its signing key is not this one`, fix: "give serve and Inngest the same signing key (Inngest dashboard → Manage → Signing key)", details };
    }
    if (a.status !== 200 || typeof intro.function_count !== "number") {
      return { status: "fail", message: `${safeUrl(url)} answered HTTP ${a.status} without the Inngest SDK's introspection (${answerText(a)})`, fix: "AYIDA_SERVER_URL (or --url) must be the address of ayida-jobs serve, whose Inngest endpoint is /api/inngest", details };
    }
    if (intro.mode !== mode) {
      return { status: "warn", message: `the app runs in ${intro.mode} mode, this configuration is ${mode} mode (${intro.function_count} functions)`, fix: "use the deployment's environment (INNGEST_DEV, keys) when running doctor, or fix serve's", details };
    }
    if (mode === "cloud") {
      details.authenticationSucceeded = intro.authentication_succeeded === true;
      if (intro.authentication_succeeded !== true) return { status: "fail", message: `the app at ${safeUrl(url)} did not authenticate a request signed with INNGEST_SIGNING_KEY: its signing key is not this one`, fix: "give serve and Inngest the same signing key (Inngest dashboard → Manage → Signing key)", details };
    }
    const functions = `${intro.function_count} function${intro.function_count === 1 ? "" : "s"}`;
    const auth = mode === "cloud" ? "; the signing key authenticates" : "";
    if (intro.function_count !== ctx.expectedFunctions.length) {
      return { status: "warn", message: `reachable (${mode} mode, ${functions}${auth}); this version and configuration serve ${ctx.expectedFunctions.length}`, fix: "the deployment runs another version of ayida-jobs or other SCHEDULE_<DATASET> settings: compare with `ayida-jobs serve --check`", details };
    }
    return { status: "ok", message: `reachable at ${safeUrl(url)} (${mode} mode, ${functions}${auth})`, details };
  },
};

interface GqlApp {
  name?: string;
  externalID?: string;
  functionCount?: number;
  url?: string;
  error?: string | null;
  functions?: Array<{ slug: string }>;
}

export const syncCheck: Check = {
  id: "functions-registered",
  title: "functions registered",
  needs: ["app"],
  timeoutFix: "the Dev Server (or self-hosted Inngest) did not answer its GraphQL API in time: check it runs",
  async run(ctx, prior): Promise<CheckResult> {
    const { mode } = inngestMode(ctx.env);
    const base = apiBaseUrl(ctx.env);
    if (mode === "cloud" && base === CLOUD_API) {
      return { status: "skip", message: "Inngest Cloud does not say from here: see the app's functions in the dashboard (Apps → ayida-portal); the signing-key checks cover its authentication" };
    }
    const app = prior.get("app");
    const appCount = typeof app?.details?.functionCount === "number" ? (app.details.functionCount as number) : undefined;
    const expected = appCount ?? ctx.expectedFunctions.length;
    const appUrl = new URL("api/inngest", withSlash(ctx.server.url)).href;
    let a;
    try {
      a = await exchange(new URL("v0/gql", base).href, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ apps { name externalID functionCount url error functions { slug } } }" }), signal: ctx.signal });
    } catch (err) {
      if (mode === "dev") return { status: "fail", message: `no Dev Server at ${base} (${unreachable(err)}): nothing registers or runs the functions`, fix: `start it: ${devServerStartCommand(base)} -u ${appUrl} --no-discovery`, details: { url: base } };
      return { status: "fail", message: `Inngest at ${base} is unreachable (${unreachable(err)})`, fix: "check INNGEST_BASE_URL / INNGEST_API_BASE_URL", details: { url: base } };
    }
    const apps = (a.json as { data?: { apps?: GqlApp[] } } | undefined)?.data?.apps;
    if (a.status !== 200 || !Array.isArray(apps)) {
      if (mode === "cloud") return { status: "skip", message: `Inngest at ${base} has no GraphQL API to ask (HTTP ${a.status}); see its dashboard for the app's functions`, details: { url: base } };
      return { status: "fail", message: `the Dev Server at ${base} did not answer POST /v0/gql (HTTP ${a.status}: ${answerText(a)})`, fix: "is INNGEST_DEV the Dev Server's URL?", details: { url: base } };
    }
    const found = apps.find((x) => x.externalID === APP_ID || x.name === APP_ID);
    const resync = `curl -X PUT ${appUrl} (or restart the Dev Server with -u ${appUrl} --no-discovery)`;
    if (!found) {
      return { status: "fail", message: `${base} has not registered the app ${APP_ID}: events sent now are stored but never run`, fix: `sync it: ${resync}; the Dev Server must reach ${appUrl}`, details: { url: base, apps: apps.map((x) => x.externalID ?? x.name) } };
    }
    const registered = found.functionCount ?? found.functions?.length ?? 0;
    const details: Record<string, unknown> = { url: base, appUrl: found.url, registered, expected, ...(found.error && { error: found.error }) };
    const slugs = new Set((found.functions ?? []).map((f) => f.slug));
    const missing = ctx.expectedFunctions.filter((id) => !slugs.has(id));
    if (found.error) return { status: "fail", message: `${APP_ID} is registered at ${base} with an error: ${found.error}`, fix: `fix what it says, then ${resync}`, details };
    if (registered < expected) {
      if (appCount === undefined && missing.length > 0) details.missing = missing;
      return { status: "fail", message: `${base} registered ${registered} of the app's ${expected} functions: events for the others never run`, fix: `re-sync: ${resync}; if it still registers fewer, the Dev Server's log says which function it rejected (one invalid function makes it register none)`, details };
    }
    if (registered > expected) {
      return { status: "warn", message: `${base} has ${registered} functions for ${APP_ID}, the app serves ${expected}: a stale sync (renamed or removed functions, or schedules turned off)`, fix: `re-sync: ${resync}`, details };
    }
    return { status: "ok", message: `${base} registered all ${registered} functions of ${APP_ID} (from ${found.url ?? "?"})`, details };
  },
};

function withSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

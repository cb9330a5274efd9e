/**
 * `ayida-jobs/inngest`: the jobs inside the portal's own app, in the seed's layout —
 *
 *   src/inngest/client.ts          export const inngest = createClient();
 *   src/inngest/functions.ts       export const functions = createFunctions(inngest);
 *   src/app/api/inngest/route.ts   export const { GET, POST, PUT } = guardInngest(inngest, serve({ client: inngest, functions }));
 *
 * with `serve` from the SDK's own adapter for the app's framework (`inngest/next`, `inngest/express`,
 * `inngest/hono`, …), and the batch routes, /api/runs, /health and /metrics from `createRoutes` as
 * Web-standard handlers a route.ts exports. `ayida-jobs serve` is built from these same pieces.
 */
export { createClient, type CreateClientOptions, type AyidaInngest } from "./config/client.js";
export { createHostedFunctions as createFunctions, type FunctionsOptions, type AyidaFunctions } from "./functions/host.js";
export { createRoutes, type HostRoutesOptions as RoutesOptions } from "./server/host.js";
export type { Routes } from "./server/routes.js";
export type { WebHandler } from "./server/http.js";
export { guardInngest, INNGEST_PATH, MAX_INNGEST_BODY_BYTES } from "./server/inngest-route.js";
export { APP_ID } from "./contracts/schemas.js";
export { ConfigError } from "./config/errors.js";

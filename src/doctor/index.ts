/**
 * `ayida-jobs doctor`: the seed's Troubleshooting section as checks. Every check has its own time
 * limit; independent checks run at once; the two that read another's result (the registration and
 * the batch routes read the app's) start when it ends, so the whole takes at most two limits.
 */
import type { Env } from "../config/env.js";
import { configurationCheck, schedulesCheck } from "./config.js";
import { cronSecretCheck } from "./deployment.js";
import { appCheck, eventApiCheck, signingKeyCheck, syncCheck } from "./inngest.js";
import { bdnsCheck, documentsCheck, storeCheck } from "./local.js";
import { runChecks } from "./run.js";
import { verifyDocumentsCheck } from "./verify-documents.js";
import type { Check, CheckReport, DoctorContext } from "./types.js";

export { parseEnvLeniently } from "./config.js";
export type { CheckReport, CheckStatus } from "./types.js";

/** In the order they are printed: configuration, Inngest, the deployment, then what the functions use. */
export const CHECKS: readonly Check[] = [configurationCheck, schedulesCheck, eventApiCheck, signingKeyCheck, appCheck, syncCheck, cronSecretCheck, bdnsCheck, storeCheck, documentsCheck];
/** `--verify-documents`: every stored document re-hashed (after the others; not held to --timeout). */
export const VERIFY_DOCUMENTS_CHECK: Check = verifyDocumentsCheck;

/**
 * The function ids this configuration serves, as Inngest registers them: each function, and for each
 * with an onFailure handler its `-failure` function (the SDK's introspection counts those too).
 */
export async function expectedFunctionIds(env: Env): Promise<string[]> {
  const [{ createInngestClient }, { createFunctions, createJobDeps }, { parseSchedules }, { default: pino }] = await Promise.all([import("../config/client.js"), import("../functions/index.js"), import("../config/schedules.js"), import("pino")]);
  const client = createInngestClient(env);
  const deps = createJobDeps(env, pino({ level: "silent" }));
  return createFunctions(client, deps, parseSchedules(env)).flatMap((f) => {
    const id = f.id(client.id);
    return (f as unknown as { opts: { onFailure?: unknown } }).opts.onFailure ? [id, `${id}-failure`] : [id];
  });
}

export async function runDoctor(o: Omit<DoctorContext, "signal" | "expectedFunctions"> & { checks?: readonly Check[] }): Promise<CheckReport[]> {
  const expectedFunctions = await expectedFunctionIds(o.env);
  return runChecks(o.checks ?? CHECKS, { ...o, expectedFunctions });
}

/**
 * Where Inngest's REST API is and how to authenticate to it, as the SDK does: shared by `doctor`
 * (is the signing key accepted?) and by what reads the engine's record of runs (serve's reconcile,
 * `--wait`). The Dev Server and a self-hosted server without a key need no authentication; Inngest
 * Cloud wants the signing key, hashed, as a Bearer token.
 */
import { createHash } from "node:crypto";
import { DEV_SERVER_URL, branchEnvironment, inngestMode, type Env } from "./env.js";

export const CLOUD_API = "https://api.inngest.com/";

/** Where the SDK syncs and calls the REST API, in its order (as eventApiBaseUrl does for events). */
export function apiBaseUrl(env: Env): string {
  const { mode, devUrl } = inngestMode(env);
  return env.INNGEST_API_BASE_URL ?? env.INNGEST_BASE_URL ?? devUrl ?? (mode === "dev" ? DEV_SERVER_URL : CLOUD_API);
}

/** The signing key as the SDK sends it as a Bearer token: `signkey-<env>-` + sha256 of the key's bytes. */
export function hashedSigningKey(key: string): string {
  const prefix = /^signkey-\w+-/.exec(key)?.[0] ?? "";
  return prefix + createHash("sha256").update(Buffer.from(key.slice(prefix.length), "hex")).digest("hex");
}

/** The branch environment header the SDK adds (`x-inngest-env`), when one is chosen. */
export function branchHeader(source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const branch = branchEnvironment(source);
  return branch ? { "x-inngest-env": branch.name } : {};
}

/**
 * Bearer tokens: `Authorization: Bearer <CRON_SECRET>` for /api/batch/* and /api/runs, `<METRICS_TOKEN>`
 * for /metrics, compared in constant time. Without CRON_SECRET the batch and runs routes are closed
 * (503), never open.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { HttpError } from "./http.js";

export function checkBearer(request: Request, secret: string | undefined): void {
  if (!secret) throw new HttpError(503, "NOT_CONFIGURED", "batch routes are disabled: CRON_SECRET is not set on this server");
  if (!bearerMatches(request, secret)) {
    throw new HttpError(401, "UNAUTHORIZED", "missing or wrong Authorization: Bearer <CRON_SECRET>", {}, { "www-authenticate": 'Bearer realm="ayida-jobs"' });
  }
}

/** Whether the request carries `Authorization: Bearer <secret>`, compared in constant time. */
export function bearerMatches(request: Request, secret: string): boolean {
  const token = /^Bearer (.+)$/i.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
  // Hash both sides first: timingSafeEqual needs equal lengths, and the length must not leak either.
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return token !== "" && timingSafeEqual(digest(token), digest(secret));
}

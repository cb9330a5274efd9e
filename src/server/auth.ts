/**
 * Authorization for /api/batch/*: `Authorization: Bearer <CRON_SECRET>`, compared in constant time.
 * Without CRON_SECRET the routes are closed (503), never open.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { HttpError } from "./http.js";

export function checkBearer(req: IncomingMessage, secret: string | undefined): void {
  if (!secret) throw new HttpError(503, "NOT_CONFIGURED", "batch routes are disabled: CRON_SECRET is not set on this server");
  const header = req.headers.authorization ?? "";
  const token = /^Bearer (.+)$/i.exec(header)?.[1] ?? "";
  // Hash both sides first: timingSafeEqual needs equal lengths, and the length must not leak either.
  const digest = (s: string) => createHash("sha256").update(s).digest();
  if (!token || !timingSafeEqual(digest(token), digest(secret))) {
    throw new HttpError(401, "UNAUTHORIZED", "missing or wrong Authorization: Bearer <CRON_SECRET>", {}, { "www-authenticate": 'Bearer realm="ayida-jobs"' });
  }
}

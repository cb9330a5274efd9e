/**
 * The process logger: pino, JSON lines on stderr (stdout stays for results). Keys and the
 * Authorization header are redacted by path, wherever they appear in a logged object.
 */
import pino, { type Logger } from "pino";
import type { Env } from "./env.js";

export type { Logger };

export function createLogger(env: Pick<Env, "LOG_LEVEL">, destination: pino.DestinationStream = pino.destination({ fd: 2, sync: false })): Logger {
  return pino(
    {
      level: env.LOG_LEVEL ?? "info",
      base: { app: "ayida-jobs" },
      redact: {
        paths: ["authorization", "*.authorization", "headers.authorization", "*.headers.authorization", "eventKey", "signingKey", "*.eventKey", "*.signingKey", "cronSecret"],
        censor: "***",
      },
    },
    destination,
  );
}

/**
 * Every BDNS failure, sorted once into transient (retry later: the backend will recover) or permanent
 * (retrying cannot help: record it and move on). The functions turn these into Inngest's retry
 * decisions; nothing else needs to know how BDNS misbehaves.
 */
export type BdnsFailure =
  | "NETWORK" // connection refused/reset, DNS
  | "TIMEOUT" // no answer within the per-request timeout
  | "RATE_LIMITED" // 429: a burst of simultaneous starts
  | "SERVER" // 5xx
  | "MAINTENANCE" // ERR_MANTENIMIENTO_BBDD, with any status
  | "TRUNCATED" // the body ended before it was complete
  | "VALIDATION" // ERR_VALIDACION or another 400: our request is wrong
  | "NOT_FOUND" // 204/404/ERR_SIN_RESULTADOS: no such convocatoria
  | "UNKNOWN_DOCUMENT" // 400 mentioning "documento": no such document
  | "BROKEN_RECORD"; // HTML or a body that is not the record's shape

const TRANSIENT: ReadonlySet<BdnsFailure> = new Set(["NETWORK", "TIMEOUT", "RATE_LIMITED", "SERVER", "MAINTENANCE", "TRUNCATED"]);

export class BdnsError extends Error {
  override readonly name = "BdnsError";
  readonly transient: boolean;

  constructor(
    readonly failure: BdnsFailure,
    message: string,
    readonly o: { status?: number; retryAfterMs?: number; path?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: o.cause });
    this.transient = TRANSIENT.has(failure);
  }

  get status(): number | undefined {
    return this.o.status;
  }

  /** How long the server asked us to wait (Retry-After), if it did. */
  get retryAfterMs(): number | undefined {
    return this.o.retryAfterMs;
  }
}

/**
 * Reading runs failed for a reason the caller can act on: the source is down (`unavailable`: the CLI
 * exits 69) or refuses us (`refused`: a wrong CRON_SECRET, a server without /api/runs; 78). Its own
 * module, without imports, so the CLI's error mapping can know it without loading any store code.
 */
export class RunSourceError extends Error {
  override readonly name = "RunSourceError";
  constructor(
    message: string,
    readonly reason: "unavailable" | "refused",
    readonly hint?: string,
  ) {
    super(message);
  }
}

/**
 * The store could not be opened (or migrated) for a reason of the deployment, not a bug: the
 * database is down (`unavailable`: the CLI exits 69) or DATABASE_URL names no store this process can
 * use (`config`: a file that is not SQLite, a path under a file, a refused login; 78). Its own module,
 * without imports, so the CLI's error mapping can know it without loading any store code.
 */
export class StoreOpenError extends Error {
  override readonly name = "StoreOpenError";
  constructor(
    message: string,
    readonly reason: "unavailable" | "config",
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Connection failures: the database may come back, so not a configuration error. */
const UNAVAILABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "57P01", "57P02", "57P03", "53300"]);
/** DATABASE_URL names nothing this process can open as its store. */
const CONFIG = new Set(["ERR_INVALID_URL", "SQLITE_NOTADB", "SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_CORRUPT", "SQLITE_PERM", "SQLITE_AUTH", "EEXIST", "ENOTDIR", "EACCES", "EPERM", "EROFS", "EISDIR", "28P01", "28000", "3D000"]);

/** The codes and messages of an error and its causes (a driver's error is often wrapped). */
function causes(err: unknown): { codes: string[]; messages: string[] } {
  const codes: string[] = [];
  const messages: string[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
    messages.push(e.message);
  }
  return { codes, messages };
}

/**
 * Why a query failed, when the store is to blame and not the query: `busy` — a lock another session
 * holds outlasted the read's lock or statement timeout (PostgreSQL 55P03, 57014), or SQLite's file
 * stayed locked past busy_timeout; `unavailable` — the database is down or the connection was lost.
 * undefined: anything else (a bug, a missing table).
 */
export function storeTrouble(err: unknown): "busy" | "unavailable" | undefined {
  const { codes, messages } = causes(err);
  if (codes.some((c) => BUSY.has(c)) || messages.some((m) => /database is locked|canceling statement due to (lock|statement) timeout/i.test(m))) return "busy";
  if (codes.some((c) => UNAVAILABLE.has(c)) || messages.some((m) => /Connection terminated|timeout expired|not queryable|connection error|ECONNREFUSED|terminating connection/i.test(m))) return "unavailable";
  return undefined;
}
const BUSY = new Set(["55P03", "57014", "SQLITE_BUSY", "SQLITE_LOCKED"]);

/** What an error from opening the store at `location` (never a URL with its password) means; undefined: not known to be either. */
export function classifyStoreOpenError(err: unknown, location: string): StoreOpenError | undefined {
  const { codes, messages } = causes(err);
  const said = messages[0] ?? String(err);
  if (codes.some((c) => UNAVAILABLE.has(c)) || messages.some((m) => /timeout expired|Connection terminated|connect ETIMEDOUT/i.test(m))) {
    return new StoreOpenError(`cannot reach the store at ${location}: ${said}`, "unavailable", "check that the database is up and reachable from here, and DATABASE_URL", { cause: err });
  }
  if (codes.some((c) => CONFIG.has(c) || c.startsWith("SQLITE_CANTOPEN"))) {
    return new StoreOpenError(`cannot use the store at ${location}: ${said}`, "config", "DATABASE_URL must name a SQLite file this process can create or open (in a folder, not under a file), or a PostgreSQL database it can log in to", { cause: err });
  }
  return undefined;
}

/**
 * DATABASE_URL: which store, read one way everywhere (serve, the functions, the budget, `runs`,
 * `doctor`). The rule a reviewer can state: a value with a scheme is a URL, anything else a path.
 *
 * - no scheme: a SQLite file, relative to the working directory or absolute (`./data/ayida-jobs.db`,
 *   the default). A name with a colon in it is written as a path: `./odd:name.db`. A drive letter
 *   (`C:\…`) is not a scheme.
 * - `sqlite:` or `file:` (any case): a SQLite file, written as SQLite's own URI file names are:
 *   `sqlite:data/x.db` relative, `sqlite:/srv/x.db`, `sqlite:///srv/x.db` or `sqlite://localhost/srv/x.db`
 *   absolute; percent-escapes are decoded. A host (`sqlite://x.db`), a query or a fragment is refused:
 *   SQLAlchemy and SQLite disagree on what they would mean, and a guess would create a file elsewhere.
 * - `postgres://` or `postgresql://` (any case): PostgreSQL, as libpq and pg read it; libpq's
 *   `connect_timeout` (seconds, 0 for none) bounds connecting, 10 s by default.
 * - any other scheme (`mysql://`, a one-slash `postgresql:/…`): refused.
 *
 * A refusal is a ConfigError (exit 78) naming DATABASE_URL and the rule, never the value: it may hold
 * a password. Before this, a mistyped URL became a SQLite file named after it, password included.
 */
import { resolve } from "node:path";
import { ConfigError } from "./errors.js";

export const DEFAULT_DATABASE_FILE = "./data/ayida-jobs.db";
/** Connecting to PostgreSQL gives up after this long unless the URL's connect_timeout says otherwise. */
export const DEFAULT_CONNECT_TIMEOUT_S = 10;

export type DatabaseTarget =
  | { dialect: "sqlite"; /** absolute */ file: string }
  | {
      dialect: "postgres";
      /** The URL to connect with (its scheme in lower case). Holds the password: never print it. */
      url: string;
      /** host:port/database, for messages. */
      location: string;
      /** undefined: no limit (connect_timeout=0). */
      connectTimeoutMs: number | undefined;
    };

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]+):/; // two characters or more: `C:\data` is a path
const ACCEPTED = "DATABASE_URL must be a PostgreSQL URL (postgres://user:password@host:port/database, or postgresql://) or a SQLite file: a path (./data/ayida-jobs.db), or sqlite:/file: followed by one";

/** The store DATABASE_URL names (unset: the default SQLite file). Throws ConfigError for anything else. */
export function parseDatabaseUrl(value: string | undefined, cwd = process.cwd()): DatabaseTarget {
  const refuse = (rule: string, hint = ACCEPTED): never => {
    throw new ConfigError(`DATABASE_URL: ${rule}`, "DATABASE_URL", hint);
  };
  if (value === undefined) return { dialect: "sqlite", file: resolve(cwd, DEFAULT_DATABASE_FILE) };
  if (value.startsWith("//")) refuse("starts with // like a URL without its scheme; write postgres://… for PostgreSQL, or a path that does not start with //");
  const scheme = SCHEME.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) return { dialect: "sqlite", file: resolve(cwd, value) };
  if (scheme === "sqlite" || scheme === "file") return { dialect: "sqlite", file: resolve(cwd, sqlitePath(value.slice(scheme.length + 1), scheme, refuse)) };
  if (scheme === "postgres" || scheme === "postgresql") return postgres(`${scheme}${value.slice(scheme.length)}`, scheme, refuse);
  return refuse(`"${value.slice(0, scheme.length)}:" is not a database ayida-jobs can use`);
}

function sqlitePath(rest: string, scheme: string, refuse: (rule: string, hint?: string) => never): string {
  const forms = `write ${scheme}:relative/path.db, ${scheme}:///absolute/path.db, or the path alone`;
  if (/[?#]/.test(rest)) refuse(`a ${scheme}: URL takes no query or fragment here (SQLite's URI parameters are not read)`, forms);
  let path = rest;
  if (rest.startsWith("//")) {
    const end = rest.indexOf("/", 2);
    const host = rest.slice(2, end === -1 ? undefined : end);
    if (host !== "" && host.toLowerCase() !== "localhost") refuse(`a ${scheme}:// URL that names a host is not a local file`, forms);
    path = end === -1 ? "" : rest.slice(end);
  }
  try {
    path = decodeURIComponent(path);
  } catch {
    refuse(`a ${scheme}: URL with a malformed percent-escape`, forms);
  }
  if (path === "" || path.endsWith("/")) refuse(`a ${scheme}: URL that names no file`, forms);
  return path;
}

function postgres(value: string, scheme: string, refuse: (rule: string, hint?: string) => never): DatabaseTarget {
  const shape = `write it postgres://user:password@host:port/database (percent-encode @ : / ? # in the user name and password)`;
  if (!value.startsWith(`${scheme}://`)) refuse(`a ${scheme}: URL needs two slashes after the scheme`, shape);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // WHATWG refuses ports above 65535 too; its message would repeat the value, so it is not used.
    return refuse(`is not a valid URL: check the host, the port (1–65535) and the escaping`, shape);
  }
  if (url.port === "0") refuse("port 0 is not a port to connect to (1–65535)", shape);
  const raw = url.searchParams.get("connect_timeout");
  let connectTimeoutMs: number | undefined = DEFAULT_CONNECT_TIMEOUT_S * 1000;
  if (raw !== null) {
    if (!/^\d{1,6}$/.test(raw)) refuse("connect_timeout must be whole seconds (0 for no limit)", shape);
    connectTimeoutMs = Number(raw) === 0 ? undefined : Number(raw) * 1000;
  }
  return { dialect: "postgres", url: value, location: `${url.host}${url.pathname}`, connectTimeoutMs };
}

/** Where DATABASE_URL's store is, for messages: never the URL itself; never throws. */
export function databaseLocation(value: string | undefined, cwd = process.cwd()): string {
  try {
    const t = parseDatabaseUrl(value, cwd);
    return t.dialect === "sqlite" ? t.file : t.location;
  } catch {
    return "DATABASE_URL (invalid)";
  }
}

/**
 * The password a URL-like value carries, in every form it could be printed (as written, decoded),
 * whatever the value's shape: a valid URL, one slash after the scheme, no slashes, no scheme (`//…`),
 * a port out of range, an unescaped @ in the password. Used to scrub output, so it errs on finding more.
 */
export function urlPasswords(value: string | undefined): string[] {
  if (!value) return [];
  const found = new Set<string>();
  const add = (p: string) => {
    if (!p) return;
    found.add(p);
    try {
      found.add(decodeURIComponent(p));
    } catch {
      /* a stray %: the written form only */
    }
  };
  try {
    add(new URL(value).password);
  } catch {
    /* not a valid URL: the lenient reading below */
  }
  const scheme = SCHEME.exec(value)?.[0] ?? "";
  if (scheme || value.startsWith("//")) {
    const rest = value.slice(scheme.length).replace(/^\/+/, "");
    const colon = rest.indexOf(":");
    // Every @ after the user name's colon may end the password: a URL parser takes the last one.
    if (colon !== -1) for (let at = rest.indexOf("@", colon); at !== -1; at = rest.indexOf("@", at + 1)) add(rest.slice(colon + 1, at));
  }
  return [...found];
}

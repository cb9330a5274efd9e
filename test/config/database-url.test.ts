/**
 * DATABASE_URL: anything with a scheme is a URL (PostgreSQL's two spellings, any case; sqlite: and
 * file: for a SQLite file), anything else a file path; every other scheme, and a URL of the wrong
 * shape, is a configuration error that names the variable and the rule but never the value. A
 * password is found in every shape a value can take, for the output to scrub it.
 */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.js";
import { parseDatabaseUrl, urlPasswords } from "../../src/config/database-url.js";
import { parseEnv, secretValues } from "../../src/config/env.js";

const cwd = "/srv/ayida";
const refused = (value: string): ConfigError => {
  try {
    parseDatabaseUrl(value, cwd);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`${value} was accepted`);
};

describe("parseDatabaseUrl", () => {
  it("no value: the default SQLite file, under the working directory", () => {
    expect(parseDatabaseUrl(undefined, cwd)).toEqual({ dialect: "sqlite", file: "/srv/ayida/data/ayida-jobs.db" });
  });

  it("a value without a scheme is a path: relative to the working directory, or absolute", () => {
    expect(parseDatabaseUrl("x.db", cwd)).toEqual({ dialect: "sqlite", file: "/srv/ayida/x.db" });
    expect(parseDatabaseUrl("./data/x.db", cwd)).toEqual({ dialect: "sqlite", file: "/srv/ayida/data/x.db" });
    expect(parseDatabaseUrl("/var/lib/ayida/x.db", cwd)).toEqual({ dialect: "sqlite", file: "/var/lib/ayida/x.db" });
    expect(parseDatabaseUrl("./odd:name.db", cwd)).toEqual({ dialect: "sqlite", file: "/srv/ayida/odd:name.db" });
    expect(parseDatabaseUrl("C:\\data\\x.db", cwd)).toMatchObject({ dialect: "sqlite" }); // a drive letter is not a scheme
  });

  it("sqlite: and file: name a SQLite file as SQLite's own URI file names do: relative, or absolute with /// or //localhost/", () => {
    for (const scheme of ["sqlite", "file", "SQLite", "FILE"]) {
      expect(parseDatabaseUrl(`${scheme}:x.db`, cwd)).toEqual({ dialect: "sqlite", file: "/srv/ayida/x.db" });
      expect(parseDatabaseUrl(`${scheme}:data/x.db`, cwd)).toEqual({ dialect: "sqlite", file: "/srv/ayida/data/x.db" });
      expect(parseDatabaseUrl(`${scheme}:/var/x.db`, cwd)).toEqual({ dialect: "sqlite", file: "/var/x.db" });
      expect(parseDatabaseUrl(`${scheme}:///var/x.db`, cwd)).toEqual({ dialect: "sqlite", file: "/var/x.db" });
      expect(parseDatabaseUrl(`${scheme}://localhost/var/x.db`, cwd)).toEqual({ dialect: "sqlite", file: "/var/x.db" });
    }
    expect(parseDatabaseUrl("file:///var/my%20store.db", cwd)).toEqual({ dialect: "sqlite", file: "/var/my store.db" });
  });

  it("refuses a sqlite:/file: URL that names a host, has a query or fragment, or no file", () => {
    expect(refused("sqlite://x.db").message).toMatch(/^DATABASE_URL: .*names a host/);
    expect(refused("file://db.internal/var/x.db").message).toMatch(/names a host/);
    expect(refused("file:x.db?mode=ro").message).toMatch(/query/);
    expect(refused("sqlite:x.db#frag").message).toMatch(/query or fragment/);
    expect(refused("sqlite:").message).toMatch(/names no file/);
    expect(refused("file:///var/%zz.db").message).toMatch(/percent/);
  });

  it("postgres:// and postgresql:// in any case are PostgreSQL; the URL handed on has its scheme in lower case", () => {
    for (const scheme of ["postgres", "postgresql", "POSTGRES", "Postgresql"]) {
      const t = parseDatabaseUrl(`${scheme}://admin:pw-123456@db.internal:6432/ayida`, cwd);
      expect(t).toEqual({ dialect: "postgres", url: `${scheme.toLowerCase()}://admin:pw-123456@db.internal:6432/ayida`, location: "db.internal:6432/ayida", connectTimeoutMs: 10_000 });
    }
    expect(parseDatabaseUrl("postgres:///ayida?host=/var/run/postgresql", cwd)).toMatchObject({ dialect: "postgres", location: "/ayida" });
  });

  it("connect_timeout (libpq's, in seconds) bounds connecting; 0 is no limit; anything else is refused", () => {
    expect(parseDatabaseUrl("postgres://db/ayida?connect_timeout=3", cwd)).toMatchObject({ connectTimeoutMs: 3000 });
    expect(parseDatabaseUrl("postgres://db/ayida?sslmode=require&connect_timeout=0", cwd)).toMatchObject({ connectTimeoutMs: undefined });
    expect(refused("postgres://db/ayida?connect_timeout=soon").message).toMatch(/^DATABASE_URL: connect_timeout must be whole seconds/);
  });

  it("refuses a PostgreSQL URL of the wrong shape, never repeating its password", () => {
    const cases: Array<[string, RegExp]> = [
      ["postgresql:/admin:S3cr3t-pass@db.internal/ayida", /two slashes/],
      ["postgres:admin:S3cr3t-pass@db.internal/ayida", /two slashes/],
      ["postgres://admin:S3cr3t-pass@db.internal:99999/ayida", /port/],
      ["postgres://admin:S3cr3t-pass@db.internal:0/ayida", /port/],
      ["postgres://admin:S3cr3t-pass@[::1/ayida", /not a valid URL/],
    ];
    for (const [value, rule] of cases) {
      const err = refused(value);
      expect(err.key).toBe("DATABASE_URL");
      expect(err.message, value).toMatch(rule);
      expect(`${err.message} ${err.hint}`).not.toContain("S3cr3t-pass");
    }
  });

  it("refuses every other scheme, naming it and what is accepted; and a scheme-less // URL", () => {
    for (const value of ["mysql://admin:S3cr3t-pass@db/ayida", "MySQL://db/ayida", "sqlserver://db", "redis:db", "admin:S3cr3t-pass@db/ayida"]) {
      const err = refused(value);
      expect(err.message, value).toMatch(/^DATABASE_URL: "[A-Za-z]+:" is not a database ayida-jobs can use/);
      expect(err.hint).toMatch(/postgres:\/\/.*sqlite:/);
      expect(err.message + err.hint).not.toContain("S3cr3t-pass");
    }
    expect(refused("//admin:S3cr3t-pass@db/ayida").message).toMatch(/starts with \/\//);
  });

  it("is what parseEnv applies: a bad DATABASE_URL is a configuration error for every command", () => {
    expect(() => parseEnv({ DATABASE_URL: "mysql://db/ayida" })).toThrow(/^DATABASE_URL: "mysql:" is not a database/);
    expect(parseEnv({ DATABASE_URL: "sqlite:x.db" }).DATABASE_URL).toBe("sqlite:x.db");
  });
});

describe("the password in a URL, whatever its shape", () => {
  it("is found to be scrubbed: a valid URL, one slash, no scheme, a bad port, an @ inside, percent-encoded", () => {
    const cases: Array<[string, string]> = [
      ["postgres://admin:S3cr3t-pass@db/ayida", "S3cr3t-pass"],
      ["postgresql:/admin:S3cr3t-pass@db.internal/ayida", "S3cr3t-pass"],
      ["postgres:admin:S3cr3t-pass@db.internal/ayida", "S3cr3t-pass"],
      ["//admin:S3cr3t-pass@db/ayida", "S3cr3t-pass"],
      ["postgres://admin:S3cr3t-pass@db:99999/ayida", "S3cr3t-pass"],
      ["postgres://admin:S3cr3t@pass@db/ayida", "S3cr3t@pass"],
      ["postgres://admin:S3cr3t%2Fpass@db/ayida", "S3cr3t/pass"],
      ["mysql://admin:S3cr3t-pass@db/ayida", "S3cr3t-pass"],
    ];
    for (const [value, password] of cases) {
      expect(urlPasswords(value), value).toContain(password);
      expect(secretValues({ DATABASE_URL: value }), value).toContain(password);
    }
    expect(urlPasswords("./data/ayida-jobs.db")).toEqual([]);
    expect(urlPasswords("postgres://admin@db/ayida")).toEqual([]);
  });
});

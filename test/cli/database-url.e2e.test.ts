/**
 * DATABASE_URL as the commands that read it see it, as real processes: a value that is not a store
 * ayida-jobs can use is refused (78, naming the variable and the rule) by `serve`, `runs` and `doctor`
 * alike; nothing is ever created named after it; its password is never printed, whatever its shape.
 * A store that is there but corrupt is configuration too (78) for every command that opens it.
 */
import { mkdtempSync, openSync, readdirSync, writeFileSync, writeSync, closeSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Store } from "../../src/adapters/store/store.js";
import { runCli } from "../support/cli.js";
import { startFakeEventApi } from "../support/event-api.js";

const PASSWORD = "S3cr3t-pass-9";

/** Every file and folder under `dir`, as paths relative to it. */
function tree(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => [prefix + e.name, ...(e.isDirectory() ? tree(join(dir, e.name), `${prefix}${e.name}/`) : [])]);
}

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Runs a command in a fresh directory with this DATABASE_URL; returns the run and what it left there. */
async function withUrl(url: string, args: string[]) {
  const cwd = mkdtempSync(join(tmpdir(), "ayida-dburl-"));
  const r = await runCli(args, { cwd, env: { INNGEST_DEV: "1", DATABASE_URL: url, BDNS_API_URL: "http://127.0.0.1:9/api", DOCUMENTS_DIR: join(tmpdir(), "ayida-dburl-docs") } });
  return { ...r, left: tree(cwd), all: r.stdout + r.stderr };
}

describe("a DATABASE_URL that names no store ayida-jobs can use", () => {
  const refused: Array<[string, RegExp]> = [
    [`postgresql:/admin:${PASSWORD}@db.internal/ayida`, /DATABASE_URL: .*two slashes/],
    [`mysql://admin:${PASSWORD}@127.0.0.1:3306/ayida`, /DATABASE_URL: "mysql:" is not a database ayida-jobs can use/],
    [`postgres://admin:${PASSWORD}@db.internal:99999/ayida`, /DATABASE_URL: .*port/],
    [`sqlite://data/ayida.db`, /DATABASE_URL: .*names a host/],
  ];

  it.each(refused)("%s: serve --check, runs and their --json exit 78 naming it; nothing created; no password printed", async (url, rule) => {
    for (const args of [["serve", "--check", "--json"], ["serve", "--check"], ["runs"], ["runs", "--json"]]) {
      const r = await withUrl(url, args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(78);
      expect(r.stderr, args.join(" ")).toMatch(rule);
      if (args.includes("--json")) expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: "CONFIG", message: expect.stringMatching(rule) } });
      expect(r.left, args.join(" ")).toEqual([]);
      expect(r.all, args.join(" ")).not.toContain(PASSWORD);
    }
  });

  it.each(refused)("%s: doctor fails the configuration check on it, skips the store, and never prints the password", async (url, rule) => {
    const text = await withUrl(url, ["doctor", "--timeout", "2"]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/fail\s+configuration\s+DATABASE_URL: /);
    expect(text.stdout).toMatch(/skip\s+store\s+DATABASE_URL is invalid/);
    expect(text.all).not.toContain(PASSWORD);
    expect(text.left).toEqual([]);
    const json = await withUrl(url, ["doctor", "--json", "--timeout", "2"]);
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout) as { checks: Array<{ id: string; status: string; message: string; details?: { invalid?: string[] } }> };
    expect(doc.checks.find((c) => c.id === "configuration")).toMatchObject({ status: "fail", message: expect.stringMatching(rule), details: { invalid: ["DATABASE_URL"] } });
    expect(doc.checks.find((c) => c.id === "store")).toMatchObject({ status: "skip" });
    expect(json.all).not.toContain(PASSWORD);
  });
});

describe("a PostgreSQL URL whose scheme is not in lower case", () => {
  it("is PostgreSQL: a database that is down is 69 from serve, never a SQLite file named after the URL", async () => {
    const url = `POSTGRES://admin:${PASSWORD}@127.0.0.1:${await closedPort()}/ayida`;
    for (const args of [["serve", "--check", "--json"], ["runs", "--json"]]) {
      const r = await withUrl(url, args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(69);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: expect.stringMatching(/^(STORE|RUNS)_UNAVAILABLE$/) } });
      expect(r.left).toEqual([]);
      expect(r.all).not.toContain(PASSWORD);
    }
    const doctor = await withUrl(url, ["doctor", "--json", "--timeout", "2"]);
    expect(JSON.parse(doctor.stdout).checks.find((c: { id: string }) => c.id === "store")).toMatchObject({ status: "fail", message: expect.stringContaining("cannot reach PostgreSQL at 127.0.0.1:") });
    expect(doctor.all).not.toContain(PASSWORD);
  });
});

describe("sqlite: and file: URLs", () => {
  it("name the file they say, relative to the working directory or absolute", async () => {
    const rel = await withUrl("sqlite:data/rel.db", ["serve", "--check", "--json"]);
    expect(rel.code, rel.stderr).toBe(0);
    expect(rel.left).toEqual(expect.arrayContaining(["data", "data/rel.db"]));
    expect(rel.left.filter((p) => p.includes(":"))).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), "ayida-dburl-abs-"));
    const abs = await withUrl(`file://${dir}/abs.db`, ["serve", "--check", "--json"]);
    expect(abs.code, abs.stderr).toBe(0);
    expect(JSON.parse(abs.stdout).store).toBe(join(dir, "abs.db"));
    expect(readdirSync(dir)).toContain("abs.db");
    expect(abs.left.filter((p) => !p.startsWith("data"))).toEqual([]);
  });
});

describe("a store that is corrupt", () => {
  it("is one exit code, 78 (configuration: retrying cannot help), from serve, runs, status and --wait, which sends nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ayida-corrupt-"));
    const junk = join(dir, "junk.db");
    writeFileSync(junk, "this is not a database, it is text long enough to be read as a header by SQLite...........");
    // A real store whose schema page is overwritten after the header: SQLite opens it, then finds it malformed.
    const malformed = join(dir, "malformed.db");
    await (await Store.open(malformed)).close();
    const fd = openSync(malformed, "r+");
    writeSync(fd, Buffer.alloc(3000, 0x5a), 0, 3000, 100);
    closeSync(fd);
    const api = await startFakeEventApi();
    try {
      for (const file of [junk, malformed]) {
        for (const args of [["serve", "--check", "--json"], ["runs", "--json"], ["status", "r1", "--json"], ["status", "r1", "--watch", "--json"], ["detail", "1", "--wait", "--json"]]) {
          const r = await runCli(args, { env: { INNGEST_DEV: api.url, DATABASE_URL: file } });
          expect(r.code, `${file} ${args.join(" ")}: ${r.stderr}`).toBe(78);
          expect(JSON.parse(r.stdout), args.join(" ")).toMatchObject({ ok: false, error: { code: "CONFIG", message: expect.stringContaining(file), hint: expect.stringContaining("DATABASE_URL") } });
          expect(r.stderr).not.toContain("internal error");
        }
      }
      expect(api.requests).toHaveLength(0);
    } finally {
      await api.close();
    }
  });
});

/**
 * A store that cannot be written fails `serve --check` and `doctor`, as real processes: a SQLite file
 * the process may not write (read-only to it), a disk with no room left under it, and a PostgreSQL
 * database that takes no writes. Opening and reading work in all three — only a write (rolled back)
 * or the room left tells. The file and the disk refuse for real (test/support/broken-store.ts).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { errorResultSchema } from "../../src/cli/output-schemas.js";
import { onFullDisk, readOnlyFile } from "../support/broken-store.js";
import { BIN, runCli, type CliRun } from "../support/cli.js";
import { usePostgres } from "../support/postgres.js";

const pgServer = usePostgres();

const NOWHERE = "http://127.0.0.1:9/api"; // BDNS: refused at once; doctor's other checks are not under test here

function storeCheck(r: CliRun) {
  const doc = JSON.parse(r.stdout) as { checks: Array<{ id: string; status: string; message: string; fix?: string }> };
  return doc.checks.find((c) => c.id === "store")!;
}

describe("serve --check and doctor try a write", () => {
  it("a SQLite file this process may not write: serve --check exits 78 saying so; doctor fails the store", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ayida-ro-"));
    const env = { INNGEST_DEV: "1", DATABASE_URL: join(dir, "ayida.db"), BDNS_API_URL: NOWHERE };
    expect((await runCli(["serve", "--check"], { env })).code).toBe(0);
    const ok = await runCli(["doctor", "--json", "--timeout", "2"], { env });
    expect(storeCheck(ok)).toMatchObject({ status: "ok", message: expect.stringContaining("writable") });

    const wrap = readOnlyFile(env.DATABASE_URL);
    const r = await runCli(["serve", "--check", "--json"], { env, wrap });
    expect(r.code, r.stderr).toBe(78);
    const doc = errorResultSchema.parse(JSON.parse(r.stdout));
    expect(doc.error).toMatchObject({ code: "CONFIG", message: `the store at ${env.DATABASE_URL} cannot be written: attempt to write a readonly database` });
    expect(doc.error.hint).toContain("write access");
    const text = await runCli(["serve", "--check"], { env, wrap });
    expect(text.code).toBe(78);
    expect(text.stderr).toContain("cannot be written: attempt to write a readonly database");
    expect(text.stderr).not.toContain("internal error");

    const d = await runCli(["doctor", "--json", "--timeout", "2"], { env, wrap });
    expect(d.code).toBe(1);
    expect(storeCheck(d)).toMatchObject({ status: "fail", message: expect.stringContaining("cannot be written: attempt to write a readonly database"), fix: expect.stringContaining("write access") });
  });

  it("a disk with no room left under the SQLite file: serve --check exits 69; doctor fails the store; with room, both pass", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ayida-full-"));
    const env = { INNGEST_DEV: "1", DATABASE_URL: join(dir, "ayida.db"), BDNS_API_URL: NOWHERE };
    const create = [process.execPath, "--", BIN, "serve", "--check"];
    // 160 MiB: room for the store when nothing else is there (the check wants 128 MiB), none once filled.
    const roomy = onFullDisk(dir, { sizeMiB: 160, leaveKiB: 150 * 1024, before: create });
    const full = onFullDisk(dir, { sizeMiB: 160, leaveKiB: 512, before: create });

    const fine = await runCli(["serve", "--check", "--json"], { env, wrap: roomy });
    expect(fine.code, fine.stderr).toBe(0);
    const r = await runCli(["serve", "--check", "--json"], { env, wrap: full });
    expect(r.code, r.stderr).toBe(69);
    expect(errorResultSchema.parse(JSON.parse(r.stdout)).error).toMatchObject({ code: "STORE_UNAVAILABLE", message: expect.stringMatching(/^the store at .*ayida\.db cannot take writes: its disk is full \(0\.\d\d MiB free on its filesystem/) });

    const d = await runCli(["doctor", "--json", "--timeout", "2"], { env, wrap: full });
    expect(d.code).toBe(1);
    expect(storeCheck(d)).toMatchObject({ status: "fail", message: expect.stringContaining("its disk is full"), fix: expect.stringContaining("free space") });
    expect(storeCheck(await runCli(["doctor", "--json", "--timeout", "2"], { env, wrap: roomy }))).toMatchObject({ status: "ok" });
  });

  it("a PostgreSQL database that takes no writes (default_transaction_read_only): serve --check exits 78; doctor fails the store", async () => {
    const url = await pgServer().createDatabase();
    const env = { INNGEST_DEV: "1", DATABASE_URL: url, BDNS_API_URL: NOWHERE };
    expect((await runCli(["serve", "--check"], { env })).code).toBe(0);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ db: string }>("SELECT current_database() AS db");
      await admin.query(`ALTER DATABASE "${rows[0]!.db}" SET default_transaction_read_only = on`);
    } finally {
      await admin.end();
    }
    const r = await runCli(["serve", "--check", "--json"], { env });
    expect(r.code, r.stderr).toBe(78);
    expect(errorResultSchema.parse(JSON.parse(r.stdout)).error.message).toMatch(/cannot be written: cannot execute INSERT in a read-only transaction/);
    const d = await runCli(["doctor", "--json", "--timeout", "2"], { env });
    expect(storeCheck(d)).toMatchObject({ status: "fail", message: expect.stringContaining("cannot execute INSERT in a read-only transaction") });
    expect(d.stdout).not.toMatch(/:\/\/[^@\s"]*:[^@\s"]*@/); // no password of the URL in the report
  });
});

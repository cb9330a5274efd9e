/**
 * The whole deployment, for real, on loopback: the BDNS stand-in (in this process, so a test can
 * inject faults and count requests), the Inngest Dev Server (a child), and `ayida-jobs serve` (a
 * child), each with its own folder under one temp dir. `close()` kills every child by process group
 * and is safe to call after a failure.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeBdns, type FakeBdns, type FakeConvocatoria } from "../../support/bdns-server.js";
import { runCli, type CliRun } from "../../support/cli.js";
import { startDevServer, type DevServer } from "./dev-server.js";
import { freePorts } from "./free-ports.js";
import { startServe, type ServeProcess } from "./serve-process.js";
import { StoreProbe } from "./store-probe.js";
import type { Exit } from "./processes.js";

export interface DeploymentOptions {
  dataset: FakeConvocatoria[];
  /** BDNS's 429 to a request starting closer than this to the previous one (default 100 ms; 0 = off). */
  minGapMs?: number;
  /** Dev Server flags (see DevServerOptions). */
  pollIntervalS?: number;
  retryIntervalS?: number;
  /** Start serve and wait until the app is synced (default true). */
  serve?: boolean;
  serveEnv?: Record<string, string>;
}

export interface Deployment {
  dir: string;
  bdns: FakeBdns;
  dev: DevServer;
  /** The URL the Dev Server syncs: `localhost`, as the Dev Server rewrites loopback addresses anyway. */
  appUrl: string;
  store: StoreProbe;
  serve: ServeProcess | undefined;
  /** Starts serve (again: same port, same store and documents) and waits until the app is synced. */
  startServe(): Promise<ServeProcess>;
  /** SIGKILL serve: no shutdown handler runs, requests in flight are cut. */
  killServe(): Promise<Exit>;
  /** Runs the CLI against the Dev Server (INNGEST_DEV=<its URL>). */
  cli(args: string[]): Promise<CliRun>;
  close(): Promise<void>;
}

export async function startDeployment(o: DeploymentOptions): Promise<Deployment> {
  const dir = mkdtempSync(join(tmpdir(), "ayida-engine-"));
  const [port] = (await freePorts(1)) as [number];
  const appUrl = `http://localhost:${port}/api/inngest`;
  const data = join(dir, "data");
  mkdirSync(join(dir, "inngest"), { recursive: true });
  const store = new StoreProbe(join(data, "ayida-jobs.db"), join(data, "documents"));
  let bdns: FakeBdns | undefined;
  let dev: DevServer | undefined;
  let serve: ServeProcess | undefined;
  let serves = 0;

  const close = async () => {
    await serve?.proc.kill();
    await dev?.stop();
    await bdns?.close();
    store.close();
    if (process.env.AYIDA_ENGINE_KEEP) console.error(`engine suite: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };

  try {
    bdns = await startFakeBdns({ dataset: o.dataset, minGapMs: o.minGapMs ?? 100 });
    dev = await startDevServer({
      appUrl,
      dir: join(dir, "inngest"),
      ...(o.pollIntervalS && { pollIntervalS: o.pollIntervalS }),
      ...(o.retryIntervalS && { retryIntervalS: o.retryIntervalS }),
    });
    const d: Deployment = {
      dir,
      bdns,
      dev,
      appUrl,
      store,
      get serve() {
        return serve;
      },
      async startServe() {
        if (serve && !serve.proc.hasExited()) throw new Error("serve is already running");
        serves++;
        serve = await startServe(
          { port, devServerUrl: dev!.url, bdnsUrl: bdns!.url, databaseFile: store.databaseFile, documentsDir: store.documentsDir, dir, ...(o.serveEnv && { env: o.serveEnv }) },
          serves === 1 ? "serve" : `serve-${serves}`,
        );
        await dev!.waitForApp(serve.functionIds);
        return serve;
      },
      async killServe() {
        if (!serve) throw new Error("serve is not running");
        return serve.proc.kill();
      },
      cli: (args) => runCli(args, { env: { INNGEST_DEV: dev!.url } }),
      close,
    };
    if (o.serve ?? true) await d.startServe();
    return d;
  } catch (err) {
    await close();
    throw err;
  }
}

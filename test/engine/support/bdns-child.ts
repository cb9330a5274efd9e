/**
 * Starts the BDNS stand-in in its own process (see bdns-stand-in.ts for why) and drives it: faults in,
 * the request log out. esbuild bundles the TypeScript entry into the run's folder; `import.meta.dirname`
 * is pinned to test/support so the stand-in still finds test/fixtures from there.
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import type { FakeConvocatoria, FaultReply } from "../../support/bdns-server.js";
import { startProcess, tailOf } from "./processes.js";
import { REPO_ROOT } from "./repo.js";
import { waitFor } from "./wait.js";

/** Which requests a fault answers: a path, and optionally one query parameter's value. */
export interface FaultMatch {
  path: string;
  param?: [name: string, value: string];
}

export interface StandInRequest {
  path: string;
  params: Record<string, string>;
  /** Wall-clock ms (epoch, fractional) when the request reached the stand-in. */
  at: number;
  /** 0 while unanswered (a hung or stalled reply). */
  status: number;
}

export interface BdnsStandIn {
  url: string;
  fault(on: FaultMatch, ...replies: FaultReply[]): Promise<void>;
  requests(): Promise<StandInRequest[]>;
  close(): Promise<void>;
}

export async function startBdnsStandIn(o: { dataset: FakeConvocatoria[]; minGapMs: number; dir: string }): Promise<BdnsStandIn> {
  const entry = join(o.dir, "bdns-stand-in.mjs");
  await build({
    entryPoints: [resolve(REPO_ROOT, "test/engine/support/bdns-stand-in.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: entry,
    define: { "import.meta.dirname": JSON.stringify(resolve(REPO_ROOT, "test/support")) },
    logLevel: "warning",
  });
  const settings = join(o.dir, "bdns-stand-in.json");
  writeFileSync(settings, JSON.stringify({ dataset: o.dataset, minGapMs: o.minGapMs }));
  const proc = startProcess("bdns-stand-in", process.execPath, [entry, settings], { env: { PATH: process.env.PATH }, cwd: o.dir, logDir: o.dir });
  const urls = await waitFor(
    "the BDNS stand-in to listen",
    () => {
      if (proc.hasExited()) throw new Error(`the BDNS stand-in exited at start-up:\n${tailOf(proc)}`);
      const line = proc.output().split("\n").find((l) => l.startsWith("{"));
      return line ? (JSON.parse(line) as { url: string; control: string }) : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 50, describe: () => tailOf(proc) },
  );
  return {
    url: urls.url,
    async fault(on, ...replies) {
      const res = await fetch(`${urls.control}/fault`, { method: "POST", body: JSON.stringify({ on, replies }) });
      if (res.status !== 204) throw new Error(`BDNS stand-in: fault not set (${res.status})`);
    },
    async requests() {
      return (await (await fetch(`${urls.control}/requests`)).json()) as StandInRequest[];
    },
    async close() {
      await proc.kill();
    },
  };
}

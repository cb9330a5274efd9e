/**
 * Starts the BDNS stand-in in its own process (see bdns-stand-in.ts for why) and drives it: faults in,
 * the request log out. esbuild bundles the TypeScript entry into the run's folder; `import.meta.dirname`
 * is pinned to test/support so the stand-in still finds test/fixtures from there.
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import type { DatasetsFixtureOptions } from "../../support/bdns-datasets.js";
import type { FakeConvocatoria, FaultReply } from "../../support/bdns-server.js";
import { startProcess, tailOf } from "./processes.js";
import type { DatasetMutation } from "./stand-in-mutations.js";
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
  /** Wall-clock ms (epoch, fractional) when the stand-in handled the request: at or after its arrival. */
  at: number;
  /**
   * The earliest it can have arrived (epoch ms): a loaded stand-in handles some requests tens of ms
   * after they reached it (BdnsRequest.earliest). Spacing is judged from the one's `earliest` to the
   * next one's `at`: the most it can have been.
   */
  earliest: number;
  /** 0 while unanswered (a hung or stalled reply). */
  status: number;
  /** Which process asked, when its BDNS_API_URL names it (see BdnsRequest.via). */
  via?: string;
}

export interface StandInSettings {
  dataset: FakeConvocatoria[];
  /** 429 to a request starting closer than this to the previous one (0 = off). */
  minGapMs: number;
  /** 429 to a start that makes more than this many in any sliding second: BDNS's own rule (0/undefined = off). */
  maxPerSecond?: number;
  /** Also serve the ten other datasets, built from these options (a function-free subset: JSON). */
  datasets?: DatasetsFixtureOptions;
}

export interface BdnsStandIn {
  url: string;
  fault(on: FaultMatch, ...replies: FaultReply[]): Promise<void>;
  /** Changes the ten datasets' data (the stand-in's copy). */
  mutate(m: DatasetMutation): Promise<void>;
  /** The ten datasets' noise (re-spelt names, rotated lists, toggled spaces) on or off, with another seed. */
  noise(on: boolean, seed?: number): Promise<void>;
  requests(): Promise<StandInRequest[]>;
  close(): Promise<void>;
}

export async function startBdnsStandIn(o: StandInSettings & { dir: string }): Promise<BdnsStandIn> {
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
  const { dir: _dir, ...standIn } = o;
  writeFileSync(settings, JSON.stringify(standIn satisfies StandInSettings));
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
    async mutate(m) {
      const res = await fetch(`${urls.control}/mutate`, { method: "POST", body: JSON.stringify(m) });
      if (res.status !== 204) throw new Error(`BDNS stand-in: mutation not applied (${res.status}; does it serve the datasets?)`);
    },
    async noise(on, seed) {
      const res = await fetch(`${urls.control}/noise`, { method: "POST", body: JSON.stringify({ noise: on, ...(seed !== undefined && { seed }) }) });
      if (res.status !== 204) throw new Error(`BDNS stand-in: noise not set (${res.status}; does it serve the datasets?)`);
    },
    async requests() {
      return (await (await fetch(`${urls.control}/requests`)).json()) as StandInRequest[];
    },
    async close() {
      await proc.kill();
    },
  };
}

/**
 * CLI start-up and send speed (issue #2): wall time of whole processes against `node -e 0` measured
 * in the same run and environment, and 10,000 codes through --file to a loopback event API.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startFakeEventApi } from "../test/support/event-api.js";
import { fmt, interleaved, repeat, report, timeProcess } from "./measure.js";

const BIN = resolve(import.meta.dirname, "../bin/ayida-jobs.js");

export async function benchCli(runs = 30): Promise<boolean> {
  const api = await startFakeEventApi();
  // A code cache of this run's own (src/cli/compile-cache.ts), filled by the warm-up rounds: what every
  // start after the first one meets. The first start after an install has none: measured too ("cold").
  const cacheDir = mkdtempSync(join(tmpdir(), "ayida-bench-cache-"));
  const env = { ...process.env, FORCE_COLOR: "0", CI: "1", INNGEST_DEV: api.url, NODE_COMPILE_CACHE: cacheDir };
  const coldEnv = { ...env, NODE_DISABLE_COMPILE_CACHE: "1" };
  const node = process.execPath;
  const cli = (args: string[], stdin?: string, cold = false) => async () => {
    const r = await timeProcess(node, ["--", BIN, ...args], { env: cold ? coldEnv : env, ...(stdin !== undefined && { stdin }) });
    if (r.code !== 0) throw new Error(`ayida-jobs ${args.join(" ")} exited ${r.code}`);
    return r.ms;
  };
  try {
    // Interleaved rounds: the baseline and each command see the same machine state (these VMs are noisy).
    const [base, help, dry, send, coldHelp, coldDry, coldSend] = await interleaved(runs, 3, [
      async () => (await timeProcess(node, ["-e", "0"], { env })).ms,
      cli(["--help"]),
      cli(["detail", "123456", "--dry-run", "--json"]),
      cli(["detail", "123456", "--json"]),
      cli(["--help"], undefined, true),
      cli(["detail", "123456", "--dry-run", "--json"], undefined, true),
      cli(["detail", "123456", "--json"], undefined, true),
    ]);
    const codes = Array.from({ length: 10_000 }, (_, i) => String(100000 + i)).join("\n");
    const bulk = await repeat(5, 1, cli(["detail", "--file", "-", "--json"], codes));

    console.log(`baseline node -e 0: median ${fmt(base!.median)} (p90 ${fmt(base!.p90)}, ${base!.runs} interleaved rounds)`);
    let ok = true;
    for (const [name, t, max] of [
      // issue 18 part 6 (were 1.6, 2.5 and 4 in issue #2)
      ["ayida-jobs --help", help!, 1.25],
      ["ayida-jobs detail 123456 --dry-run --json", dry!, 1.4],
      ["ayida-jobs detail 123456 (loopback send)", send!, 2.5],
    ] as const) {
      const ratio = t.median / base!.median;
      ok = report(name, `${fmt(t.median)} = ${ratio.toFixed(2)}×`, `≤ ${max}×`, ratio <= max) && ok;
    }
    for (const [name, t] of [
      ["--help", coldHelp!],
      ["--dry-run", coldDry!],
      ["send", coldSend!],
    ] as const) {
      console.log(`      cold (no code cache: a first run after an install) ${name}: ${fmt(t.median)} = ${(t.median / base!.median).toFixed(2)}×`);
    }
    ok = report("10,000 codes via --file - (loopback send)", fmt(bulk.median), "< 5000 ms", bulk.median < 5000) && ok;
    return ok;
  } finally {
    await api.close();
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

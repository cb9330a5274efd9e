/**
 * CLI start-up and send speed (issue #2): wall time of whole processes against `node -e 0` measured
 * in the same run and environment, and 10,000 codes through --file to a loopback event API.
 */
import { resolve } from "node:path";
import { startFakeEventApi } from "../test/support/event-api.js";
import { fmt, interleaved, repeat, report, timeProcess } from "./measure.js";

const BIN = resolve(import.meta.dirname, "../bin/ayida-jobs.js");

export async function benchCli(runs = 30): Promise<boolean> {
  const api = await startFakeEventApi();
  const env = { ...process.env, FORCE_COLOR: "0", CI: "1", INNGEST_DEV: api.url };
  const node = process.execPath;
  const cli = (args: string[], stdin?: string) => async () => {
    const r = await timeProcess(node, ["--", BIN, ...args], { env, ...(stdin !== undefined && { stdin }) });
    if (r.code !== 0) throw new Error(`ayida-jobs ${args.join(" ")} exited ${r.code}`);
    return r.ms;
  };
  try {
    // Interleaved rounds: the baseline and each command see the same machine state (these VMs are noisy).
    const [base, help, dry, send] = await interleaved(runs, 3, [
      async () => (await timeProcess(node, ["-e", "0"], { env })).ms,
      cli(["--help"]),
      cli(["detail", "123456", "--dry-run", "--json"]),
      cli(["detail", "123456", "--json"]),
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
    ok = report("10,000 codes via --file - (loopback send)", fmt(bulk.median), "< 5000 ms", bulk.median < 5000) && ok;
    return ok;
  } finally {
    await api.close();
  }
}

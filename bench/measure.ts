/** Small timing helpers for the benchmark scripts: wall time of whole processes, medians. */
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";

export interface Timing {
  median: number;
  p90: number;
  runs: number;
}

export function timeProcess(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<{ ms: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env: o.env ?? process.env, stdio: ["pipe", "ignore", "ignore"] });
    child.on("error", reject);
    child.on("close", (code) => resolve({ ms: performance.now() - t0, code }));
    child.stdin.end(o.stdin ?? "");
  });
}

export async function repeat(runs: number, warmup: number, fn: () => Promise<number>): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await fn());
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(runs / 2)]!, p90: samples[Math.floor(runs * 0.9)]!, runs };
}

/** Round-robin over several measurements, so slow spells of a noisy machine hit them all alike. */
export async function interleaved(runs: number, warmup: number, fns: Array<() => Promise<number>>): Promise<Timing[]> {
  const samples = fns.map(() => [] as number[]);
  for (let i = 0; i < warmup + runs; i++) {
    for (const [k, fn] of fns.entries()) {
      const ms = await fn();
      if (i >= warmup) samples[k]!.push(ms);
    }
  }
  return samples.map((s) => {
    s.sort((a, b) => a - b);
    return { median: s[Math.floor(runs / 2)]!, p90: s[Math.floor(runs * 0.9)]!, runs };
  });
}

export function fmt(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}

/** Print one result row: name, measured, target, verdict. */
export function report(name: string, measured: string, target: string, ok: boolean): boolean {
  console.log(`${ok ? "PASS" : "FAIL"}  ${name.padEnd(48)} ${measured.padEnd(28)} target ${target}`);
  return ok;
}

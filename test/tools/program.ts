/** A program the tools suite needs: run it, or fail saying how to install it (never skip). */
import { spawnSync, type SpawnSyncOptions } from "node:child_process";

export function requireProgram(name: string, install: string): void {
  if (spawnSync("sh", ["-c", `command -v ${name}`]).status !== 0) {
    throw new Error(`${name} is not installed, and this suite needs it: ${install} (.ci/run installs it)`);
  }
}

export function run(program: string, args: string[], o: SpawnSyncOptions & { input?: string } = {}): { status: number | null; out: string } {
  const r = spawnSync(program, args, { encoding: "utf8", ...o });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/**
 * Child processes that run TypeScript from this repository: the entry is bundled once per test run with
 * esbuild (packages stay external, so they resolve from node_modules as in the parent) and started with
 * plain node. For contention that needs real processes (the shared BDNS budget).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "../..");
const built = new Map<string, Promise<string>>();

/** Bundles `entry` (a path from the repository's root) and returns the file to run. */
export function bundle(entry: string): Promise<string> {
  let out = built.get(entry);
  if (!out) {
    const dir = resolve(root, "node_modules/.cache/ayida-children");
    mkdirSync(dir, { recursive: true });
    const outfile = resolve(dir, `${entry.replace(/[^a-z0-9]+/gi, "-")}-${process.pid}.mjs`);
    out = build({ entryPoints: [resolve(root, entry)], bundle: true, platform: "node", format: "esm", packages: "external", outfile, logLevel: "warning" }).then(() => outfile);
    built.set(entry, out);
  }
  return out;
}

export interface Child {
  process: ChildProcessWithoutNullStreams;
  /** The next line the child writes on stdout. */
  line(): Promise<string>;
  send(line: string): void;
  stderr(): string;
}

export async function startChild(entry: string, args: string[]): Promise<Child> {
  const file = await bundle(entry);
  const child = spawn(process.execPath, [file, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiting: Array<(l: string) => void> = [];
  let err = "";
  child.stderr.on("data", (d) => (err += String(d)));
  createInterface({ input: child.stdout }).on("line", (l) => (waiting.length > 0 ? waiting.shift()!(l) : lines.push(l)));
  const exited = new Promise<never>((_, reject) => child.once("exit", (code) => reject(new Error(`child ${entry} exited (${code}) before answering: ${err.slice(-2000)}`))));
  exited.catch(() => undefined);
  return {
    process: child,
    line: () => Promise.race([lines.length > 0 ? Promise.resolve(lines.shift()!) : new Promise<string>((r) => waiting.push(r)), exited]),
    send: (l) => void child.stdin.write(`${l}\n`),
    stderr: () => err,
  };
}

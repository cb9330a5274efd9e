/**
 * Distinct free TCP ports for the servers the suite starts. A port is handed out once and then held
 * for the life of this process, so that nothing else takes it between our check and the server's bind:
 * - not this process: a deployment picks the app's port, then the Dev Server's four, before the app
 *   binds; a check alone found the app's port free again and gave it to the Dev Server (seen: the app
 *   exited with EADDRINUSE). So this process never hands a port out twice;
 * - not another engine suite (other checkouts on the same machine draw from the same range): each
 *   port handed out is claimed by a file `<tmpdir>/ayida-engine-ports/<port>` holding our pid, created
 *   exclusively; a claim whose process is gone is stale and taken over;
 * - not the kernel: ports are picked below its ephemeral range (ip_local_port_range), which it hands
 *   out for outgoing connections and `listen(0)` — every other test suite on the machine.
 * Each candidate is also bound on every interface (the Dev Server's gRPC ports listen on `*`) to check
 * that no other program holds it, then released for the caller.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const FLOOR = 20_000;
const CLAIMS = join(tmpdir(), "ayida-engine-ports");

function ephemeralStart(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > FLOOR + 1000) return low;
  } catch {
    // not Linux: assume the IANA range
  }
  return 49_152;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, () => s.close(() => resolve(true))); // no host: "::" with IPv4 mapped, i.e. every interface
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Ports this process has handed out (and claimed): never again, until it exits. */
const mine = new Set<number>();
process.on("exit", () => {
  for (const port of mine) rmSync(join(CLAIMS, String(port)), { force: true });
});

/** Claims `port` for this process; false when another live process holds it. */
function claim(port: number): boolean {
  mkdirSync(CLAIMS, { recursive: true, mode: 0o1777 });
  const file = join(CLAIMS, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: "wx" });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const holder = Number(readFileSync(file, "utf8") || "0");
    if (holder && alive(holder)) return false;
    rmSync(file, { force: true }); // stale: its process is gone (one retry; a racer that wins keeps it)
  }
  return false;
}

/**
 * Removes the claims of processes that are gone. A vitest worker is ended by a signal, so its exit
 * hook may not run; its claims are stale (free to take) but left as files until this sweep.
 */
export function sweepStaleClaims(): void {
  let files: string[];
  try {
    files = readdirSync(CLAIMS);
  } catch {
    return;
  }
  for (const f of files) {
    const holder = Number(readFileSync(join(CLAIMS, f), "utf8") || "0");
    if (!holder || !alive(holder)) rmSync(join(CLAIMS, f), { force: true });
  }
}

/** Ports are drawn from [from, to): by default from 20,000 to the start of the ephemeral range. */
export interface PortRange {
  from: number;
  to: number;
}

export async function freePorts(n: number, range: PortRange = { from: FLOOR, to: ephemeralStart() }): Promise<number[]> {
  const ports: number[] = [];
  for (let tries = 0; ports.length < n; tries++) {
    if (tries > 1000) {
      for (const port of ports) mine.delete(port), rmSync(join(CLAIMS, String(port)), { force: true });
      throw new Error(`no ${n} free ports between ${range.from} and ${range.to}`);
    }
    const port = range.from + Math.floor(Math.random() * (range.to - range.from));
    if (mine.has(port) || !claim(port)) continue;
    mine.add(port);
    if (await isFree(port)) ports.push(port);
    // Held by a program outside the suite: keep the claim (it stays ours, unused) and draw again.
  }
  return ports;
}

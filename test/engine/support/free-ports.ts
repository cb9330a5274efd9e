/**
 * Distinct free TCP ports for the servers the suite starts. They are picked below the kernel's
 * ephemeral range (ip_local_port_range): a port the kernel hands out for outgoing connections and
 * `listen(0)` — every other test suite on the machine draws from that range — could be taken again
 * between our check and the server's bind (seen once: an app that never came up). Each candidate is
 * bound on every interface (the Dev Server's gRPC ports listen on `*`) to check it is free, then
 * released for the caller.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

const FLOOR = 20_000;

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

export async function freePorts(n: number): Promise<number[]> {
  const ceiling = ephemeralStart();
  const ports = new Set<number>();
  for (let tries = 0; ports.size < n; tries++) {
    if (tries > 1000) throw new Error(`no ${n} free ports between ${FLOOR} and ${ceiling}`);
    const port = FLOOR + Math.floor(Math.random() * (ceiling - FLOOR));
    if (!ports.has(port) && (await isFree(port))) ports.add(port);
  }
  return [...ports];
}

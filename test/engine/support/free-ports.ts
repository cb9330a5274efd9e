/**
 * Distinct free TCP ports. Each is bound on every interface (the Dev Server's gRPC ports listen on
 * `*`, not only loopback) at the same time, so the n ports differ, then released for the caller.
 * Another process can still take one in between: the Dev Server start retries on "address in use".
 */
import { createServer, type Server } from "node:net";

export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once("error", reject);
        s.listen(0, resolve); // no host: "::" with IPv4 mapped, i.e. every interface
      });
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

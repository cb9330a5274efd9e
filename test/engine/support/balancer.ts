/**
 * A round-robin HTTP load balancer in front of several `serve` processes: one app URL for the Dev
 * Server, as a deployment of more than one instance has behind its load balancer. Each request goes
 * whole to the next backend (the Host header is kept, so the SDK registers the balancer's URL, not a
 * backend's). Runs in the test's process: only Inngest's calls go through it, never BDNS requests,
 * whose timing is what the budget cases measure.
 */
import http from "node:http";
import { lookup } from "node:dns/promises";

export interface Balancer {
  /** Requests handed to each backend port so far, by method (e.g. POST = function calls). */
  handled(): Record<number, Record<string, number>>;
  close(): Promise<void>;
}

/** Listens on `port` where `localhost` resolves (the Dev Server calls the app at localhost). */
export async function startBalancer(port: number, backends: number[]): Promise<Balancer> {
  const handled: Record<number, Record<string, number>> = Object.fromEntries(backends.map((b) => [b, {}]));
  let next = 0;
  const server = http.createServer((req, res) => {
    const target = backends[next++ % backends.length]!;
    const method = req.method ?? "GET";
    handled[target]![method] = (handled[target]![method] ?? 0) + 1;
    const upstream = http.request({ host: "127.0.0.1", port: target, method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", (err) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`balancer: backend ${target}: ${err.message}`);
    });
    req.pipe(upstream);
  });
  const host = (await lookup("localhost").catch(() => undefined))?.address ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    handled: () => structuredClone(handled),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * `serve` SIGKILLed in the middle of a run — a download half-written to disk — and started again on
 * the same port, store and documents folder: the engine retries what was cut, the run completes, and
 * nothing is stored twice or half.
 *
 * The Dev Server runs with --retry-interval 1: a step cut by the kill is a failed attempt, and
 * Inngest's own backoff (15 s + up to 30 s of jitter, then doubling) would make this case wait up to
 * ~45 s for it (observed: 19–47 s); the retry itself is the same.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { makeDataset } from "../support/bdns-server.js";
import { answersTo, expectDetailsStored, expectDocumentsIntact } from "./support/checks.js";
import { startDeployment, type Deployment } from "./support/deployment.js";
import { waitForPipeline } from "./support/pipeline.js";
import { waitFor } from "./support/wait.js";

const dataset = makeDataset(12, { firstDate: "2026-11-01", perDay: 2, docs: 2 });
const stalled = dataset[3]!.documents[0]!; // its first download sends 500 bytes, then nothing
const isTempFile = (f: string) => /\.part-[0-9a-f]+$/.test(f);
// The stalled download's temporary file (other downloads' come and go in milliseconds).
const isStalledTemp = (f: string) => isTempFile(f) && f.startsWith(`${dataset[3]!.bdns}/${stalled.id}-`);

let d: Deployment;
beforeAll(async () => {
  d = await startDeployment({ dataset, retryIntervalS: 1, serveEnv: { RETRY_BACKOFF: "1s" } });
});
afterAll(() => d?.close());

it("serve killed mid-run and restarted: the run completes, nothing stored twice or half", async () => {
  await d.bdns.fault({ path: "/convocatorias/documentos", param: ["idDocumento", String(stalled.id)] }, { stallAfterBytes: 500 });
  const sent = await d.cli(["sync", "convocatorias", "--from", "2026-11-01", "--to", "2026-11-06", "--run-id", "restart", "--json"]);
  expect(sent.code, sent.stderr).toBe(0);

  // Mid-run: the stalled download is half on disk (its temporary file exists), documents remain.
  await waitFor("the stalled download's temporary file", () => d.store.files().some(isStalledTemp), { timeoutMs: 60_000, describe: () => JSON.stringify(d.store.files()) });
  const exit = await d.killServe();
  const tempAtKill = d.store.files().filter(isTempFile); // the stalled one, and any other download the kill cut
  expect(exit.signal).toBe("SIGKILL");
  const storedAtKill = new Set(d.store.storedDocuments().map((doc) => doc.id));
  expect(storedAtKill.size).toBeLessThan(24);

  await d.startServe(); // same port, same SQLite file, same documents folder
  await waitForPipeline(d.store, "restart", { details: 12, documents: 24, failures: 0 }, 90_000, d.diagnose);
  await d.dev.waitUntilIdle();

  // Completed, and counted once: a detail fetched twice would count as "unchanged", a document
  // stored twice would count twice.
  expect(d.store.run("restart")).toMatchObject({ status: "succeeded", listed: 12, queued: 12, new: 12, unchanged: 0, changed: 0, failed: 0, documents_stored: 24 });
  expect(d.store.failures()).toEqual([]);
  expectDetailsStored(d.store, dataset);
  // Every document whole and byte-identical under its final name. What is left besides them is only
  // the temporary file of the download the kill cut: serve never removes a temp file a killed process
  // left behind (src/adapters/store/documents.ts) — a gap, reported; when fixed, expect none here.
  expectDocumentsIntact(d.store, dataset, { leftover: (f) => tempAtKill.includes(f) });
  expect(d.store.files().filter(isTempFile)).toEqual(tempAtKill);

  // What was stored before the kill was not fetched again; what the kill cut was fetched again, once.
  // (Counting the files BDNS sent, not 429s: a freshly restarted serve on a loaded machine has been
  // seen to squeeze two starts to 91 ms — the pipeline case holds the budget itself.)
  const requests = await d.bdns.requests();
  const filesSent = (id: number) => answersTo(requests, { idDocumento: id }).filter((status) => status === 200).length;
  for (const c of dataset) {
    for (const doc of c.documents) {
      if (storedAtKill.has(String(doc.id))) expect(filesSent(doc.id), `downloads of ${doc.id}, stored before the kill`).toBe(1);
      else expect(filesSent(doc.id), `downloads of ${doc.id}, not stored at the kill`).toBeLessThanOrEqual(2);
    }
  }
  expect(filesSent(stalled.id)).toBe(2);
  expect(d.store.convocatorias().filter((c) => c.content_hash)).toHaveLength(12);

  // The engine's view: every run completed — the cut ones by a retry, none given up.
  const runs = await d.dev.runs();
  expect(runs.filter((r) => r.status !== "COMPLETED")).toEqual([]);
});

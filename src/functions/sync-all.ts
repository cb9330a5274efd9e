/**
 * `sync all` is one run over every dataset it asked for, from the moment any of its sync functions
 * runs: each of its events names them all (`datasets`), and the first function to run files every one
 * of them (Store.ensureRequested), so no reader sees six datasets done and calls the run succeeded
 * while the other five have not started. A step of its own, first: before a dataset's discovery (a
 * BDNS call that may be slow or fail), so the run is whole however that goes.
 */
import type { GetStepTools } from "inngest";
import type { AyidaInngest } from "../config/client.js";
import type { JobDeps } from "./deps.js";

export async function fileRequestedDatasets(step: GetStepTools<AyidaInngest>, deps: Pick<JobDeps, "store">, data: { runId: string; datasets?: readonly string[] | undefined }): Promise<void> {
  const datasets = data.datasets;
  if (!datasets?.length) return;
  await step.run("record-request", async () => (await deps.store()).ensureRequested(data.runId, datasets));
}

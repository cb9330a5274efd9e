/** Every Inngest function of the app, built over one client and one set of dependencies. */
import type { AyidaInngest } from "../config/client.js";
import type { JobDeps } from "./deps.js";
import { processConvocatoriaDetail } from "./detail.js";
import { processDocumentStorage } from "./document.js";
import { createConvocatoriaJobs, processSyncPiece } from "./sync.js";
import { DATASETS } from "../datasets/index.js";
import { createDatasetFunction } from "./datasets/engine.js";
import { createDetailFunctions } from "./datasets/details.js";
import { createScheduleFunctions } from "./schedules.js";
import type { Schedule } from "../config/schedules.js";

/** Convocatorias' own four, then each dataset's sync function (and its details' functions), then the schedules set (none by default). */
export function createFunctions(inngest: AyidaInngest, deps: JobDeps, schedules: readonly Schedule[] = []) {
  return [
    createConvocatoriaJobs(inngest, deps),
    processSyncPiece(inngest, deps),
    processConvocatoriaDetail(inngest, deps),
    processDocumentStorage(inngest, deps),
    ...DATASETS.flatMap((d) => [createDatasetFunction(inngest, deps, d), ...createDetailFunctions(inngest, deps, d)]),
    ...createScheduleFunctions(inngest, schedules, deps),
  ];
}

export { DETAIL_FUNCTION_ID } from "./detail.js";
export { DOCUMENT_FUNCTION_ID } from "./document.js";
export { SYNC_FUNCTION_ID, SYNC_PIECE_FUNCTION_ID } from "./sync.js";
export { createJobDeps, type JobDeps } from "./deps.js";

/** Every Inngest function of the app, built over one client and one set of dependencies. */
import type { AyidaInngest } from "../config/client.js";
import type { JobDeps } from "./deps.js";
import { processConvocatoriaDetail } from "./detail.js";
import { processDocumentStorage } from "./document.js";
import { createConvocatoriaJobs, processSyncPiece } from "./sync.js";

export function createFunctions(inngest: AyidaInngest, deps: JobDeps) {
  return [createConvocatoriaJobs(inngest, deps), processSyncPiece(inngest, deps), processConvocatoriaDetail(inngest, deps), processDocumentStorage(inngest, deps)];
}

export { DETAIL_FUNCTION_ID } from "./detail.js";
export { DOCUMENT_FUNCTION_ID } from "./document.js";
export { SYNC_FUNCTION_ID, SYNC_PIECE_FUNCTION_ID } from "./sync.js";
export { createJobDeps, type JobDeps } from "./deps.js";

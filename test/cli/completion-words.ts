/** What the completion scripts must offer, in every shell's test (fast suite and tools suite). */
import { SYNCABLE_DATASETS } from "../../src/contracts/datasets.js";

export const DATASETS = [...SYNCABLE_DATASETS, "all"];
/** The value of `runs --dataset`: every dataset but "all" (a run of all touches each). */
export const RUN_DATASETS = [...SYNCABLE_DATASETS];
export const COMMANDS = ["sync", "detail", "document", "serve", "dev", "datasets", "runs", "status", "retry", "doctor", "completion", "help"];

/**
 * What `sync` accepts: convocatorias (its own pipeline), every declared dataset (src/datasets), and
 * `all` — every one of them under one runId. Names only: nothing here loads a declaration.
 */
import { DATASET_NAMES } from "../datasets/names.js";

export const SYNCABLE_DATASETS: readonly string[] = ["convocatorias", ...DATASET_NAMES];
export const SYNC_ALL = "all";
export type SyncableDataset = string;

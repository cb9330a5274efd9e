/**
 * What `sync` accepts: convocatorias (its own pipeline), every declared dataset (src/datasets), and
 * `all` — every one of them under one runId.
 */
import { DATASETS } from "../datasets/index.js";

export const SYNCABLE_DATASETS: readonly string[] = ["convocatorias", ...DATASETS.map((d) => d.name)];
export const SYNC_ALL = "all";
export type SyncableDataset = string;

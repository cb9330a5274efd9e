/**
 * Datasets `sync` knows. The seed lists the jobs still to migrate; each joins this list when its
 * function exists, so an operator asking for one early gets the list of what works today.
 * (Dependency-free: the CLI's help text reads it without loading zod.)
 */
export const SYNCABLE_DATASETS = ["convocatorias"] as const;
export type SyncableDataset = (typeof SYNCABLE_DATASETS)[number];

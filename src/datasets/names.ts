/**
 * The datasets' names, in the order `sync all` and `datasets` list them (index.ts holds their
 * declarations, in this order, and refuses to load if the two disagree). What needs only the names —
 * the env's SCHEDULE_<DATASET> variables, `sync`'s choices, metrics labels, an event's dataset — reads
 * them here: every command reads the env, and building ten declarations' schemas (and node:crypto,
 * for their hashes) cost each of them milliseconds before it did anything.
 */
export const DATASET_NAMES = [
  "catalogos",
  "regiones",
  "organos",
  "planes-estrategicos",
  "grandes-beneficiarios",
  "sanciones",
  "concesiones",
  "ayudas-estado",
  "minimis",
  "partidos-politicos",
] as const;

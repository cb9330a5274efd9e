/**
 * Every dataset `ayida-jobs` syncs besides convocatorias, in the order `sync all` and `datasets` list
 * them. Adding one: its module here, its name in names.ts, a migration for its table(s); nothing else.
 */
import { ayudasEstado } from "./ayudas-estado.js";
import { catalogos } from "./catalogos.js";
import { concesiones } from "./concesiones.js";
import { grandesBeneficiarios } from "./grandes-beneficiarios.js";
import { minimis } from "./minimis.js";
import { organos } from "./organos.js";
import { partidosPoliticos } from "./partidos-politicos.js";
import { planesEstrategicos } from "./planes-estrategicos.js";
import { regiones } from "./regiones.js";
import { sanciones } from "./sanciones.js";
import { DATASET_NAMES } from "./names.js";
import type { DatasetDeclaration } from "./types.js";

export const DATASETS: readonly DatasetDeclaration[] = [
  catalogos,
  regiones,
  organos,
  planesEstrategicos,
  grandesBeneficiarios,
  sanciones,
  concesiones,
  ayudasEstado,
  minimis,
  partidosPoliticos,
];

// names.ts lists the same names for what must not load the declarations: a dataset added here alone
// (or there alone) stops every command that loads them, instead of going half-known.
if (DATASETS.map((d) => d.name).join() !== DATASET_NAMES.join()) {
  throw new Error(`src/datasets/names.ts lists ${DATASET_NAMES.join(", ")}, but the declarations are ${DATASETS.map((d) => d.name).join(", ")}`);
}

export function findDataset(name: string): DatasetDeclaration | undefined {
  return DATASETS.find((d) => d.name === name);
}

export type { DatasetDeclaration, Feed, TableDeclaration } from "./types.js";

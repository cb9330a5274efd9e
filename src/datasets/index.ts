/**
 * Every dataset `ayida-jobs` syncs besides convocatorias, in the order `sync all` and `datasets` list
 * them. Adding one: its module here, a migration for its table(s); nothing else.
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

export function findDataset(name: string): DatasetDeclaration | undefined {
  return DATASETS.find((d) => d.name === name);
}

export type { DatasetDeclaration, Feed, TableDeclaration } from "./types.js";

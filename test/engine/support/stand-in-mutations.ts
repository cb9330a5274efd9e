/**
 * Changes to the ten datasets' data between two syncs, as the engine suite asks the stand-in for them
 * (POST /mutate) and applies them to its own copy of the fixture, so both agree on what BDNS holds.
 * Apart from bdns-child.ts because the stand-in's bundle imports it: nothing here may pull in esbuild.
 */
import type { CatalogName, DatasetsFixture } from "../../support/bdns-datasets.js";

export type DatasetMutation =
  | { op: "remove"; source: "concesiones" | "ayudasEstado" | "minimis" | "partidosPoliticos" | "sanciones" | "grandesBeneficiarios" | "planes"; index: number }
  | { op: "pop"; catalog: CatalogName };

/** Applies a mutation to a fixture: the stand-in's, or the test's own copy. */
export function applyMutation(fx: DatasetsFixture, m: DatasetMutation): void {
  if (m.op === "remove") fx[m.source].remove(m.index);
  else fx.catalogs[m.catalog].pop();
}

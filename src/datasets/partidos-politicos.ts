/**
 * Partidos políticos: awards to political parties (~6,000 rows). Its rows carry no registration
 * date, so it cannot be windowed: every sync fetches all of it and replaces it. Keyed by `id`.
 */
import * as z from "zod/mini";
import { awardColumns, beneficiaryColumns, withoutNameNoise } from "./awards.js";
import { nifOf } from "./noise.js";
import type { DatasetDeclaration } from "./types.js";

const row = z.looseObject({ id: z.number(), beneficiario: z.optional(z.nullable(z.string())) });
type Row = z.infer<typeof row> & Record<string, unknown>;

export const partidosPoliticos: DatasetDeclaration = {
  name: "partidos-politicos",
  title: "Partidos políticos",
  summary: "awards to political parties (no registration date: a full replace)",
  strategy: "full",
  volume: "~6,000 rows",
  feeds: [
    {
      id: "busqueda",
      path: "/partidospoliticos/busqueda",
      answer: "page",
      order: { order: "codConcesion", direccion: "asc" },
      table: {
        name: "partidos_politicos",
        row,
        key: ["id"],
        columns: {
          id: { type: "bigint", value: (r: Row) => r.id },
          ...awardColumns<Row>(),
          ...beneficiaryColumns<Row>(),
          // no idPersona here: the NIF is how a party is found
          nif: { type: "text", value: (r: Row) => nifOf(r.beneficiario), index: true },
        },
        scope: () => ({}),
        normalise: withoutNameNoise,
      },
    },
  ],
};

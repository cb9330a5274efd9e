/**
 * Partidos políticos: awards to political parties (~6,000 rows). Its rows carry no registration
 * date, so it cannot be windowed: every sync fetches all of it and replaces it. Keyed by `id`.
 */
import * as z from "zod/mini";
import { beneficiaryColumns, withoutNameNoise } from "./awards.js";
import { nifOf } from "./noise.js";
import { toDate, toFlag, toInt, toNumber, toText } from "./noise.js";
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
          cod_concesion: { type: "text", value: (r: Row) => toText(r.codConcesion) },
          id_convocatoria: { type: "bigint", value: (r: Row) => toInt(r.idConvocatoria), index: true },
          numero_convocatoria: { type: "text", value: (r: Row) => toText(r.numeroConvocatoria) },
          convocatoria: { type: "text", value: (r: Row) => toText(r.convocatoria) },
          nivel1: { type: "text", value: (r: Row) => toText(r.nivel1) },
          nivel2: { type: "text", value: (r: Row) => toText(r.nivel2) },
          nivel3: { type: "text", value: (r: Row) => toText(r.nivel3) },
          fecha_concesion: { type: "text", value: (r: Row) => toDate(r.fechaConcesion) },
          ...beneficiaryColumns<Row>(),
          // no idPersona here: the NIF is how a party is found
          nif: { type: "text", value: (r: Row) => nifOf(r.beneficiario), index: true },
          instrumento: { type: "text", value: (r: Row) => toText(r.instrumento) },
          importe: { type: "real", value: (r: Row) => toNumber(r.importe) },
          ayuda_equivalente: { type: "real", value: (r: Row) => toNumber(r.ayudaEquivalente) },
          url_br: { type: "text", value: (r: Row) => toText(r.urlBR) },
          tiene_proyecto: { type: "integer", value: (r: Row) => toFlag(r.tieneProyecto) },
        },
        scope: () => ({}),
        normalise: withoutNameNoise,
      },
    },
  ],
};

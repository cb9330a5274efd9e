/**
 * Minimis: de minimis awards (~4.3 million rows; BDNS keeps 10 years), by registration date
 * (`fechaRegistro`), keyed by `idConcesion`. `sectorActividad` is a `; `-joined list BDNS shuffles, and
 * some CNAE labels contain `;` themselves: split only where the next element's code begins, sort.
 * BDNS's order enum for this endpoint has no id-like column, so no order is asked (its default).
 */
import * as z from "zod/mini";
import { beneficiaryColumns, REGISTRATION_WINDOW, withoutNameNoise } from "./awards.js";
import { CNAE_LIST_SEPARATOR, sortedList, toBdnsCode, toDate, toInt, toNumber, toText } from "./noise.js";
import type { DatasetDeclaration } from "./types.js";

const row = z.looseObject({ idConcesion: z.number(), beneficiario: z.optional(z.nullable(z.string())) });
type Row = z.infer<typeof row> & Record<string, unknown>;

const sectors = (r: Row) => sortedList(r.sectorActividad, CNAE_LIST_SEPARATOR);

export const minimis: DatasetDeclaration = {
  name: "minimis",
  title: "Minimis",
  summary: "de minimis awards, by registration date",
  strategy: "windowed",
  floor: "2015-01-01",
  pieceDays: 7,
  volume: "~4.3 million rows",
  feeds: [
    {
      id: "busqueda",
      path: "/minimis/busqueda",
      answer: "page",
      window: REGISTRATION_WINDOW,
      table: {
        name: "minimis",
        row,
        key: ["id_concesion"],
        registrationDate: "fecha_registro",
        columns: {
          id_concesion: { type: "bigint", value: (r: Row) => r.idConcesion },
          codigo_concesion: { type: "text", value: (r: Row) => toText(r.codigoConcesion) },
          id_convocatoria: { type: "bigint", value: (r: Row) => toInt(r.idConvocatoria), index: true },
          numero_convocatoria: { type: "text", value: (r: Row) => toBdnsCode(r.numeroConvocatoria) },
          id_persona: { type: "bigint", value: (r: Row) => toInt(r.idPersona), index: true },
          ...beneficiaryColumns<Row>(),
          convocante: { type: "text", value: (r: Row) => toText(r.convocante) },
          reglamento: { type: "text", value: (r: Row) => toText(r.reglamento) },
          sector_producto: { type: "text", value: (r: Row) => toText(r.sectorProducto) },
          instrumento: { type: "text", value: (r: Row) => toText(r.instrumento) },
          fecha_concesion: { type: "date", value: (r: Row) => toDate(r.fechaConcesion) },
          fecha_registro: { type: "date", value: (r: Row) => toDate(r.fechaRegistro), index: true },
          /** The `; `-joined list, sorted. */
          sector_actividad: { type: "text", value: (r: Row) => sectors(r)?.join("; ") ?? null },
          ayuda_equivalente: { type: "numeric", value: (r: Row) => toNumber(r.ayudaEquivalente) },
        },
        normalise: (r: Row) => ({ ...withoutNameNoise(r), sectorActividad: sectors(r) }),
      },
    },
  ],
};

/**
 * Concesiones: every award (~24 million rows; BDNS keeps 4 calendar years), by registration date
 * (`fechaAlta`). Keyed by BDNS's `id` (`codConcesion` is "SB" + id). Pieces of 7 days (a week is ~24
 * pages of 10,000 rows, each ~2.5 s from BDNS), ordered by codConcesion for stable paging.
 */
import * as z from "zod/mini";
import { awardColumns, beneficiaryColumns, REGISTRATION_WINDOW, withoutNameNoise } from "./awards.js";
import { toDate, toInt, toText } from "./noise.js";
import type { DatasetDeclaration } from "./types.js";

const row = z.looseObject({ id: z.number(), beneficiario: z.optional(z.nullable(z.string())) });
type Row = z.infer<typeof row> & Record<string, unknown>;

export const concesiones: DatasetDeclaration = {
  name: "concesiones",
  title: "Concesiones",
  summary: "every grant award, by registration date",
  strategy: "windowed",
  floor: "2020-01-01",
  pieceDays: 7,
  volume: "~24 million rows",
  feeds: [
    {
      id: "busqueda",
      path: "/concesiones/busqueda",
      answer: "page",
      order: { order: "codConcesion", direccion: "asc" },
      window: REGISTRATION_WINDOW,
      table: {
        name: "concesiones",
        row,
        key: ["id"],
        registrationDate: "fecha_alta",
        columns: {
          id: { type: "bigint", value: (r: Row) => r.id },
          ...awardColumns<Row>(),
          descripcion_cooficial: { type: "text", value: (r: Row) => toText(r.descripcionCooficial) },
          codigo_invente: { type: "text", value: (r: Row) => toText(r.codigoInvente ?? r.codigoINVENTE) },
          fecha_alta: { type: "date", value: (r: Row) => toDate(r.fechaAlta), index: true },
          id_persona: { type: "bigint", value: (r: Row) => toInt(r.idPersona), index: true },
          ...beneficiaryColumns<Row>({ indexNif: true }),
        },
        normalise: withoutNameNoise,
        // A beneficiary's and a convocatoria's awards, counted and summed per year: the portal reads them
        // from here (the ranking of a year, a convocatoria's total), not from millions of rows.
        totals: [
          { table: "beneficiarios_totales", by: "id_persona", date: "fecha_concesion", count: "concesiones", sums: ["importe", "ayuda_equivalente"], carry: ["nif", "beneficiario"] },
          { table: "convocatorias_totales", by: "id_convocatoria", date: "fecha_concesion", count: "concesiones", sums: ["importe", "ayuda_equivalente"], carry: [] },
        ],
      },
    },
  ],
};

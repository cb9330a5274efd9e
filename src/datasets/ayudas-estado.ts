/**
 * Ayudas de estado: state-aid awards (~6.4 million rows since 2015), by registration date
 * (`fechaAlta`), keyed by `idConcesion`. `sectores` is a `#`-joined list BDNS returns in a different
 * order each time: stored and hashed sorted.
 */
import * as z from "zod/mini";
import { beneficiaryColumns, REGISTRATION_WINDOW, withoutNameNoise } from "./awards.js";
import { sortedList, toDate, toInt, toNumber, toText } from "./noise.js";
import type { DatasetDeclaration } from "./types.js";

const row = z.looseObject({ idConcesion: z.number(), beneficiario: z.optional(z.nullable(z.string())) });
type Row = z.infer<typeof row> & Record<string, unknown>;

const sectors = (r: Row) => sortedList(r.sectores, "#");

export const ayudasEstado: DatasetDeclaration = {
  name: "ayudas-estado",
  title: "Ayudas de estado",
  summary: "state-aid awards, by registration date",
  strategy: "windowed",
  floor: "2015-01-01",
  pieceDays: 7,
  volume: "~6.4 million rows",
  feeds: [
    {
      id: "busqueda",
      path: "/ayudasestado/busqueda",
      answer: "page",
      order: { order: "codConcesion", direccion: "asc" },
      window: REGISTRATION_WINDOW,
      table: {
        name: "ayudas_estado",
        row,
        key: ["id_concesion"],
        registrationDate: "fecha_alta",
        columns: {
          id_concesion: { type: "bigint", value: (r: Row) => r.idConcesion },
          cod_concesion: { type: "text", value: (r: Row) => toText(r.codConcesion) },
          id_convocatoria: { type: "bigint", value: (r: Row) => toInt(r.idConvocatoria), index: true },
          id_persona: { type: "bigint", value: (r: Row) => toInt(r.idPersona), index: true },
          ...beneficiaryColumns<Row>(),
          convocante: { type: "text", value: (r: Row) => toText(r.convocante) },
          reglamento: { type: "text", value: (r: Row) => toText(r.reglamento) },
          objetivo: { type: "text", value: (r: Row) => toText(r.objetivo) },
          instrumento: { type: "text", value: (r: Row) => toText(r.instrumento) },
          tipo_beneficiario: { type: "text", value: (r: Row) => toText(r.tipoBeneficiario) },
          fecha_concesion: { type: "date", value: (r: Row) => toDate(r.fechaConcesion) },
          fecha_alta: { type: "date", value: (r: Row) => toDate(r.fechaAlta), index: true },
          importe: { type: "numeric", value: (r: Row) => toNumber(r.importe) },
          ayuda_equivalente: { type: "numeric", value: (r: Row) => toNumber(r.ayudaEquivalente) },
          region: { type: "text", value: (r: Row) => toText(r.region) },
          /** The `#`-joined list, sorted. */
          sectores: { type: "text", value: (r: Row) => sectors(r)?.join("#") ?? null },
          ayuda_estado: { type: "text", value: (r: Row) => toText(r.ayudaEstado) },
          url_ayuda_estado: { type: "text", value: (r: Row) => toText(r.urlAyudaEstado) },
          entidad: { type: "text", value: (r: Row) => toText(r.entidad) },
          intermediario: { type: "text", value: (r: Row) => toText(r.intermediario) },
        },
        normalise: (r: Row) => ({ ...withoutNameNoise(r), sectores: sectors(r) }),
      },
    },
  ],
};

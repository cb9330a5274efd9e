/**
 * Sanciones: sanctions and disqualifications. BDNS gives them no id, so the natural key is a hash of
 * what identifies a sanction: the convocatoria, who was sanctioned (their NIF, not the name BDNS may
 * re-spell), when, for what, and its amounts and disqualification period. Two distinct sanctions
 * therefore never share a key; a correction of any of those fields shows as one sanction removed and
 * another added. The descriptive fields (the convocatoria's title, the granting body) are hashed as
 * content: a change there is a change. Full replace.
 */
import * as z from "zod/mini";
import { canonicalHash } from "./canonical.js";
import { nameOf, nifOf, toBdnsCode, toDate, toNumber, toText } from "./noise.js";
import type { DatasetDeclaration } from "./types.js";

const row = z.looseObject({ numeroConvocatoria: z.optional(z.nullable(z.union([z.string(), z.number()]))), sancionado: z.optional(z.nullable(z.string())) });
type Row = z.infer<typeof row> & Record<string, unknown>;

/** The fields that identify a sanction, as the key hashes them. */
export function sancionIdentity(r: Row) {
  return {
    numeroConvocatoria: toBdnsCode(r.numeroConvocatoria),
    sancionado: nifOf(r.sancionado),
    fechaSancion: toDate(r.fechaSancion),
    fechaConcesion: toDate(r.fechaConcesion),
    infraccion: toText(r.infraccion),
    importe: toNumber(r.importe),
    importeMulta: toNumber(r.importeMulta),
    inicioInhabilitacion: toDate(r.inicioInhabilitacion),
    finInhabilitacion: toDate(r.finInhabilitacion),
  };
}

/** 128 bits of the identity's hash: collisions are out of reach for any number of sanctions BDNS will hold. */
export const sancionKey = (r: Row) => canonicalHash(sancionIdentity(r)).slice(0, 32);

export const sanciones: DatasetDeclaration = {
  name: "sanciones",
  title: "Sanciones",
  summary: "sanctions and disqualifications (no BDNS id: keyed by a hash of what identifies each)",
  strategy: "full",
  volume: "~2,000 rows",
  feeds: [
    {
      id: "busqueda",
      path: "/sanciones/busqueda",
      answer: "page",
      table: {
        name: "sanciones",
        row,
        key: ["sancion_key"],
        columns: {
          sancion_key: { type: "text", value: (r: Row) => sancionKey(r) },
          numero_convocatoria: { type: "text", value: (r: Row) => toBdnsCode(r.numeroConvocatoria), index: true },
          convocatoria: { type: "text", value: (r: Row) => toText(r.convocatoria) },
          nivel1: { type: "text", value: (r: Row) => toText(r.nivel1) },
          nivel2: { type: "text", value: (r: Row) => toText(r.nivel2) },
          nivel3: { type: "text", value: (r: Row) => toText(r.nivel3) },
          nif: { type: "text", value: (r: Row) => nifOf(r.sancionado), index: true },
          sancionado: { type: "text", value: (r: Row) => nameOf(r.sancionado) },
          fecha_concesion: { type: "date", value: (r: Row) => toDate(r.fechaConcesion) },
          fecha_sancion: { type: "date", value: (r: Row) => toDate(r.fechaSancion) },
          infraccion: { type: "text", value: (r: Row) => toText(r.infraccion) },
          importe: { type: "numeric", value: (r: Row) => toNumber(r.importe) },
          importe_multa: { type: "numeric", value: (r: Row) => toNumber(r.importeMulta) },
          inicio_inhabilitacion: { type: "date", value: (r: Row) => toDate(r.inicioInhabilitacion) },
          fin_inhabilitacion: { type: "date", value: (r: Row) => toDate(r.finInhabilitacion) },
        },
        scope: () => ({}),
        normalise: (r: Row) => ({ ...r, sancionado: nifOf(r.sancionado) }),
      },
    },
  ],
};

/**
 * Grandes beneficiarios: per year (the years /grandesbeneficiarios/anios lists), who received the
 * most. Keyed by (idPersona, ejercicio). BDNS re-spells the name for the same idPersona between
 * passes, so the hash keeps the NIF and not the name (the latest spelling is stored). A year is
 * replaced only when all its pages arrived.
 */
import * as z from "zod/mini";
import { nameOf, nifOf, toInt, toNumber } from "./noise.js";
import type { DatasetDeclaration } from "./types.js";

const row = z.looseObject({ idPersona: z.number(), ejercicio: z.union([z.number(), z.string().check(z.regex(/^\d{4}$/))]), beneficiario: z.optional(z.nullable(z.string())) });
type Row = z.infer<typeof row> & Record<string, unknown>;

export const grandesBeneficiarios: DatasetDeclaration = {
  name: "grandes-beneficiarios",
  title: "Grandes beneficiarios",
  summary: "the largest beneficiaries per year, with the total they received",
  strategy: "full",
  volume: "~145,000 rows",
  feeds: [
    {
      id: "busqueda",
      path: "/grandesbeneficiarios/busqueda",
      sweep: { param: "anios", discover: { path: "/grandesbeneficiarios/anios", value: (y) => String((y as { id: unknown }).id) } },
      answer: "page",
      order: { order: "beneficiario", direccion: "asc" },
      table: {
        name: "grandes_beneficiarios",
        row,
        key: ["id_persona", "ejercicio"],
        columns: {
          id_persona: { type: "bigint", value: (r: Row) => r.idPersona },
          ejercicio: { type: "integer", value: (r: Row) => toInt(r.ejercicio) },
          nif: { type: "text", value: (r: Row) => nifOf(r.beneficiario), index: true },
          beneficiario: { type: "text", value: (r: Row) => nameOf(r.beneficiario) },
          ayuda_e_total: { type: "numeric", value: (r: Row) => toNumber(r.ayudaETotal) },
        },
        scope: (ctx) => ({ ejercicio: toInt(ctx.sweep) }),
        normalise: (r: Row) => ({ ...r, beneficiario: nifOf(r.beneficiario) }),
      },
    },
  ],
};

/**
 * Catálogos básicos: the small lists every other dataset refers to by id. Six plain catalogs and the
 * EU regulations, which BDNS lists per ámbito (omitting ámbito returns a subset, not the union).
 * An empty catalog answers 204: empty, not an error. Full replace per catalog and ámbito.
 */
import * as z from "zod/mini";
import { toInt, toText } from "./noise.js";
import type { DatasetDeclaration, Feed, TableDeclaration } from "./types.js";

const entry = z.looseObject({ id: z.union([z.number(), z.string().check(z.regex(/^\d+$/))]), descripcion: z.optional(z.nullable(z.string())) });
type Entry = z.infer<typeof entry>;

export const AMBITOS = ["C", "A", "M", "S", "P", "G"] as const;

const table: TableDeclaration<Entry> = {
  name: "catalogos",
  row: entry,
  key: ["catalogo", "ambito", "id"],
  columns: {
    catalogo: { type: "text", value: (_r, ctx) => ctx.feed },
    /** reglamentos only: the ámbito it was listed under ('' for the other catalogs). */
    ambito: { type: "text", value: (_r, ctx) => ctx.sweep ?? "" },
    id: { type: "bigint", value: (r) => toInt(r.id) },
    descripcion: { type: "text", value: (r) => toText(r.descripcion) },
  },
  scope: (ctx) => ({ catalogo: ctx.feed, ambito: ctx.sweep ?? "" }),
};

const plain = (id: string): Feed<Entry> => ({ id, path: `/${id}`, answer: "list", table });

export const catalogos: DatasetDeclaration = {
  name: "catalogos",
  title: "Catálogos básicos",
  summary: "finalidades, beneficiarios, instrumentos, actividades, objetivos, sectores and reglamentos per ámbito",
  strategy: "full",
  volume: "~1,000 rows",
  feeds: [
    plain("finalidades"),
    plain("beneficiarios"),
    plain("instrumentos"),
    plain("actividades"),
    plain("objetivos"),
    plain("sectores"),
    { id: "reglamentos", path: "/reglamentos", sweep: { param: "ambito", values: AMBITOS }, answer: "list", table },
  ],
};

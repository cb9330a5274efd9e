/**
 * Órganos: the granting bodies, a tree per administration (idAdmon C state, A regions, L local,
 * O others; L has three levels), plus their first level (agrupación). Ids are kept per idAdmon (that
 * they are unique across administrations is not established). Children come back in a different
 * order on every call; an invalid request is a 400 whose body is a bare array of strings. Full
 * replace per idAdmon.
 */
import * as z from "zod/mini";
import { toText } from "./noise.js";
import type { DatasetDeclaration } from "./types.js";

const node = z.looseObject({ id: z.number(), descripcion: z.optional(z.nullable(z.string())) });
type Node = z.infer<typeof node>;

export const ID_ADMON = ["C", "A", "L", "O"] as const;
const sweep = { param: "idAdmon", values: ID_ADMON };
const scope = (ctx: { sweep?: string }) => ({ id_admon: ctx.sweep ?? "" });

export const organos: DatasetDeclaration = {
  name: "organos",
  title: "Órganos",
  summary: "granting bodies: a tree per administration (C, A, L, O) and their first level (agrupación)",
  strategy: "full",
  volume: "~20,000 rows",
  feeds: [
    {
      id: "organos",
      path: "/organos",
      sweep,
      answer: "tree",
      table: {
        name: "organos",
        row: node,
        key: ["id_admon", "id"],
        columns: {
          id_admon: { type: "text", value: (_r, ctx) => ctx.sweep ?? "" },
          id: { type: "bigint", value: (r: Node) => r.id },
          parent_id: { type: "bigint", value: (_r, ctx) => ctx.parentId ?? null, index: true },
          level: { type: "integer", value: (_r, ctx) => ctx.level ?? 0 },
          descripcion: { type: "text", value: (r: Node) => toText(r.descripcion) },
        },
        scope,
      },
    },
    {
      id: "agrupacion",
      path: "/organos/agrupacion",
      sweep,
      answer: "list",
      table: {
        name: "organos_agrupacion",
        row: node,
        key: ["id_admon", "id"],
        columns: {
          id_admon: { type: "text", value: (_r, ctx) => ctx.sweep ?? "" },
          id: { type: "bigint", value: (r: Node) => r.id },
          descripcion: { type: "text", value: (r: Node) => toText(r.descripcion) },
        },
        scope,
      },
    },
  ],
};

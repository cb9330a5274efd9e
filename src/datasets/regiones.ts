/**
 * Regiones: the NUTS tree (country → NUTS1 → NUTS2 → NUTS3), one row per node with its parent and
 * level. BDNS returns the children in a different order on every call and trailing spaces on some
 * names; neither is a change. Full replace.
 */
import * as z from "zod/mini";
import { toText } from "./noise.js";
import type { DatasetDeclaration } from "./types.js";

const node = z.looseObject({ id: z.number(), descripcion: z.optional(z.nullable(z.string())) });
type Node = z.infer<typeof node>;

/** "ES11 - GALICIA" → "ES11"; names without a code → null. */
const nutsCode = (d: unknown) => (typeof d === "string" ? (/^\s*([A-Z]{2}[0-9A-Z]{0,3})\s+-\s/.exec(d)?.[1] ?? null) : null);

export const regiones: DatasetDeclaration = {
  name: "regiones",
  title: "Regiones",
  summary: "the NUTS regions tree, one row per node with its parent and level",
  strategy: "full",
  volume: "~100 rows",
  feeds: [
    {
      id: "regiones",
      path: "/regiones",
      answer: "tree",
      table: {
        name: "regiones",
        row: node,
        key: ["id"],
        columns: {
          id: { type: "bigint", value: (r: Node) => r.id },
          parent_id: { type: "bigint", value: (_r, ctx) => ctx.parentId ?? null, index: true },
          level: { type: "integer", value: (_r, ctx) => ctx.level ?? 0 },
          nuts: { type: "text", value: (r: Node) => nutsCode(r.descripcion) },
          descripcion: { type: "text", value: (r: Node) => toText(r.descripcion) },
        },
        scope: () => ({}),
      },
    },
  ],
};


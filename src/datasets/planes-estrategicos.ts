/**
 * Planes estratégicos: every page of /planesestrategicos/busqueda (full replace), then each plan's
 * detail fanned out as events like convocatorias' details (new plans, and plans whose detail never
 * arrived; every plan with `full`), and each detail's documents stored through the document store.
 * Some plans' details answer an HTML page, and keep doing so: they are recorded, never stop the run.
 */
import * as z from "zod/mini";
import { toDate, toInt, toText } from "./noise.js";
import type { DatasetDeclaration } from "./types.js";

const row = z.looseObject({ id: z.number(), descripcion: z.optional(z.nullable(z.string())) });
type Row = z.infer<typeof row> & Record<string, unknown>;

export const planesEstrategicos: DatasetDeclaration = {
  name: "planes-estrategicos",
  title: "Planes estratégicos",
  summary: "strategic grant plans, each plan's detail and its documents",
  strategy: "full",
  volume: "~2,000 plans",
  feeds: [
    {
      id: "busqueda",
      path: "/planesestrategicos/busqueda",
      answer: "page",
      order: { order: "descripcion", direccion: "asc" },
      table: {
        name: "planes_estrategicos",
        row,
        key: ["id"],
        columns: {
          id: { type: "bigint", value: (r: Row) => r.id },
          descripcion: { type: "text", value: (r: Row) => toText(r.descripcion) },
          descripcion_cooficial: { type: "text", value: (r: Row) => toText(r.descripcionCooficial) },
          tipo_plan: { type: "text", value: (r: Row) => toText(r.tipoPlan) },
          vigencia_desde: { type: "integer", value: (r: Row) => toInt(r.vigenciaDesde) },
          vigencia_hasta: { type: "integer", value: (r: Row) => toInt(r.vigenciaHasta) },
          ambitos: { type: "text", value: (r: Row) => toText(r.ambitos) },
        },
        scope: () => ({}),
      },
    },
  ],
  details: {
    feed: "busqueda",
    id: (r) => String(r.id),
    path: "/planesestrategicos",
    param: "idPES",
    columns: { fecha_aprobacion: (d) => toDate(d.fechaAprobacion) },
    documents: {
      list: (d) => (Array.isArray(d.documentos) ? (d.documentos as Array<Record<string, unknown>>) : []).filter((x) => x && x.id !== undefined && x.id !== null).map((x) => ({ id: String(x.id), name: toText(x.nombreFic) })),
      path: "/planesestrategicos/documentos",
      param: "idDocumento",
    },
  },
};

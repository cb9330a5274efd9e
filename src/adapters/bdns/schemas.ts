/**
 * The BDNS responses we read, as zod schemas. Lenient where the API is noisy: unknown fields are kept,
 * `""` means null, dates come as `YYYY-MM-DD` or as ISO datetimes with an offset (older data), and the
 * spec's `codigoINVENTE` spelling is accepted beside `codigoInvente`.
 */
import { z } from "zod";

/** `""` and missing → null. */
const nullish = <T extends z.ZodType>(t: T) => z.preprocess((v) => (v === "" || v === undefined ? null : v), t.nullable());
const text = nullish(z.string());
const num = nullish(z.number());
const bool = nullish(z.boolean());
/** `2026-09-14` or `2024-10-14T15:57:09+02:00` → the calendar date as written, `YYYY-MM-DD`. */
const date = nullish(z.string().regex(/^\d{4}-\d{2}-\d{2}/, "a date").transform((s) => s.slice(0, 10)));
const described = z.looseObject({ descripcion: text });

export const searchRowSchema = z
  .looseObject({
    id: z.number(),
    mrr: bool,
    numeroConvocatoria: z.coerce.string().regex(/^\d{1,10}$/),
    descripcion: text,
    descripcionLeng: text,
    fechaRecepcion: date,
    nivel1: text,
    nivel2: text,
    nivel3: text,
    codigoInvente: text,
    codigoINVENTE: text,
  })
  .transform(({ codigoINVENTE, ...row }) => ({ ...row, codigoInvente: row.codigoInvente ?? codigoINVENTE ?? null }));
export type SearchRow = z.infer<typeof searchRowSchema>;

export const searchPageSchema = z.looseObject({
  content: z.array(searchRowSchema),
  totalPages: z.number().int(),
  totalElements: z.number().int(),
  number: z.number().int().optional(),
  last: z.boolean().optional(),
});
export type SearchPage = z.infer<typeof searchPageSchema>;

export const documentMetaSchema = z.looseObject({
  id: z.number().int(),
  nombreFic: text,
  descripcion: text,
  long: num,
  datMod: date,
  datPublicacion: date,
});
export type DocumentMeta = z.infer<typeof documentMetaSchema>;

export const detailSchema = z.looseObject({
  id: z.number(),
  codigoBDNS: z.coerce.string().regex(/^\d{1,10}$/),
  organo: nullish(z.looseObject({ nivel1: text, nivel2: text, nivel3: text })),
  fechaRecepcion: date,
  descripcion: text,
  descripcionLeng: text,
  tipoConvocatoria: text,
  presupuestoTotal: num,
  mrr: bool,
  abierto: bool,
  fechaInicioSolicitud: date,
  fechaFinSolicitud: date,
  textInicio: text,
  textFin: text,
  sedeElectronica: text,
  instrumentos: nullish(z.array(described)),
  documentos: nullish(z.array(documentMetaSchema)),
});
export type ConvocatoriaDetail = z.infer<typeof detailSchema>;

/** An error reported in the body, sometimes inside an HTTP 200. */
export const errorBodySchema = z.looseObject({ codigo: z.string(), error: text.optional(), errores: z.array(z.string()).nullish() });

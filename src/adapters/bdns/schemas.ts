/**
 * The BDNS responses we read, as zod schemas. Lenient where the API is noisy: unknown fields are kept,
 * `""` means null, dates come as `YYYY-MM-DD` or as ISO datetimes with an offset (older data), and the
 * spec's `codigoINVENTE` spelling is accepted beside `codigoInvente`.
 * zod/mini, like the contracts: one flavour of zod in the bundle keeps the CLI's start-up small.
 */
import * as z from "zod/mini";
import { calendarDate, canonicalCode, withoutNul } from "../../datasets/noise.js";

/** `""` and missing → null, then the schema (or null). */
function nullish<T extends z.ZodMiniType>(t: T) {
  const blankIsNull = z.pipe(
    z.union([t, z.literal(""), z.null()]),
    z.transform((v): Exclude<z.output<T>, ""> | null => (v === "" ? null : (v as Exclude<z.output<T>, "">))),
  );
  return z._default(blankIsNull, null); // a missing field is null too
}
/** Text as read, without NUL characters: PostgreSQL's text cannot hold one (SQLite then keeps the same). */
const text = nullish(z.pipe(z.string(), z.transform(withoutNul)));
const num = nullish(z.number());
const bool = nullish(z.boolean());
/**
 * `2026-09-14` or `2024-10-14T15:57:09+02:00` → the calendar date as written, `YYYY-MM-DD`; a day no
 * calendar has (`2026-02-30`) → null, as the dataset columns read it (the raw JSON keeps it).
 */
const date = nullish(z.pipe(z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}/, "a date")), z.transform((s: string) => calendarDate(s.slice(0, 10)))));
/**
 * A BDNS code, sometimes sent as a number, sometimes with leading zeros: read in its canonical form
 * (`0900000` is 900000, the convocatoria the store keys on). One that can never be valid (`0`, letters)
 * is refused, naming what it was.
 */
export const BDNS_CODE_ISSUE = "must be a BDNS code: 1–10 digits, not 0";
const code = z.pipe(
  z.transform((v: unknown, ctx) => {
    const c = canonicalCode(v);
    if (c === undefined) ctx.issues.push({ code: "custom", message: `${BDNS_CODE_ISSUE} (${JSON.stringify(v)})`, input: v });
    return c ?? "";
  }),
  z.string(),
);
const described = z.looseObject({ descripcion: text });

export const searchRowSchema = z.pipe(
  z.looseObject({
    id: z.number(),
    mrr: bool,
    numeroConvocatoria: code,
    descripcion: text,
    descripcionLeng: text,
    fechaRecepcion: date,
    nivel1: text,
    nivel2: text,
    nivel3: text,
    codigoInvente: text,
    codigoINVENTE: text,
  }),
  z.transform(({ codigoINVENTE, ...row }) => ({ ...row, codigoInvente: row.codigoInvente ?? codigoINVENTE ?? null })),
);
export type SearchRow = z.infer<typeof searchRowSchema>;

/** The page around the rows; each row is read on its own (searchRowSchema), so one bad row never sinks its page. */
export const searchPageSchema = z.looseObject({
  content: z.array(z.unknown()),
  totalPages: z.int(),
  totalElements: z.int(),
  number: z.optional(z.int()),
  last: z.optional(z.boolean()),
});

/** A listing row the schema refused: where in the page, and why (the first offending field). */
export interface RefusedRow {
  at: string;
  reason: string;
}

/** One page of the listing: the rows read, and the rows refused (broken records, recorded by the caller). */
export interface SearchPage {
  content: SearchRow[];
  refused: RefusedRow[];
  totalPages: number;
  totalElements: number;
}

export const documentMetaSchema = z.looseObject({
  id: z.int(),
  nombreFic: text,
  descripcion: text,
  long: num,
  datMod: date,
  datPublicacion: date,
});
export type DocumentMeta = z.infer<typeof documentMetaSchema>;

export const detailSchema = z.looseObject({
  id: z.number(),
  codigoBDNS: code,
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
export const errorBodySchema = z.looseObject({ codigo: z.string(), error: z.optional(text), errores: z.optional(z.nullable(z.array(z.string()))) });

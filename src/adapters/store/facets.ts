/**
 * A convocatoria's classifications as rows of `convocatoria_facetas`, so the portal filters on them
 * with an index instead of reading `detail_json`: the regions (NUTS code: `ES52` of
 * "ES52 - COMUNIDAD VALENCIANA"), sectors (CNAE code), beneficiary types (BDNS's code, or the text
 * when it has none), instruments, funds and the purpose (`finalidad`, the text). The one reading of a
 * detail for it: the store's writes and the migration that filled the table from stored details.
 */

export type Faceta = "region" | "sector" | "tipo_beneficiario" | "instrumento" | "fondo" | "finalidad";

export interface FacetRow {
  faceta: Faceta;
  /** What the portal filters on: a code where BDNS gives one, else the text (trimmed). */
  valor: string;
  /** The text as BDNS wrote it (trimmed). */
  descripcion: string | null;
}

/** `ES52 - COMUNIDAD VALENCIANA` → ES52; a NUTS code is 2 letters and up to 3 more letters or digits. */
const NUTS = /^([A-Z]{2}[A-Z0-9]{0,3})\s+-\s+(.*)$/;

export function facetsOf(detail: unknown): FacetRow[] {
  if (!detail || typeof detail !== "object") return [];
  const d = detail as Record<string, unknown>;
  const rows = new Map<string, FacetRow>();
  const add = (faceta: Faceta, valor: string | null | undefined, descripcion: string | null) => {
    const v = valor?.trim();
    if (v) rows.set(`${faceta}\u0000${v}`, { faceta, valor: v, descripcion });
  };
  for (const r of list(d.regiones)) {
    const text = textOf(r.descripcion);
    const m = text ? NUTS.exec(text) : null;
    add("region", m ? m[1]! : text, m ? m[2]!.trim() || null : text);
  }
  for (const s of list(d.sectores)) add("sector", textOf(s.codigo) ?? textOf(s.descripcion), textOf(s.descripcion));
  for (const t of list(d.tiposBeneficiarios)) add("tipo_beneficiario", textOf(t.codigo) ?? textOf(t.descripcion), textOf(t.descripcion));
  for (const i of list(d.instrumentos)) add("instrumento", textOf(i.descripcion), textOf(i.descripcion));
  for (const f of list(d.fondos)) add("fondo", textOf(f.descripcion), textOf(f.descripcion));
  const finalidad = textOf(d.descripcionFinalidad);
  add("finalidad", finalidad, finalidad);
  return [...rows.values()];
}

function list(v: unknown): Array<Record<string, unknown>> {
  return Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => Boolean(x) && typeof x === "object") : [];
}

function textOf(v: unknown): string | null {
  if (typeof v === "number") return String(v);
  if (typeof v !== "string") return null;
  const s = v.trim();
  return s === "" ? null : s;
}

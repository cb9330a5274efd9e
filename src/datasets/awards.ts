/**
 * What the four award datasets share: registration-date windows (`fechaRegInicio` inclusive,
 * `fechaRegFin` exclusive — the engine asks for the day after the last), and the beneficiary as BDNS
 * writes it, "NIF NAME", whose name it re-spells for the same person between passes.
 */
import { nameOf, nifOf, toBdnsCode, toDate, toFlag, toInt, toNumber, toText } from "./noise.js";
import type { Column, Feed } from "./types.js";

export const REGISTRATION_WINDOW: Feed["window"] = { fromParam: "fechaRegInicio", toParam: "fechaRegFin", toExclusive: true };

/** `nif` and `beneficiario` (the name, latest spelling) columns from BDNS's "NIF NAME". */
export function beneficiaryColumns<R extends { beneficiario?: unknown }>(o: { indexNif?: boolean } = {}): Record<"nif" | "beneficiario", Column<R>> {
  return {
    nif: { type: "text", value: (r) => nifOf(r.beneficiario), ...(o.indexNif && { index: true }) },
    beneficiario: { type: "text", value: (r) => nameOf(r.beneficiario) },
  };
}

/** For the hash: the beneficiary is who they are (the NIF), not how BDNS spelt the name this time. */
export const withoutNameNoise = <R extends { beneficiario?: unknown }>(r: R): R => ({ ...r, beneficiario: nifOf(r.beneficiario) });

/** The columns an award row of /concesiones and /partidospoliticos shares: what, from whom, how much. */
export function awardColumns<R extends Record<string, unknown>>(): Record<string, Column<R>> {
  return {
    cod_concesion: { type: "text", value: (r) => toText(r.codConcesion) },
    id_convocatoria: { type: "bigint", value: (r) => toInt(r.idConvocatoria), index: true },
    numero_convocatoria: { type: "text", value: (r) => toBdnsCode(r.numeroConvocatoria) },
    convocatoria: { type: "text", value: (r) => toText(r.convocatoria) },
    nivel1: { type: "text", value: (r) => toText(r.nivel1) },
    nivel2: { type: "text", value: (r) => toText(r.nivel2) },
    nivel3: { type: "text", value: (r) => toText(r.nivel3) },
    fecha_concesion: { type: "date", value: (r) => toDate(r.fechaConcesion) },
    instrumento: { type: "text", value: (r) => toText(r.instrumento) },
    importe: { type: "numeric", value: (r) => toNumber(r.importe) },
    ayuda_equivalente: { type: "numeric", value: (r) => toNumber(r.ayudaEquivalente) },
    url_br: { type: "text", value: (r) => toText(r.urlBR) },
    tiene_proyecto: { type: "integer", value: (r) => toFlag(r.tieneProyecto) },
  };
}

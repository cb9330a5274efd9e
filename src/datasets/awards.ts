/**
 * What the four award datasets share: registration-date windows (`fechaRegInicio` inclusive,
 * `fechaRegFin` exclusive — the engine asks for the day after the last), and the beneficiary as BDNS
 * writes it, "NIF NAME", whose name it re-spells for the same person between passes.
 */
import { nameOf, nifOf } from "./noise.js";
import type { Column, Feed } from "./types.js";

export const REGISTRATION_WINDOW: Feed["window"] = { fromParam: "fechaRegInicio", toParam: "fechaRegFin", toExclusive: true };

/** `nif` and `beneficiario` (the name, latest spelling) columns from BDNS's "NIF NAME". */
export function beneficiaryColumns<R extends { beneficiario?: unknown }>(): Record<"nif" | "beneficiario", Column<R>> {
  return {
    nif: { type: "text", value: (r) => nifOf(r.beneficiario) },
    beneficiario: { type: "text", value: (r) => nameOf(r.beneficiario) },
  };
}

/** For the hash: the beneficiary is who they are (the NIF), not how BDNS spelt the name this time. */
export const withoutNameNoise = <R extends { beneficiario?: unknown }>(r: R): R => ({ ...r, beneficiario: nifOf(r.beneficiario) });

/**
 * The tables: a contract the portal reads (documented in docs/functions-and-storage.md). Same columns on SQLite and
 * PostgreSQL: dates and times are ISO 8601 text, flags are 0/1 integers, so one query path serves both.
 */
import type { Generated } from "kysely";

export interface ConvocatoriasTable {
  bdns: string;
  id: number | null;
  descripcion: string | null;
  descripcion_leng: string | null;
  fecha_recepcion: string | null;
  nivel1: string | null;
  nivel2: string | null;
  nivel3: string | null;
  codigo_invente: string | null;
  mrr: number | null;
  tipo_convocatoria: string | null;
  presupuesto_total: number | null;
  abierto: number | null;
  fecha_inicio_solicitud: string | null;
  fecha_fin_solicitud: string | null;
  sede_electronica: string | null;
  /** The detail as BDNS sent it (minus its legal notice); null until the detail is fetched. */
  detail_json: string | null;
  /** sha256 of the canonical detail JSON; null until the detail is fetched. */
  content_hash: string | null;
  first_seen_at: string;
  listed_at: string | null;
  last_fetched_at: string | null;
  /** When the detail last changed, or the row was marked removed or came back: the feed of changes. */
  last_changed_at: string | null;
  last_run_id: string | null;
  /** When a completed listing of its window no longer held it (null while BDNS lists it). */
  removed_at: string | null;
  /** The BDNS code as a number (generated from `bdns`): order codes by it. */
  codigo: Generated<number | null>;
}

/** A convocatoria's classifications (adapters/store/facets.ts), one row each. */
export interface ConvocatoriaFacetasTable {
  bdns: string;
  faceta: string;
  valor: string;
  descripcion: string | null;
  /** The convocatoria's, so that a facet and a period are one index range. */
  fecha_recepcion: string | null;
}

/** Per beneficiary (id_persona) and year of concesión: the awards not removed (adapters/store/totals.ts). */
export interface BeneficiariosTotalesTable {
  id_persona: number;
  ejercicio: number;
  nif: string | null;
  beneficiario: string | null;
  concesiones: number;
  importe: number;
  ayuda_equivalente: number;
}

export interface DocumentosTable {
  id: string;
  bdns: string;
  nombre_fic: string | null;
  descripcion: string | null;
  announced_size: number | null;
  dat_mod: string | null;
  dat_publicacion: string | null;
  sha256: string | null;
  stored_size: number | null;
  /** Relative to DOCUMENTS_DIR. */
  stored_path: string | null;
  stored_at: string | null;
  /** The `dat_mod` BDNS announced for the revision that is stored (a new one means a new file). */
  stored_dat_mod: string | null;
  first_seen_at: string;
  /** When a detail last listed it (or its file was stored). */
  updated_at: string;
  /** When its convocatoria's detail no longer listed it (null while listed). */
  removed_at: string | null;
}

export interface SyncRunsTable {
  run_id: string;
  /** One row per run and dataset: `sync all` is one run over every dataset. */
  dataset: string;
  /** What started it: sync (a window or a full fetch), detail or document (a direct request). */
  kind: string;
  window_from: string | null;
  window_to: string | null;
  started_at: string;
  finished_at: string | null;
  /** (requested: filed by another dataset of the same `sync all`, not picked up yet →) running → succeeded (every piece fetched and fanned out) | failed. */
  status: string;
  /** The run whose failed items this one re-requested (`ayida-jobs retry`). */
  retry_of: string | null;
  /** Pieces of the work (windows of ≤ 7 days, sweep values), and how many are done. */
  pieces: Generated<number>;
  pieces_done: Generated<number>;
  /** convocatorias: listing rows seen; queued: detail events sent. */
  listed: Generated<number>;
  queued: Generated<number>;
  /** Rows fetched (datasets), and what storing them did. */
  fetched: Generated<number>;
  new: Generated<number>;
  changed: Generated<number>;
  unchanged: Generated<number>;
  removed: Generated<number>;
  failed: Generated<number>;
  documents_stored: Generated<number>;
  /** Rows a completed fetch no longer returned but did not mark removed (removal_holds says why). */
  removals_held: Generated<number>;
}

/**
 * A scope whose removal a run held back (functions/datasets/removal.ts): the unit that fetched it, how
 * many rows it did not mark removed, of how many, and why (empty, incomplete, shrink).
 */
export interface RemovalHoldsTable {
  run_id: string;
  dataset: string;
  unit: string;
  held: number;
  live: number;
  reason: string;
  message: string;
  at: string;
}

/** A view over run_items: the items that failed for good. */
export interface SyncFailuresTable {
  run_id: string;
  dataset: string;
  kind: string;
  item: string;
  /** '' when the item is not a convocatoria's. */
  bdns: string;
  /** '' when the failure is not a document's. */
  document_id: string;
  failure: string;
  reason: string;
  at: string;
}

/**
 * The kinds of work a run causes: the request itself, its pieces (windows, sweep values), the
 * details and documents they fan out; `record`: a record BDNS sent that its schema refused.
 */
export type ItemKind = "sync" | "piece" | "detail" | "document" | "record";
/** queued → (failing, attempt n of m)* → stored | unchanged | failed (for good). */
export type ItemState = "queued" | "failing" | "stored" | "unchanged" | "failed";

export interface RunItemsTable {
  run_id: string;
  dataset: string;
  kind: ItemKind;
  /** The item's key within the run and dataset: a BDNS code, `<bdns>/<documentId>`, a window `from..to`, a sweep value. */
  item: string;
  bdns: string | null;
  document_id: string | null;
  state: ItemState;
  /** Attempts that failed so far (the last one is attempt n of max_attempts). */
  attempt: Generated<number>;
  max_attempts: number | null;
  failure: string | null;
  reason: string | null;
  /** When the next attempt is due, while failing; null when none is (last attempt, or done). */
  next_attempt_at: string | null;
  queued_at: string | null;
  updated_at: string;
}

/**
 * The steps of a run that committed their writes, each with the result it returned (JSON): the
 * store's own memo of a step, written in the step's transaction.
 */
export interface RunStepsTable {
  run_id: string;
  dataset: string;
  /** The step's key within the run and dataset (e.g. `detail 123456`, `complete 2026-11-01..2026-11-07`). */
  step: string;
  result: string;
  at: string;
}

export interface Database {
  convocatorias: ConvocatoriasTable;
  documentos: DocumentosTable;
  sync_runs: SyncRunsTable;
  sync_failures: SyncFailuresTable;
  run_items: RunItemsTable;
  run_steps: RunStepsTable;
  removal_holds: RemovalHoldsTable;
  convocatoria_facetas: ConvocatoriaFacetasTable;
  beneficiarios_totales: BeneficiariosTotalesTable;
}

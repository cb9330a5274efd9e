/**
 * The loopback BDNS's ten other datasets: catálogos, regiones, órganos, planes estratégicos, grandes
 * beneficiarios, sanciones, concesiones, ayudas de estado, minimis and partidos políticos — every
 * endpoint they use, in the shapes of ../shared/reference/bdns-samples (field names and order, types,
 * nulls, nesting, the Spring Page envelope), with the real API's semantics and misbehaviour as
 * ../shared/reference/bdns-api.md describes them. Plug it into the loopback BDNS:
 *
 *     const fx = makeDatasetsFixture({ concesiones: { from: "2026-09-01", to: "2026-09-14", rowsPerDay: 500 } });
 *     const bdns = await startFakeBdns({ datasets: fx });   // fault(), minGapMs and the request log apply
 *
 * SCALE. The paged datasets are `RowSource`s: row i is computed on demand from i (`rowAt(i)`), never
 * stored. Registration dates (windowed datasets) or years (grandes beneficiarios) are buckets of
 * consecutive indices, so a window is an index range and a page request generates only its page: a
 * 24,000,000-row concesiones costs a prefix-sum array of one number per day. Per-row state exists only
 * for rows a test mutated (`stateSize()` counts it).
 *
 * MUTATIONS (between two syncs; all by row index, see `RowSource`):
 *   fx.concesiones.remove(i)                       the row no longer comes back (restore(i) undoes it)
 *   fx.concesiones.patch(i, { importe: 1 })        real content changes (the id and the registration
 *                                                  date cannot be patched: remove + add moves a row)
 *   fx.concesiones.add({ at: "2026-09-03", fields }) a new row registered that day; returns its index
 *   fx.catalogs.finalidades.push(...), fx.regiones[0].children!.pop(), fx.brokenPlans.add(3104) ...
 *                                                  the small reference data are plain arrays: edit them
 * NOISE (must NOT count as a change; one switch, `fx.noise = true`, and `fx.noiseSeed` for another
 * variant): beneficiary names re-spelt for the same idPersona/NIF (accents, punctuation, case) on the
 * four award datasets and grandes beneficiarios; the `#` list of ayudas de estado and the `; ` list of
 * minimis rotated; trailing spaces toggled on catalog, tree and plan texts; a plan's `ambitos` reordered.
 * Tree children come back in a different order on EVERY call, noise or not (bdns-api.md §3: "children
 * order varies between calls"), deterministically from the call number (`shuffleTree`).
 * REPEATS: `fx.concesiones.repeatAcrossPages = true` makes every page after the first begin with the
 * previous page's last row, as offset paging over days still receiving rows does (bdns-api.md §3).
 *
 * FAULTS. `fake.fault(requestMatches(path, params), ...replies)` answers the next matching requests
 * (429, 5xx, "maintenance-200", "html", "truncated", "hang", delays) on these paths too. For a fault
 * that stays, push a `StandingFailure`: `fx.failures.push({ path: "/reglamentos", params: { ambito: "M" },
 * reply: { status: 500 } })` fails that sweep value on every call (or `times` calls); `params: { page:
 * "2", fechaRegInicio: "01/09/2026" }` fails one page of one window. Broken plan details (HTML inside a
 * 200, every time) are `fx.brokenPlans`.
 *
 * REQUEST LOG. `fake.requests` records every path with its params; `countRequests(requests, path,
 * params)` counts those of one sweep value, and `minimumRequests(fx, dataset, …)` says the fewest a
 * complete sync needs (one per page per sweep value, one per plan detail).
 *
 * Simplifications and inferences (not said by the reference) are marked "Inferred" where they apply.
 */
import type { BdnsRequest, FakeDocument, FaultReply } from "./bdns-server.js";

// ---------------------------------------------------------------------------------------------------
// Public types

export const CATALOGS = ["finalidades", "beneficiarios", "instrumentos", "actividades", "objetivos", "sectores"] as const;
export type CatalogName = (typeof CATALOGS)[number];
export const AMBITOS = ["C", "A", "M", "S", "P", "G"] as const;
export type Ambito = (typeof AMBITOS)[number];
export const ID_ADMON = ["C", "A", "L", "O"] as const;
export type IdAdmon = (typeof ID_ADMON)[number];

export interface CatalogEntry {
  id: number;
  descripcion: string;
}

/** A node of `/regiones` or `/organos`. `children` undefined = a leaf without the key (órganos C/A/O). */
export interface TreeNode {
  id: number;
  descripcion: string;
  children?: TreeNode[];
}

export interface ConcesionRow {
  id: number;
  codConcesion: string;
  fechaConcesion: string;
  beneficiario: string;
  instrumento: string;
  importe: number;
  ayudaEquivalente: number;
  urlBR: string;
  tieneProyecto: boolean;
  numeroConvocatoria: string;
  idConvocatoria: number;
  convocatoria: string;
  descripcionCooficial: string | null;
  nivel1: string;
  nivel2: string;
  nivel3: string;
  codigoInvente: string | null;
  idPersona: number;
  fechaAlta: string;
}

export interface AyudaEstadoRow {
  idConcesion: number;
  numeroConvocatoria: string;
  idConvocatoria: number;
  convocatoria: string;
  idPersona: number;
  codConcesion: string;
  convocante: string;
  reglamento: string;
  objetivo: string;
  instrumento: string;
  tipoBeneficiario: string;
  fechaConcesion: string;
  fechaAlta: string;
  beneficiario: string;
  importe: number;
  ayudaEquivalente: number;
  region: string;
  sectores: string;
  ayudaEstado: string;
  urlAyudaEstado: string;
  entidad: string | null;
  intermediario: string | null;
}

export interface MinimisRow {
  idConcesion: number;
  numeroConvocatoria: string;
  idConvocatoria: number;
  idPersona: number;
  codigoConcesion: string;
  convocante: string;
  reglamento: string;
  sectorProducto: string | null;
  instrumento: string;
  fechaConcesion: string;
  fechaRegistro: string;
  beneficiario: string;
  sectorActividad: string;
  ayudaEquivalente: number;
}

export interface PartidoPoliticoRow {
  id: number;
  codConcesion: string;
  fechaConcesion: string;
  beneficiario: string;
  instrumento: string;
  importe: number;
  ayudaEquivalente: number;
  urlBR: string;
  tieneProyecto: boolean;
  numeroConvocatoria: string;
  idConvocatoria: number;
  convocatoria: string;
  nivel1: string;
  nivel2: string;
  nivel3: string;
}

export interface SancionRow {
  numeroConvocatoria: string;
  convocatoria: string;
  nivel1: string;
  nivel2: string;
  nivel3: string;
  codigoInvente: string | null;
  fechaConcesion: string;
  infraccion: string;
  importe: number;
  sancionado: string;
  fechaSancion: string;
  importeMulta: number;
  inicioInhabilitacion: string | null;
  finInhabilitacion: string | null;
}

export interface GranBeneficiarioRow {
  idPersona: number;
  beneficiario: string;
  ejercicio: number;
  ayudaETotal: number;
}

export interface PlanDocument {
  id: number;
  ejercicio: number | null;
  nombreFic: string;
  tipoDocumento: string;
}

/** Everything about one plan: `busqueda` shows the first seven fields, the detail the rest too. */
export interface PlanRecord {
  descripcion: string;
  descripcionCooficial: string | null;
  tipoPlan: string;
  vigenciaDesde: number;
  vigenciaHasta: number;
  id: number;
  /** busqueda's `ambitos`: one string. */
  ambitos: string;
  fechaAprobacion: string;
  /** The detail's `ambitos`: an array (bdns-samples README: string in busqueda vs array in detail). */
  ambitosDetalle: string[];
  documentos: PlanDocument[];
}

/** A fault that stays: every matching request (or the next `times`) gets `reply`. */
export interface StandingFailure {
  path: string;
  /** Every listed param must have this value (others are free). */
  params?: Record<string, string>;
  reply: FaultReply;
  times?: number;
}

export interface DatasetsFixture {
  /** Noise on: bytes change, identity and content do not (see the header). */
  noise: boolean;
  /** Another seed, another spelling/order: two noisy passes differ from each other too. */
  noiseSeed: number;
  failures: StandingFailure[];
  /** Calls so far per tree request (`/regiones`, `/organos?idAdmon=C`): the shuffle's call number. */
  calls: Map<string, number>;
  catalogs: Record<CatalogName, CatalogEntry[]>;
  reglamentos: Record<Ambito, CatalogEntry[]>;
  regiones: TreeNode[];
  organos: Record<IdAdmon, TreeNode[]>;
  planes: RowSource<PlanRecord>;
  /** idPES whose detail is an HTML error page inside a 200, every time. */
  brokenPlans: Set<number>;
  grandesBeneficiarios: RowSource<GranBeneficiarioRow>;
  sanciones: RowSource<SancionRow>;
  concesiones: RowSource<ConcesionRow>;
  ayudasEstado: RowSource<AyudaEstadoRow>;
  minimis: RowSource<MinimisRow>;
  partidosPoliticos: RowSource<PartidoPoliticoRow>;
}

export interface WindowedOptions {
  /** First and last registration day (ISO, inclusive). */
  from?: string;
  to?: string;
  /** Rows registered per day; a function gives each day its own count (0 for a weekend, say). */
  rowsPerDay?: number | ((day: string) => number);
  firstId?: number;
}

export interface DatasetsFixtureOptions {
  concesiones?: WindowedOptions;
  ayudasEstado?: WindowedOptions;
  minimis?: WindowedOptions;
  partidosPoliticos?: { rows?: number };
  sanciones?: { rows?: number };
  grandesBeneficiarios?: { years?: number[]; rowsPerYear?: number };
  planes?: { plans?: number; broken?: number[] };
}

/** What a request gets: a body, or a file the loopback BDNS streams (bytes of `documentChunks`). */
export type DatasetAnswer = { status: number; body: string | Buffer; contentType: string } | { file: FakeDocument };

// ---------------------------------------------------------------------------------------------------
// Small deterministic helpers

/** A 32-bit mix of two integers (murmur3's finaliser): the fake's only source of "randomness". */
export function mix(a: number, b = 0): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul((b + 0x632be5ab) | 0, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

const DAY_MS = 86_400_000;

/** `2026-09-01` → days since 1970-01-01. */
export function epochDay(iso: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new Error(`not an ISO day: ${iso}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS;
}

/** A direct-mapped cache of 256 days: rows of one page share a few dozen dates (fixed memory). */
const isoCacheKeys = new Float64Array(256).fill(NaN);
const isoCacheValues: string[] = new Array<string>(256).fill("");

/** Days since 1970-01-01 → `2026-09-01`. */
export function isoDay(day: number): string {
  const slot = day & 255;
  if (isoCacheKeys[slot] === day) return isoCacheValues[slot]!;
  const iso = civilDay(day);
  isoCacheKeys[slot] = day;
  isoCacheValues[slot] = iso;
  return iso;
}

/** By integer arithmetic (H. Hinnant's civil_from_days): no Date object per row. */
function civilDay(day: number): string {
  const z = day + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${y}-${m < 10 ? "0" : ""}${m}-${d < 10 ? "0" : ""}${d}`;
}

/** BDNS request dates are `dd/MM/yyyy` (bdns-api.md §0); anything else, or no such day, is undefined. */
export function bdnsDay(value: string): number | undefined {
  const m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(value);
  if (!m) return undefined;
  const day = epochDay(`${m[3]}-${m[2]}-${m[1]}`);
  return isoDay(day) === `${m[3]}-${m[2]}-${m[1]}` ? day : undefined;
}

/** `2026-09-01` → `01/09/2026`, as a request wants it. */
export const toBdnsDay = (iso: string) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;

const cents = (n: number) => Math.round(n) / 100;

/** First index in the ascending `xs` whose value is ≥ x. */
function lowerBound(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const pick = <T>(xs: readonly T[], h: number): T => xs[h % xs.length]!;

/** Rotated by 1..n-1 places: for n ≥ 2 distinct elements, never the original order. */
function rotated<T>(xs: readonly T[], seed: number): T[] {
  if (xs.length < 2) return [...xs];
  const k = 1 + (seed % (xs.length - 1));
  return [...xs.slice(k), ...xs.slice(0, k)];
}

// ---------------------------------------------------------------------------------------------------
// Rows generated on demand

/** Contiguous index ranges of a source, and added rows' indices, in the order a page lists them. */
export interface Selection {
  ranges: Array<[number, number]>;
  added: number[];
  length: number;
}

/**
 * How row i of a source is made. Give `make` (an object), or `json` (its JSON text, the fast path
 * for the high-volume datasets: no object per row, no JSON.stringify) and the object is parsed from
 * that same text, so each row has one definition.
 */
export interface RowModel<Row> {
  make?: (i: number, bucket: number) => Row;
  /** The row's JSON text; with `noiseSeed`, with that seed's noise (as `noisy` would give it). */
  json?: (i: number, bucket: number, noiseSeed?: number) => string;
  /** The row with this seed's noise: same identity and content, other bytes. */
  noisy?: (row: Row, seed: number) => Row;
  /** How `add`'s `at` (an ISO day, a year) becomes a bucket key. */
  bucketKey: (at: string | number) => number;
  /** Fields a patch may not change: the identity and the bucket (registration date, year). */
  fixed?: readonly string[];
}

/**
 * A paged dataset whose row i is computed from i. Rows are grouped in consecutive buckets (a
 * registration day as days since 1970, a year, or one bucket for the unwindowed datasets); a query
 * selects bucket intervals, i.e. index ranges. Rows are listed in index order (ids grow with i).
 */
export class RowSource<Row extends object> {
  /** Every page after the first begins with the previous page's last row (see `pageOf`). */
  repeatAcrossPages = false;
  /** Rows generated so far: a counter, not a cache (the flat-memory test reads it). */
  generated = 0;
  private readonly removedSet = new Set<number>();
  private readonly patches = new Map<number, Partial<Row>>();
  private readonly added: Array<{ index: number; bucket: number }> = [];
  private removedCache: number[] | undefined;
  private readonly make: (i: number, bucket: number) => Row;
  private readonly json: (i: number, bucket: number, noiseSeed?: number) => string;
  readonly noisy: (row: Row, seed: number) => Row;

  constructor(
    /** Bucket keys, ascending. */
    private readonly keys: readonly number[],
    /** keys.length + 1 prefix sums: bucket b holds indices [starts[b], starts[b+1]). */
    private readonly starts: readonly number[],
    private readonly model: RowModel<Row>,
  ) {
    const noisy = (this.noisy = model.noisy ?? ((r) => r));
    const { make, json } = model;
    if (json) {
      this.json = json;
      this.make = make ?? ((i, b) => JSON.parse(json(i, b)) as Row);
    } else if (make) {
      this.make = make;
      this.json = (i, b, seed) => JSON.stringify(seed === undefined ? make(i, b) : noisy(make(i, b), seed));
    } else throw new Error("a row model needs make or json");
  }

  /** Rows generated from the configuration (indices 0..baseCount-1); added rows follow. */
  get baseCount(): number {
    return this.starts[this.starts.length - 1]!;
  }

  /** Rows that exist now. */
  get size(): number {
    return this.baseCount + this.added.length - this.removedSet.size;
  }

  /** Per-row entries held (removed, patched, added): what a test's mutations cost; generating and serving rows adds none. */
  stateSize(): number {
    return this.removedSet.size + this.patches.size + this.added.length;
  }

  /** The bucket keys that hold (or held) rows: the configured ones and those of added rows. */
  bucketKeys(): number[] {
    return [...new Set([...this.keys, ...this.added.map((a) => a.bucket)])].sort((a, b) => a - b);
  }

  /** The base indices of the buckets in [from, toExclusive) (ISO days or years, as `add`'s `at`). */
  range(from: string | number, toExclusive: string | number): { start: number; end: number } {
    const start = this.starts[lowerBound(this.keys, this.model.bucketKey(from))]!;
    const end = this.starts[lowerBound(this.keys, this.model.bucketKey(toExclusive))]!;
    return { start, end: Math.max(start, end) };
  }

  /** Row i as served without noise (patched), or undefined if it was removed or never existed. */
  rowAt(i: number): Row | undefined {
    if (!this.exists(i) || this.removedSet.has(i)) return undefined;
    this.generated++;
    const row = this.make(i, this.bucketOf(i));
    const patch = this.patches.get(i);
    return patch ? { ...row, ...patch } : row;
  }

  /** Row i's JSON text as a page carries it (with `noiseSeed`'s noise), or undefined like `rowAt`. */
  jsonAt(i: number, noiseSeed?: number): string | undefined {
    if (!this.exists(i) || this.removedSet.has(i)) return undefined;
    this.generated++;
    const bucket = this.bucketOf(i);
    const patch = this.patches.get(i);
    if (!patch) return this.json(i, bucket, noiseSeed);
    const row = { ...this.make(i, bucket), ...patch };
    return JSON.stringify(noiseSeed === undefined ? row : this.noisy(row, noiseSeed));
  }

  remove(i: number): void {
    if (!this.exists(i)) throw new Error(`no row ${i}`);
    this.removedSet.add(i);
    this.removedCache = undefined;
  }

  restore(i: number): void {
    this.removedSet.delete(i);
    this.removedCache = undefined;
  }

  patch(i: number, fields: Partial<Row>): void {
    if (!this.exists(i)) throw new Error(`no row ${i}`);
    const bad = Object.keys(fields).filter((k) => this.model.fixed?.includes(k));
    if (bad.length) throw new Error(`${bad.join(", ")} cannot be patched: remove the row and add another`);
    this.patches.set(i, { ...this.patches.get(i), ...fields });
  }

  /** A new row (in its bucket `at`: a registration day or a year), generated like the others; its index. */
  add(o: { at?: string | number; fields?: Partial<Row> } = {}): number {
    const bucket = this.model.bucketKey(o.at ?? this.keys[0] ?? 0);
    const index = this.baseCount + this.added.length;
    this.added.push({ index, bucket });
    if (o.fields) this.patch(index, o.fields);
    return index;
  }

  /** Rows in the bucket intervals [lo, hi) (ascending, disjoint). */
  select(intervals: ReadonlyArray<readonly [number, number]>): Selection {
    const removed = this.removedSorted();
    const ranges: Array<[number, number]> = [];
    let length = 0;
    for (const [lo, hi] of intervals) {
      const s = this.starts[lowerBound(this.keys, lo)]!;
      const e = this.starts[lowerBound(this.keys, hi)]!;
      if (e <= s) continue;
      ranges.push([s, e]);
      length += e - s - (lowerBound(removed, e) - lowerBound(removed, s));
    }
    const added = this.added.filter((a) => !this.removedSet.has(a.index) && intervals.some(([lo, hi]) => a.bucket >= lo && a.bucket < hi)).map((a) => a.index);
    return { ranges, added, length: length + added.length };
  }

  /** The indices at positions [start, start+count) of a selection: O(count + rows removed there). */
  indicesAt(sel: Selection, start: number, count: number): number[] {
    const removed = this.removedSorted();
    const out: number[] = [];
    let skip = start;
    for (const [s, e] of sel.ranges) {
      if (out.length >= count) break;
      const live = e - s - (lowerBound(removed, e) - lowerBound(removed, s));
      if (skip >= live) {
        skip -= live;
        continue;
      }
      // The skip-th live index: step over every removed index at or before the candidate.
      let j = lowerBound(removed, s);
      let x = s + skip;
      while (j < removed.length && removed[j]! <= x) (x++, j++);
      skip = 0;
      for (; x < e && out.length < count; x++) {
        if (removed[j] === x) j++;
        else out.push(x);
      }
    }
    for (let k = skip; k < sel.added.length && out.length < count; k++) out.push(sel.added[k]!);
    return out;
  }

  private exists(i: number): boolean {
    return Number.isInteger(i) && i >= 0 && i < this.baseCount + this.added.length;
  }

  private bucketOf(i: number): number {
    if (i >= this.baseCount) return this.added[i - this.baseCount]!.bucket;
    // The last bucket whose start is ≤ i (empty buckets share their start with the next one).
    return this.keys[lowerBound(this.starts, i + 1) - 1]!;
  }

  private removedSorted(): number[] {
    return (this.removedCache ??= [...this.removedSet].sort((a, b) => a - b));
  }
}

function bucketsOf(keys: number[], counts: (key: number) => number): { keys: number[]; starts: number[] } {
  const starts = [0];
  for (const k of keys) starts.push(starts[starts.length - 1]! + Math.max(0, Math.floor(counts(k))));
  return { keys, starts };
}

const isoBucket = (at: string | number) => (typeof at === "number" ? at : epochDay(at));
const yearBucket = (at: string | number) => Number(at);

// ---------------------------------------------------------------------------------------------------
// Vocabulary (synthetic values, realistic shapes: bdns-samples)

const ADVERTENCIA = "Texto fijo de aviso legal sobre la reutilización de los datos del SNPSAP (mismo texto en todas las respuestas; sintetizado aquí).";

const ORGANS = [
  { nivel1: "AUTONOMICA", nivel2: "COMUNITAT VALENCIANA", nivel3: "DIRECCIÓN GENERAL DE TRANSICIÓN ENERGÉTICA" },
  { nivel1: "ESTADO", nivel2: "MINISTERIO DE PRUEBA Y EJEMPLOS", nivel3: "INSTITUTO SINTÉTICO DE CRÉDITO" },
  { nivel1: "LOCAL", nivel2: "VALDEMORENO DEL RÍO", nivel3: "AYUNTAMIENTO DE VALDEMORENO DEL RÍO" },
  { nivel1: "AUTONOMICA", nivel2: "COMUNIDAD DE PRUEBA", nivel3: "CONSEJERÍA DE EMPLEO SINTÉTICA" },
  { nivel1: "ESTADO", nivel2: "MINISTERIO DE CULTURA", nivel3: "SUBDIRECCIÓN GENERAL DE LOS ARCHIVOS ESTATALES" },
  { nivel1: "AUTONOMICA", nivel2: "GALICIA", nivel3: "AXENCIA GALEGA SINTÉTICA DE INNOVACIÓN" },
] as const;

const TITLES = [
  ["Ayudas a la rehabilitación energética de viviendas unifamiliares", "Ajudes a la rehabilitació energètica d'habitatges unifamiliars"],
  ["Línea de avales sintética para autónomos y pymes", null],
  ["Subvenciones para la modernización del pequeño comercio de proximidad", null],
  ["Subvenciones sintéticas de fomento de la economía social", "Subvencions sintètiques de foment de l'economia social"],
  ["Programa sintético de ayudas a proyectos de I+D empresarial", null],
  ["Ayudas sintéticas a seguros agrarios de explotaciones ganaderas", null],
  ["Becas de formación en gestión de archivos", "Bolsas de formación en xestión de arquivos"],
] as const;

const URLS = ["https://boletin.ejemplo.es/2026/03/20/pdf/2026_1234.pdf", "https://boletin.ejemplo.es/eli/es/rdl/2026/01/01/99/con", "valdemoreno.ejemplo.es"];

interface Convocatoria {
  numero: string;
  id: number;
  titulo: string;
  cooficial: string | null;
  nivel1: string;
  nivel2: string;
  nivel3: string;
  invente: string | null;
  urlBR: string;
}

/** A fixed table of 256 convocatorias the awards refer to (fixed memory, whatever the row count). */
const CONVOCATORIAS: readonly Convocatoria[] = Array.from({ length: 256 }, (_, c) => {
  const [titulo, cooficial] = pick(TITLES, c);
  const year = 2021 + (c % 6);
  return {
    numero: String(929_800 + c),
    id: 1_131_400 + c,
    titulo: `${titulo} ${year}`,
    cooficial: cooficial ? `${cooficial} ${year}` : null,
    ...pick(ORGANS, c >> 1),
    invente: c % 5 === 2 ? `INV${String(4800 + c).padStart(8, "0")}` : null,
    urlBR: pick(URLS, c),
  };
});

/** Instruments as BDNS writes them in awards: lower-case "y" and a trailing space (bdns-samples README). */
const SUBVENCION = "SUBVENCIÓN y ENTREGA DINERARIA SIN CONTRAPRESTACIÓN ";
const INSTRUMENTS = [SUBVENCION, SUBVENCION, SUBVENCION, SUBVENCION, SUBVENCION, "PRÉSTAMO", "GARANTÍA", "VENTAJA FISCAL"];

const COMPANY_WORDS = ["CONSTRUCCIONES", "COMERCIOS", "LABORATORIOS", "TRANSPORTES", "SERVICIOS", "INDUSTRIAS", "EXPLOTACIONES", "DISTRIBUCIONES"];
const COMPANY_NAMES = ["SINTÉTICAS DEL LEVANTE", "DE EJEMPLO", "ÁGUILA SINTÉTICA", "DEL NORTE PRUEBA", "IBÉRICAS FICTICIAS", "MEDITERRÁNEO DE ENSAYO", "CAÑADA SINTÉTICA"];
const COMPANY_FORMS = [
  ["B", "SL"],
  ["A", "SA"],
  ["B", "SOCIEDAD LIMITADA"],
  ["F", "S.COOP."],
  ["A", "S.A."],
] as const;
const NOMBRES = ["MARÍA", "JOSÉ", "LUCÍA", "ÁNGEL", "NURIA", "JOAQUÍN", "INÉS", "RAMÓN"];
const APELLIDOS = ["GARCÍA", "MARTÍNEZ", "LÓPEZ", "SÁNCHEZ", "PÉREZ", "GÓMEZ", "MUÑOZ", "DÍAZ", "ALONSO", "JIMÉNEZ"];
const ASSOCIATIONS = ["ASOCIACIÓN SINTÉTICA DE SERVICIOS", "FUNDACIÓN SINTÉTICA DE EJEMPLO", "FEDERACIÓN DE PRUEBA DEL SECTOR"];

interface Person {
  idPersona: number;
  nif: string;
  name: string;
}

/** Person p: a company, a natural person (masked NIF, bdns-api.md §3), an association or a foreign body. */
function personAt(p: number): Person {
  const idPersona = 20_000_000 + p;
  const h = mix(p, 11);
  const kind = p % 10;
  if (kind < 5) {
    const [letter, form] = pick(COMPANY_FORMS, h);
    return { idPersona, nif: `${letter}${String(p % 100_000_000).padStart(8, "0")}`, name: `${pick(COMPANY_WORDS, h >>> 3)} ${pick(COMPANY_NAMES, h >>> 7)} ${form}` };
  }
  if (kind < 8) return { idPersona, nif: `***${String(p % 10_000).padStart(4, "0")}**`, name: `${pick(NOMBRES, h)} ${pick(APELLIDOS, h >>> 4)} ${pick(APELLIDOS, h >>> 9)}` };
  if (kind === 8) return { idPersona, nif: `G${String(p % 100_000_000).padStart(8, "0")}`, name: pick(ASSOCIATIONS, h) };
  return { idPersona, nif: `999${String(p % 100_000).padStart(5, "0")}`, name: "FUNDACIÓN EXTRANJERA SINTÉTICA" };
}

const PARTIES = ["PARTIDO SINTÉTICO DE EJEMPLO", "GRUPO MUNICIPAL SINTÉTICO DE VALDEMORENO", "COALICIÓN DE PRUEBA POR EL VALLE", "FORMACIÓN POLÍTICA FICTICIA", "AGRUPACIÓN DE ELECTORES DEL RÍO"];

/** CNAE `code - label` elements; one label contains ";" itself (bdns-api.md §3, dataset-layer-anchors.md). */
const CNAE = [
  "01.4 - Producción ganadera",
  "41.2 - Construcción de edificios",
  "43.2 - Instalaciones eléctricas, de fontanería y otras instalaciones en obras de construcción",
  "72.1 - Investigación y desarrollo experimental en ciencias naturales y técnicas",
  "21.2 - Fabricación de especialidades farmacéuticas",
  "46.4 - Comercio al por mayor de artículos de uso doméstico",
  "47.1 - Comercio al por menor en establecimientos no especializados",
  "56.1 - Restaurantes y puestos de comidas",
  "84.1 - Administración Pública y defensa; Seguridad Social obligatoria",
  "94.9 - Otras actividades asociativas",
  "10.7 - Fabricación de productos de panadería y pastas alimenticias",
  "62.0 - Programación, consultoría y otras actividades relacionadas con la informática",
];
/** 1–3 distinct CNAE elements (step 5 is coprime with 12, so they never repeat). */
const cnaeList = (h: number) => Array.from({ length: 1 + (h % 3) }, (_, j) => CNAE[((h >>> 2) + j * 5) % CNAE.length]!);

const STATE_AID = [
  ["GENERAL DE EXENCIÓN - REG (UE) 651/2014", "ART. 38 AYUDAS A LA INVERSIÓN EN MEDIDAS DE EFICIENCIA ENERGÉTICA"],
  ["GENERAL DE EXENCIÓN - REG (UE) 651/2014", "ART. 25 AYUDAS A PROYECTOS DE I+D"],
  ["PRODUCCIÓN AGRÍCOLA PRIMARIA - REG (UE) 2022/2472", "ART. 28 AYUDAS DESTINADAS AL PAGO DE PRIMAS DE SEGUROS"],
  ["SIN REGLAMENTO - NOTIFICACIÓN PREVIA", "AYUDAS REGIONALES A LA INVERSIÓN"],
] as const;
const STATE_AID_JSON = STATE_AID.map(([r, o]) => [JSON.stringify(r), JSON.stringify(o)] as const);
const REGIONS_JSON = ["ES52 - COMUNIDAD VALENCIANA", "ES - ESPAÑA", "ES30 - COMUNIDAD DE MADRID", "ES11 - GALICIA", "ES61 - ANDALUCÍA"].map((r) => JSON.stringify(r));
const BENEFICIARY_TYPES_JSON = ["PYME Y PERSONAS FÍSICAS QUE DESARROLLAN ACTIVIDAD ECONÓMICA", "GRAN EMPRESA", "PERSONAS JURÍDICAS QUE NO DESARROLLAN ACTIVIDAD ECONÓMICA"].map((t) => JSON.stringify(t));
const MINIMIS_RULES = ["REG (UE) 2023/2831 de minimis, General", "REG (UE) 1408/2013, DE 18 DE DICIEMBRE, de minimis", "REG (UE) 717/2014 de minimis, Pesca"];
const MINIMIS_RULES_JSON = MINIMIS_RULES.map((r) => JSON.stringify(r));
const INFRACTIONS = [
  "ART. 58.A LA OBTENCIÓN DE UNA SUBVENCIÓN FALSEANDO LAS CONDICIONES REQUERIDAS",
  "ART. 58.D FALTA DE ENTREGA POR PARTE DE LAS EE.CC. A LOS BENEFICIARIOS DE LOS FONDOS RECIBIDOS",
  "ART. 57.A LA OBTENCIÓN DE LA SUBVENCIÓN SIN CUMPLIR LAS CONDICIONES (TEXTO SINTÉTICO)",
  "ART. 56.C LA FALTA DE JUSTIFICACIÓN EN PLAZO",
];

// ---------------------------------------------------------------------------------------------------
// Noise (bdns-api.md §3 "Spurious changes"; dataset-layer-anchors.md)

const stripAccents = (s: string) => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "");
const titleCase = (s: string) => s.toLowerCase().replace(/(^|\s)(\p{L})/gu, (_, sp: string, c: string) => sp + c.toUpperCase());
const withPunctuation = (s: string) => {
  const t = s.replace(/ SL$/, " S.L.").replace(/ SA$/, " S.A.").replace(/ S\.A\.$/, ", SA").replace(/ SOCIEDAD LIMITADA$/, " SL");
  return t !== s ? t : `${stripAccents(s)} (${s.split(/\s+/).map((w) => stripAccents(w)[0] ?? "").join(".")}.)`;
};

/** The same name, spelt another way (accents, punctuation or case): never the original spelling. */
export function respell(name: string, seed: number): string {
  const variants = [stripAccents, withPunctuation, titleCase];
  for (let k = 0; k < variants.length; k++) {
    const out = variants[(seed + k) % variants.length]!(name);
    if (out !== name) return out;
  }
  return titleCase(name) !== name ? titleCase(name) : `${name}.`;
}

/** "NIF NAME" / "NIF - NAME" with the name re-spelt; the NIF and the separator stay as they were. */
function respellBeneficiary(value: string, seed: number): string {
  const m = /^(\S+)( - | )(.+)$/.exec(value);
  return m ? `${m[1]}${m[2]}${respell(m[3]!, seed)}` : value;
}

/** A trailing space taken away or added, on about half of the texts (bdns-api.md §3: "trailing spaces"). */
function toggledSpace(text: string, id: number, seed: number): string {
  if ((id + seed) % 2 !== 0) return text;
  return text.endsWith(" ") ? text.trimEnd() : `${text} `;
}

// ---------------------------------------------------------------------------------------------------
// Row generators

function windowedBuckets(o: WindowedOptions) {
  const from = epochDay(o.from ?? "2026-09-01");
  const to = epochDay(o.to ?? "2026-09-14");
  const perDay = o.rowsPerDay ?? 20;
  const days = Array.from({ length: Math.max(0, to - from + 1) }, (_, k) => from + k);
  return bucketsOf(days, typeof perDay === "number" ? () => perDay : (d) => perDay(isoDay(d)));
}

/** JSON text of a string (or null). */
const q = (v: string | null): string => JSON.stringify(v);

/** The convocatorias' fields, quoted once: the award templates paste them. */
const CONVOCATORIAS_JSON = CONVOCATORIAS.map((c) => ({
  id: c.id,
  numero: q(c.numero),
  titulo: q(c.titulo),
  cooficial: q(c.cooficial),
  nivel1: q(c.nivel1),
  nivel2: q(c.nivel2),
  nivel3: q(c.nivel3),
  convocante: q(`${c.nivel1} ${c.nivel2} ${c.nivel3}`),
  invente: q(c.invente),
  urlBR: q(c.urlBR),
}));
const INSTRUMENTS_JSON = INSTRUMENTS.map(q);

/** The 36 lists `cnaeList` can give, joined and quoted once per separator (they depend on (h >>> 2) % 12 and h % 3). */
const cnaeSlot = (h: number) => ((h >>> 2) % CNAE.length) * 3 + (h % 3);
/** An h in slot k: (h >>> 2) = a, and h % 3 = b since 4a ≡ a (mod 3). */
const inSlot = (k: number) => {
  const [a, b] = [Math.floor(k / 3), k % 3];
  return 4 * a + (((b - a) % 3) + 3) % 3;
};
const CNAE_JSON = Object.fromEntries(["#", "; "].map((sep) => [sep, Array.from({ length: CNAE.length * 3 }, (_, k) => q(cnaeList(inSlot(k)).join(sep)))])) as Record<"#" | "; ", string[]>;

/** A `#`- or `; `-joined CNAE list of 1–3 distinct elements as JSON text; rotated with noise (bdns-api.md §3). */
const cnaeJson = (h: number, separator: "#" | "; ", seed: number | undefined, id: number) =>
  seed === undefined ? CNAE_JSON[separator][cnaeSlot(h)]! : q(rotated(cnaeList(h), seed + id).join(separator));

/*
 * The award rows are written as JSON text, field by field in the samples' order: at 10,000 rows a
 * page, building objects and JSON.stringify-ing them cost the fake more than the client's parse.
 * `rowAt` parses the same text, and a test checks text and object agree, noise included.
 */

function concesiones(o: WindowedOptions): RowSource<ConcesionRow> {
  const firstId = o.firstId ?? 158_800_000;
  const { keys, starts } = windowedBuckets(o);
  const json = (i: number, day: number, seed?: number): string => {
    const id = firstId + i;
    const h = mix(id);
    const c = CONVOCATORIAS_JSON[h % CONVOCATORIAS.length]!;
    const p = personAt((h >>> 8) % 50_000);
    const k = (h >>> 4) % INSTRUMENTS.length;
    const importe = cents((mix(id, 1) % 50_000_000) + 10_000);
    const beneficiario = `${p.nif} ${p.name}`;
    return (
      `{"id":${id},"codConcesion":"SB${id}","fechaConcesion":"${isoDay(day - (h % 30))}",` +
      `"beneficiario":${q(seed === undefined ? beneficiario : respellBeneficiary(beneficiario, seed + id))},"instrumento":${INSTRUMENTS_JSON[k]},` +
      `"importe":${importe},"ayudaEquivalente":${INSTRUMENTS[k] === SUBVENCION ? importe : cents(importe * 12)},"urlBR":${c.urlBR},"tieneProyecto":${(h & 15) === 0},` +
      `"numeroConvocatoria":${c.numero},"idConvocatoria":${c.id},"convocatoria":${c.titulo},"descripcionCooficial":${c.cooficial},` +
      `"nivel1":${c.nivel1},"nivel2":${c.nivel2},"nivel3":${c.nivel3},"codigoInvente":${c.invente},"idPersona":${p.idPersona},"fechaAlta":"${isoDay(day)}"}`
    );
  };
  const noisy = (r: ConcesionRow, seed: number) => ({ ...r, beneficiario: respellBeneficiary(r.beneficiario, seed + r.id) });
  return new RowSource(keys, starts, { json, noisy, bucketKey: isoBucket, fixed: ["id", "codConcesion", "fechaAlta"] });
}

function ayudasEstado(o: WindowedOptions): RowSource<AyudaEstadoRow> {
  const firstId = o.firstId ?? 171_200_000;
  const { keys, starts } = windowedBuckets(o);
  const json = (i: number, day: number, seed?: number): string => {
    const id = firstId + i;
    const h = mix(id, 2);
    const c = CONVOCATORIAS_JSON[h % CONVOCATORIAS.length]!;
    const p = personAt((h >>> 8) % 50_000);
    const [reglamento, objetivo] = pick(STATE_AID_JSON, h >>> 3);
    const sa = 100_000 + (h % 9_973);
    const importe = cents((mix(id, 3) % 30_000_000) + 50_000);
    // State aid writes "NIF - NAME" as well as "NIF NAME" (bdns-samples README): both appear.
    const beneficiario = `${p.nif}${h % 3 === 0 ? " - " : " "}${p.name}`;
    return (
      `{"idConcesion":${id},"numeroConvocatoria":${c.numero},"idConvocatoria":${c.id},"convocatoria":${c.titulo},` +
      `"idPersona":${p.idPersona},"codConcesion":"SB${id}","convocante":${c.convocante},"reglamento":${reglamento},"objetivo":${objetivo},` +
      `"instrumento":${INSTRUMENTS_JSON[0]},"tipoBeneficiario":${pick(BENEFICIARY_TYPES_JSON, h >>> 5)},"fechaConcesion":"${isoDay(day - (h % 40))}","fechaAlta":"${isoDay(day)}",` +
      `"beneficiario":${q(seed === undefined ? beneficiario : respellBeneficiary(beneficiario, seed + id))},"importe":${importe},"ayudaEquivalente":${importe},` +
      `"region":${pick(REGIONS_JSON, h >>> 6)},"sectores":${cnaeJson(mix(id, 4), "#", seed, id)},"ayudaEstado":"SA.${sa}",` +
      `"urlAyudaEstado":"https://competition-cases.ec.europa.eu/cases/SA.${sa}","entidad":${h % 11 === 0 ? '"ENTIDAD COLABORADORA SINTÉTICA SA"' : "null"},` +
      `"intermediario":${h % 13 === 0 ? '"INTERMEDIARIO FINANCIERO SINTÉTICO SA"' : "null"}}`
    );
  };
  const noisy = (r: AyudaEstadoRow, seed: number) => ({
    ...r,
    beneficiario: respellBeneficiary(r.beneficiario, seed + r.idConcesion),
    sectores: rotated(r.sectores.split("#"), seed + r.idConcesion).join("#"),
  });
  return new RowSource(keys, starts, { json, noisy, bucketKey: isoBucket, fixed: ["idConcesion", "codConcesion", "fechaAlta"] });
}

/** minimis' `sectorActividad` elements: split only before a CNAE code, since some labels contain "; ". */
const minimisSectors = (s: string) => s.split(/; (?=\d{2}\.\d - )/);
const PLAIN_SECTION_JSON = q("AGRICULTURA, GANADERÍA, SILVICULTURA Y PESCA");

function minimis(o: WindowedOptions): RowSource<MinimisRow> {
  const firstId = o.firstId ?? 180_330_000;
  const { keys, starts } = windowedBuckets(o);
  const json = (i: number, day: number, seed?: number): string => {
    const id = firstId + i;
    const h = mix(id, 5);
    const c = CONVOCATORIAS_JSON[h % CONVOCATORIAS.length]!;
    const p = personAt((h >>> 8) % 50_000);
    const rule = (h >>> 3) % MINIMIS_RULES.length;
    const beneficiario = `${p.nif} ${p.name}`;
    // A plain section name alone on some rows (bdns-samples/minimis.json), a `; `-joined CNAE list on the rest.
    const sectors = h % 7 === 0 ? PLAIN_SECTION_JSON : cnaeJson(mix(id, 6), "; ", seed, id);
    return (
      `{"idConcesion":${id},"numeroConvocatoria":${c.numero},"idConvocatoria":${c.id},"idPersona":${p.idPersona},` +
      `"codigoConcesion":"SB${id}","convocante":${c.convocante},"reglamento":${MINIMIS_RULES_JSON[rule]},"sectorProducto":${rule === 1 ? '"Todos"' : "null"},` +
      `"instrumento":${INSTRUMENTS_JSON[(h >>> 5) % INSTRUMENTS.length]},"fechaConcesion":"${isoDay(day - (h % 20))}","fechaRegistro":"${isoDay(day)}",` +
      `"beneficiario":${q(seed === undefined ? beneficiario : respellBeneficiary(beneficiario, seed + id))},"sectorActividad":${sectors},` +
      `"ayudaEquivalente":${cents((mix(id, 7) % 3_000_000) + 10_000)}}`
    );
  };
  const noisy = (r: MinimisRow, seed: number) => ({
    ...r,
    beneficiario: respellBeneficiary(r.beneficiario, seed + r.idConcesion),
    sectorActividad: rotated(minimisSectors(r.sectorActividad), seed + r.idConcesion).join("; "),
  });
  return new RowSource(keys, starts, { json, noisy, bucketKey: isoBucket, fixed: ["idConcesion", "codigoConcesion", "fechaRegistro"] });
}

function partidosPoliticos(rows: number): RowSource<PartidoPoliticoRow> {
  const firstId = 190_100_200;
  const make = (i: number): PartidoPoliticoRow => {
    const id = firstId + i;
    const h = mix(id, 8);
    const c = pick(CONVOCATORIAS, h);
    const party = (h >>> 4) % PARTIES.length;
    const importe = cents((mix(id, 9) % 20_000_000) + 100_000);
    return {
      id,
      codConcesion: `SB${id}`,
      fechaConcesion: isoDay(epochDay("2024-01-01") + (h % 900)),
      beneficiario: `${party % 2 ? "V" : "G"}${String(31 + party).padStart(8, "0")} ${PARTIES[party]}`,
      instrumento: SUBVENCION,
      importe,
      ayudaEquivalente: importe,
      urlBR: c.urlBR,
      tieneProyecto: false,
      numeroConvocatoria: c.numero,
      idConvocatoria: c.id,
      convocatoria: c.titulo,
      nivel1: c.nivel1,
      nivel2: c.nivel2,
      nivel3: c.nivel3,
    };
  };
  const noisy = (r: PartidoPoliticoRow, seed: number) => ({ ...r, beneficiario: respellBeneficiary(r.beneficiario, seed + r.id) });
  return new RowSource([0], [0, rows], { make, noisy, bucketKey: () => 0, fixed: ["id", "codConcesion"] });
}

function sanciones(rows: number): RowSource<SancionRow> {
  const make = (i: number): SancionRow => {
    // Every 25th sanction is a second one for the same convocatoria, person and day, for another
    // infraction: (numeroConvocatoria, sancionado, fechaSancion) is not unique (bdns-samples README).
    const twin = i % 25 === 1;
    const base = twin ? i - 1 : i;
    const c = pick(CONVOCATORIAS, (base / 3) | 0);
    const p = personAt(30_000 + base);
    const h = mix(i, 10);
    const day = epochDay("2022-01-01") + (mix(base, 12) % 1500);
    const barred = h % 3 === 0;
    return {
      numeroConvocatoria: c.numero,
      convocatoria: c.titulo,
      nivel1: c.nivel1,
      nivel2: c.nivel2,
      nivel3: c.nivel3,
      codigoInvente: c.invente,
      fechaConcesion: isoDay(day - 100 - (mix(base, 13) % 300)),
      // Several articles are comma-joined (bdns-samples README).
      infraccion: twin ? `${INFRACTIONS[0]},${INFRACTIONS[1]}` : pick(INFRACTIONS, h >>> 2),
      importe: cents((h % 5_000_000) + 100_000),
      sancionado: `${p.nif} ${p.name}`,
      fechaSancion: isoDay(day),
      importeMulta: cents((mix(i, 14) % 8_000_000) + 50_000),
      inicioInhabilitacion: barred ? isoDay(day + 1) : null,
      finInhabilitacion: barred ? isoDay(day + 1 + 365 * (1 + (h % 5))) : null,
    };
  };
  // No id: a patch to an identifying field is, to a sync, one sanction gone and another added.
  return new RowSource([0], [0, rows], { make, bucketKey: () => 0 });
}

function grandesBeneficiarios(years: number[], rowsPerYear: number): RowSource<GranBeneficiarioRow> {
  const { keys, starts } = bucketsOf([...new Set(years)].sort((a, b) => a - b), () => rowsPerYear);
  const baseCount = starts[starts.length - 1]!;
  const make = (i: number, year: number): GranBeneficiarioRow => {
    // The same large beneficiaries come back each year: person = position within the year.
    const p = personAt(i < baseCount ? 100_000 + (i % rowsPerYear) : 200_000 + i);
    return { idPersona: p.idPersona, beneficiario: `${p.nif} ${p.name}`, ejercicio: year, ayudaETotal: cents((mix(p.idPersona, year) % 4_000_000_000) + 10_000_000) };
  };
  const noisy = (r: GranBeneficiarioRow, seed: number) => ({ ...r, beneficiario: respellBeneficiary(r.beneficiario, seed + r.idPersona) });
  return new RowSource(keys, starts, { make, noisy, bucketKey: yearBucket, fixed: ["idPersona", "ejercicio"] });
}

const PLAN_TITLES = ["PLAN ESTRATÉGICO DE SUBVENCIONES SINTÉTICO", "PES SINTÉTICO DE ENSEÑANZAS ARTÍSTICAS", "Informe sintético sobre la planificación estratégica de subvenciones", "PLAN ESTRATÉGICO DE SUBVENCIONES DEL MINISTERIO DE PRUEBA"];
const PLAN_TYPES = ["Plan estratégico de subvenciones", "Plan/Programa relativo a políticas sectoriales", "Informe general de seguimiento"];
const PLAN_SCOPES = ["VALDEMORENO DEL RÍO", "COMUNITAT VALENCIANA", "MINISTERIO DE PRUEBA Y EJEMPLOS", "MINISTERIO DE CULTURA", "MINISTERIO DE JUSTICIA "];
const DOCUMENT_BASE = 7_100_000;

function planes(count: number): RowSource<PlanRecord> {
  const make = (i: number): PlanRecord => {
    const id = 3101 + i;
    const desde = 2020 + (i % 7);
    const hasta = desde + (i % 3);
    const main = pick(PLAN_SCOPES, i);
    return {
      descripcion: `${pick(PLAN_TITLES, i)} ${desde}-${hasta}`,
      descripcionCooficial: i % 3 === 1 ? `PES SINTÈTIC ${desde}-${hasta}` : null,
      tipoPlan: pick(PLAN_TYPES, i >> 1),
      vigenciaDesde: desde,
      vigenciaHasta: hasta,
      id,
      ambitos: main,
      fechaAprobacion: isoDay(epochDay(`${desde}-01-01`) + (mix(id) % 330)),
      ambitosDetalle: Array.from({ length: 1 + (i % 3) }, (_, k) => pick(PLAN_SCOPES, i + k * 2)),
      documentos: Array.from({ length: i % 4 }, (_, d) => ({
        id: DOCUMENT_BASE + i * 10 + d,
        ejercicio: d === 0 ? null : desde + d - 1,
        nombreFic: d === 0 ? `Plan estratégico ${desde}-${hasta}.pdf` : `Toma de conocimiento (anexo ${d}) ${desde}.pdf`,
        tipoDocumento: d === 0 ? pick(PLAN_TYPES, i >> 1) : "Anexos de seguimiento",
      })),
    };
  };
  return new RowSource([0], [0, count], { make, bucketKey: () => 0, fixed: ["id"] });
}

// ---------------------------------------------------------------------------------------------------
// Reference data: catalogs and trees (small; plain arrays a test edits)

const entries = (...xs: Array<[number, string]>): CatalogEntry[] => xs.map(([id, descripcion]) => ({ id, descripcion }));

function defaultCatalogs(): Record<CatalogName, CatalogEntry[]> {
  return {
    finalidades: entries([8, "ACCESO A LA VIVIENDA Y FOMENTO DE LA EDIFICACIÓN"], [12, "AGRICULTURA, PESCA Y ALIMENTACIÓN"], [15, "COMERCIO"], [1, "JUSTICIA"], [7, "SERVICIOS SOCIALES Y PROMOCIÓN SOCIAL"], [9, "SANIDAD"], [10, "EDUCACIÓN"], [11, "CULTURA"], [13, "INDUSTRIA Y ENERGÍA"], [20, "INVESTIGACIÓN, DESARROLLO E INNOVACIÓN"]),
    beneficiarios: entries([4, "GRAN EMPRESA"], [1, "PERSONAS FÍSICAS QUE NO DESARROLLAN ACTIVIDAD ECONÓMICA"], [3, "PYME Y PERSONAS FÍSICAS QUE DESARROLLAN ACTIVIDAD ECONÓMICA"], [2, "PERSONAS JURÍDICAS QUE NO DESARROLLAN ACTIVIDAD ECONÓMICA"]),
    instrumentos: entries([1, "SUBVENCIÓN Y ENTREGA DINERARIA SIN CONTRAPRESTACIÓN "], [2, "PRÉSTAMO"], [4, "GARANTÍA"], [3, "APORTACIÓN DE FINANCIACIÓN RIESGO"], [5, "VENTAJA FISCAL"], [6, "OTROS INSTRUMENTOS DE AYUDA"]),
    actividades: entries([274, "AGRICULTURA, GANADERÍA, SILVICULTURA Y PESCA"], [278, "INDUSTRIAS EXTRACTIVAS"], [284, "INDUSTRIA MANUFACTURERA"], [310, "SUMINISTRO DE ENERGÍA ELÉCTRICA, GAS, VAPOR Y AIRE ACONDICIONADO"], [320, "CONSTRUCCIÓN"], [330, "COMERCIO AL POR MAYOR Y AL POR MENOR; REPARACIÓN DE VEHÍCULOS DE MOTOR Y MOTOCICLETAS"]),
    objetivos: entries([1, "ART. 13 AYUDAS A LA INNOVACIÓN"], [126, "ART. 14 AYUDAS A LAS INVERSIONES EN EXPLOTACIONES AGRÍCOLAS"], [88, "ART. 14 AYUDAS A LAS INVERSIONES EN EXPLOTACIONES AGRÍCOLAS"], [167, "ART. 25 AYUDAS A PROYECTOS DE I+D"], [170, "ART. 38 AYUDAS A LA INVERSIÓN EN MEDIDAS DE EFICIENCIA ENERGÉTICA"]),
    sectores: entries([24, "Todos"], [1, "Cereales (parte I)"], [3, "Azúcar (parte III)"], [2, "Arroz (parte II)"], [9, "Frutas y hortalizas (parte IX)"]),
  };
}

function defaultReglamentos(): Record<Ambito, CatalogEntry[]> {
  const sinReglamento: [number, string] = [0, "SIN REGLAMENTO - NOTIFICACIÓN PREVIA"];
  const general: [number, string] = [3, "GENERAL DE EXENCIÓN - REG (UE) 651/2014"];
  const minimisGeneral: [number, string] = [21, "MINIMIS GENERAL - REG (UE) 2023/2831"];
  return {
    C: entries(sinReglamento, general, minimisGeneral),
    A: entries(sinReglamento, general, [17, "PRODUCCIÓN AGRÍCOLA PRIMARIA - REG (UE) 2022/2472"]),
    M: entries([1, "REG (UE) 1407/2013, DE 18 DE DICIEMBRE, DE MINIMIS"], [2, "REG (UE) 1408/2013, DE 18 DE DICIEMBRE, DE MINIMIS"], minimisGeneral),
    S: entries(sinReglamento, general),
    // Any catalog may be empty (204); which ámbito is empty in production is not known (bdns-samples README).
    P: [],
    G: entries(general, minimisGeneral),
  };
}

/** NUTS, one node per line, indented by level; ids are assigned depth-first from 1. */
const NUTS = `
ES - ESPAÑA
 ES1 - NOROESTE
  ES11 - GALICIA
   ES111 - A Coruña
   ES112 - Lugo
   ES113 - Ourense
   ES114 - Pontevedra
  ES12 - PRINCIPADO DE ASTURIAS
   ES120 - Asturias
  ES13 - CANTABRIA
   ES130 - Cantabria
 ES2 - NORESTE
  ES21 - PAIS VASCO
   ES211 - Araba/Álava
   ES212 - Gipuzkoa
   ES213 - Bizkaia
  ES22 - COMUNIDAD FORAL DE NAVARRA
   ES220 - Navarra
  ES24 - ARAGÓN
   ES241 - Huesca
   ES242 - Teruel
   ES243 - Zaragoza
 ES3 - COMUNIDAD DE MADRID
  ES30 - COMUNIDAD DE MADRID
   ES300 - Madrid
 ES5 - ESTE
  ES51 - CATALUÑA
   ES511 - Barcelona
   ES512 - Girona
   ES513 - Lleida
   ES514 - Tarragona
  ES52 - COMUNIDAD VALENCIANA
   ES521 - Alicante/Alacant
   ES522 - Castellón/Castelló
   ES523 - Valencia/València
 ES6 - SUR
  ES61 - ANDALUCÍA
   ES611 - Almería
   ES612 - Cádiz
   ES613 - Córdoba
   ES614 - Granada
  ES62 - REGIÓN DE MURCIA
   ES620 - Murcia
 ES7 - CANARIAS
  ES70 - CANARIAS
   ES705 - Gran Canaria
   ES709 - Tenerife
BE - BELGIQUE-BELGIË
 BE1 - RÉGION DE BRUXELLES-CAPITALE
 BE2 - VLAAMS GEWEST
PT - PORTUGAL
 PT1 - CONTINENTE
`;

function defaultRegiones(): TreeNode[] {
  const roots: TreeNode[] = [];
  const path: TreeNode[] = [];
  let id = 0;
  for (const line of NUTS.split("\n").filter((l) => l.trim())) {
    const level = line.length - line.trimStart().length;
    // Country roots carry a trailing space ("ES - ESPAÑA ", bdns-samples/regiones.json); leaves `children: []`.
    const node: TreeNode = { id: ++id, descripcion: level === 0 ? `${line.trim()} ` : line.trim(), children: [] };
    path.length = level;
    if (level === 0) roots.push(node);
    else path[level - 1]!.children!.push(node);
    path.push(node);
  }
  return roots;
}

function defaultOrganos(): Record<IdAdmon, TreeNode[]> {
  const leaf = (id: number, descripcion: string): TreeNode => ({ id, descripcion });
  const ministries = ["MINISTERIO DE AGRICULTURA, PESCA Y ALIMENTACIÓN", "MINISTERIO DE CULTURA", "MINISTERIO DE PRUEBA Y EJEMPLOS", "MINISTERIO DE JUSTICIA", "MINISTERIO DE CIENCIA SINTÉTICA"];
  const units = ["DIRECCIÓN GENERAL DE ALIMENTACIÓN", "SECRETARÍA GENERAL SINTÉTICA", "SUBDIRECCIÓN GENERAL DE LOS ARCHIVOS ESTATALES", "INSTITUTO SINTÉTICO DE CRÉDITO", "AGENCIA ESTATAL DE PRUEBA"];
  const regions = ["COMUNITAT VALENCIANA", "GALICIA", "COMUNIDAD DE PRUEBA", "ANDALUCÍA", "ARAGÓN", "CANARIAS"];
  const bodies = ["DIRECCIÓN GENERAL DE TRANSICIÓN ENERGÉTICA", "INSTITUT VALENCIÀ DE CULTURA ", "CONSEJERÍA DE EMPLEO SINTÉTICA", "AGENCIA AUTONÓMICA DE ENSAYO"];
  const provinces = ["PROVINCIA DE PRUEBA", "PROVINCIA SINTÉTICA DEL NORTE", "PROVINCIA DE ENSAYO"];
  const towns = ["VALDEMORENO DEL RÍO", "VILLAFICTICIA DE ABAJO", "SANTA MARÍA DEL EJEMPLO"];
  return {
    C: ministries.map((m, k) => ({ descripcion: m, id: 23 + k * 4, children: units.slice(0, 2 + (k % 4)).map((u, j) => leaf(60 + k * 10 + j, u)) })),
    A: regions.map((r, k) => ({ descripcion: r, id: 4 + k, children: bodies.slice(0, 1 + (k % 4)).map((b, j) => leaf(5900 + k * 10 + j, b)) })),
    L: provinces.map((p, k) => ({
      descripcion: p,
      id: 8001 + k,
      children: towns.map((t, j) => ({ descripcion: `${t}${k ? ` ${k + 1}` : ""}`, id: 8101 + k * 10 + j, children: [leaf(90_211 + k * 100 + j * 10, `AYUNTAMIENTO DE ${t}`), leaf(90_212 + k * 100 + j * 10, "MANCOMUNIDAD DE MUNICIPIOS DEL VALLE SINTÉTICO")] })),
    })),
    // Inferred: id 23 is also a C ministry's. Whether ids are unique across idAdmon is not established
    // (bdns-samples README), so the fake makes one repeat and an engine keyed by id alone shows it.
    O: [
      { descripcion: "OTROS ÓRGANOS DE PRUEBA", id: 7001, children: [leaf(7011, "UNIVERSIDAD SINTÉTICA DE EJEMPLO"), leaf(7012, "FUNDACIÓN PÚBLICA DE ENSAYO")] },
      { descripcion: "CONSORCIOS SINTÉTICOS", id: 23, children: [leaf(7021, "CONSORCIO DE PRUEBA DEL VALLE")] },
    ],
  };
}

/**
 * The tree as call number `call` returns it: every list of siblings (the roots too) in a fixed
 * per-tree order rotated by `call` places, so two consecutive calls never list the same siblings in
 * the same order (bdns-api.md §1 `/regiones`: "children order varies between calls").
 */
export function shuffleTree(nodes: readonly TreeNode[], call: number): TreeNode[] {
  const base = [...nodes].sort((a, b) => mix(a.id, 99) - mix(b.id, 99) || a.id - b.id);
  const k = base.length ? call % base.length : 0;
  return [...base.slice(k), ...base.slice(0, k)].map((n) => (n.children ? { ...n, children: shuffleTree(n.children, call) } : n));
}

// ---------------------------------------------------------------------------------------------------
// The fixture

export function makeDatasetsFixture(o: DatasetsFixtureOptions = {}): DatasetsFixture {
  const plans = o.planes?.plans ?? 12;
  return {
    noise: false,
    noiseSeed: 1,
    failures: [],
    calls: new Map(),
    catalogs: defaultCatalogs(),
    reglamentos: defaultReglamentos(),
    regiones: defaultRegiones(),
    organos: defaultOrganos(),
    planes: planes(plans),
    // By default about one plan in seven answers its detail as an HTML page (114/2,029 on one day: bdns-api.md §3).
    brokenPlans: new Set(o.planes?.broken ?? Array.from({ length: plans }, (_, i) => 3101 + i).filter((id) => id % 7 === 3)),
    grandesBeneficiarios: grandesBeneficiarios(o.grandesBeneficiarios?.years ?? [2023, 2024, 2025], o.grandesBeneficiarios?.rowsPerYear ?? 30),
    sanciones: sanciones(o.sanciones?.rows ?? 40),
    concesiones: concesiones(o.concesiones ?? {}),
    ayudasEstado: ayudasEstado(o.ayudasEstado ?? {}),
    minimis: minimis(o.minimis ?? {}),
    partidosPoliticos: partidosPoliticos(o.partidosPoliticos?.rows ?? 36),
  };
}

// ---------------------------------------------------------------------------------------------------
// Answers

const json = (body: unknown, status = 200): DatasetAnswer => ({ status, body: JSON.stringify(body), contentType: "application/json" });
const noContent = (): DatasetAnswer => ({ status: 204, body: "", contentType: "application/json" });
/** 400 ERR_VALIDACION as bdns-samples/error-responses.examples.json shows it. */
const invalid = (): DatasetAnswer => json({ codigo: "ERR_VALIDACION", error: null, errores: ["Alguno de los parámetros de la petición no es correcto."] }, 400);
/** `organos*` reject a bad idAdmon with a bare array of strings (bdns-api.md §0). */
const badIdAdmon = (): DatasetAnswer => json(["El parámetro 'idAdmon' no tiene un formato correcto."], 400);
const brokenRecord = (): DatasetAnswer => ({ status: 200, body: "<html><head><title>Error</title></head><body><h1>Se ha producido un error en el servidor</h1></body></html>", contentType: "text/html;charset=UTF-8" });

/** The paged endpoints' `order` enums, from the official spec v1.1.0 (typos included: `setores`). */
export const ORDERS: Record<string, readonly string[]> = {
  "/concesiones/busqueda": ["nivel1", "nivel2", "nivel3", "codConcesion", "numeroConvocatoria", "convocatoria", "descripcionCooficial", "instrumento", "urlBR", "fechaConcesion", "beneficiario", "importe", "ayudaEquivalente", "tieneProyecto"],
  "/ayudasestado/busqueda": ["codConcesion", "convocante", "numeroConvocatoria", "convocatoria", "reglamento", "objetivo", "instrumento", "tipoBeneficiario", "fechaConcesion", "fechaAlta", "beneficiario", "importe", "ayudaEquivalente", "region", "setores", "ayudaEstado", "urlAyudaEstado", "entidad", "intermediario"],
  "/minimis/busqueda": ["numeroConvocatoria", "convocante", "reglamento", "instrumento", "fechaConcesion", "fechaRegistro", "beneficiario", "ayudaEquivalente"],
  "/partidospoliticos/busqueda": ["nivel1", "nivel2", "nivel3", "codConcesion", "numeroConvocatoria", "convocatoria", "instrumento", "urlBR", "fechaConcesion", "beneficiario", "importe", "ayudaEquivalente", "tieneProyecto"],
  "/grandesbeneficiarios/busqueda": ["beneficiario", "ejercicio", "ayudaETotal"],
  "/planesestrategicos/busqueda": ["descripcion", "descripcionCooficial", "tipoPlan", "vigencia", "vigenciaDesde", "vigenciaHasta", "ambitos"],
  "/sanciones/busqueda": ["nivel1", "nivel2", "nivel3", "convocatoria", "fechaConcesion", "importe", "sancionado", "infraccion", "fechaSancion", "importeMulta", "inicioInhabilitacion", "finInhabilitacion"],
};

/** The official "Buenas prácticas" maximum page size (bdns-api.md §0). */
export const MAX_PAGE_SIZE = 10_000;
/** Inferred: BDNS does not document the default; it is a Spring application, whose default page is 20. */
export const DEFAULT_PAGE_SIZE = 20;

interface Paging {
  page: number;
  size: number;
  desc: boolean;
}

const natural = (v: string | null, fallback: number) => (v === null ? fallback : /^\d+$/.test(v) ? Number(v) : -1);

/**
 * page, pageSize (1..10,000), and an `order` from the endpoint's enum and `direccion` asc|desc when
 * given; anything else is 400 ERR_VALIDACION (bdns-api.md §3: "Bad order values → 400").
 * Simplification: every valid `order` pages in the dataset's stable id order (`direccion` honoured);
 * sorting millions of generated rows by another column would need them all in memory.
 */
function pagingOf(path: string, params: URLSearchParams): Paging | undefined {
  const page = natural(params.get("page"), 0);
  const size = natural(params.get("pageSize"), DEFAULT_PAGE_SIZE);
  const order = params.get("order");
  const direccion = params.get("direccion");
  if (page < 0 || size < 1 || size > MAX_PAGE_SIZE) return undefined;
  if (order !== null && !(ORDERS[path] ?? []).includes(order)) return undefined;
  if (direccion !== null && direccion !== "asc" && direccion !== "desc") return undefined;
  return { page, size, desc: direccion === "desc" };
}

/** Totals and the positions of one page; with repeats, pages overlap by one row and there are more of them. */
export function pageOf(length: number, page: number, size: number, repeat: boolean): { totalPages: number; start: number; end: number } {
  const stride = repeat && size > 1 ? size - 1 : size;
  const totalPages = length === 0 ? 0 : length <= size ? 1 : 1 + Math.ceil((length - size) / stride);
  const start = Math.min(length, page * stride);
  return { totalPages, start, end: Math.min(length, start + size) };
}

const SORT = '{"empty":false,"sorted":true,"unsorted":false}';

/** A Spring Page's fields after `content`, in the samples' order. */
function pageTail(p: Paging, n: number, totalElements: number, totalPages: number, extra = ""): string {
  return (
    `],"pageable":{"sort":${SORT},"offset":${p.page * p.size},"pageNumber":${p.page},"pageSize":${p.size},"paged":true,"unpaged":false},` +
    `"last":${p.page >= totalPages - 1},"totalPages":${totalPages},"totalElements":${totalElements},"size":${p.size},"number":${p.page},"sort":${SORT},` +
    `"first":${p.page === 0},"numberOfElements":${n},"empty":${n === 0},${extra}"advertencia":${JSON.stringify(ADVERTENCIA)}}`
  );
}

/** Buffer's own UTF-8 writer, without `write`'s argument juggling (a third of a page's time when called per row). */
type Utf8Writable = Buffer & { utf8Write?: (text: string, offset: number) => number };

/** The bytes of a page, written row by row: one UTF-8 encoding per row and no page-sized string. */
class PageBytes {
  private buf: Utf8Writable;
  private pos = 0;
  constructor(estimate: number) {
    this.buf = Buffer.allocUnsafe(Math.max(4096, estimate));
  }
  write(text: string): void {
    this.room(text.length * 3); // UTF-8 takes at most 3 bytes per UTF-16 unit
    this.pos += this.buf.utf8Write ? this.buf.utf8Write(text, this.pos) : this.buf.write(text, this.pos);
  }
  comma(): void {
    this.room(1);
    this.buf[this.pos++] = 0x2c;
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.pos + n, this.buf.length * 2));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
}

/** One page of a selection as a Spring Page. `view`: rows shown through a projection (plans' busqueda). */
function servePage<Row extends object>(
  fx: DatasetsFixture,
  src: RowSource<Row>,
  sel: Selection,
  p: Paging,
  view?: (row: Row) => object,
  extra?: (sel: Selection) => string,
): DatasetAnswer {
  const { totalPages, start, end } = pageOf(sel.length, p.page, p.size, src.repeatAcrossPages);
  const count = end - start;
  const indices = count <= 0 ? [] : p.desc ? src.indicesAt(sel, sel.length - end, count).reverse() : src.indicesAt(sel, start, count);
  const seed = fx.noise ? fx.noiseSeed : undefined;
  const out = new PageBytes(1024 * (indices.length + 1));
  out.write('{"content":[');
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    const text = view ? JSON.stringify(view(seed === undefined ? src.rowAt(i)! : src.noisy(src.rowAt(i)!, seed))) : src.jsonAt(i, seed)!;
    if (k) out.comma();
    out.write(text);
  }
  out.write(pageTail(p, indices.length, sel.length, totalPages, extra?.(sel)));
  return { status: 200, body: out.bytes(), contentType: "application/json" };
}

/** `fechaRegInicio` inclusive, `fechaRegFin` EXCLUSIVE (bdns-api.md §3, measured): [from, to) in days. */
function registrationWindow(params: URLSearchParams): [number, number] | undefined {
  for (const name of ["fechaDesde", "fechaHasta"]) {
    const v = params.get(name);
    // Award-date filters: the format is checked like BDNS does, the filter itself is not applied (inferred simplification).
    if (v !== null && bdnsDay(v) === undefined) return undefined;
  }
  const from = params.get("fechaRegInicio");
  const to = params.get("fechaRegFin");
  const lo = from === null ? -Infinity : bdnsDay(from);
  const hi = to === null ? Infinity : bdnsDay(to);
  return lo === undefined || hi === undefined ? undefined : [lo, hi];
}

type Route = (fx: DatasetsFixture, params: URLSearchParams, path: string) => DatasetAnswer;

function catalogAnswer(list: readonly CatalogEntry[], fx: DatasetsFixture, descripcionFirst: boolean): DatasetAnswer {
  if (list.length === 0) return noContent(); // 204 with an empty body, on every catalog (bdns-api.md §0)
  const text = (e: CatalogEntry) => (fx.noise ? toggledSpace(e.descripcion, e.id, fx.noiseSeed) : e.descripcion);
  // Some catalogs put `descripcion` before `id` (bdns-samples/catalogos.json: objetivos, reglamentos).
  return json(list.map((e) => (descripcionFirst ? { descripcion: text(e), id: e.id } : { id: e.id, descripcion: text(e) })));
}

/** The call number of this tree request (1 for the first). */
function nextCall(fx: DatasetsFixture, key: string): number {
  const n = (fx.calls.get(key) ?? 0) + 1;
  fx.calls.set(key, n);
  return n;
}

function treeJson(nodes: readonly TreeNode[], fx: DatasetsFixture, style: "regiones" | "organos"): unknown[] {
  return nodes.map((n) => {
    const descripcion = fx.noise ? toggledSpace(n.descripcion, n.id, fx.noiseSeed) : n.descripcion;
    const children = n.children && treeJson(n.children, fx, style);
    // regiones: {id, descripcion, children} with `children: []` on leaves; órganos: {descripcion, id[, children]}.
    if (style === "regiones") return { id: n.id, descripcion, children: children ?? [] };
    return children ? { descripcion, id: n.id, children } : { descripcion, id: n.id };
  });
}

function idAdmonOf(params: URLSearchParams): IdAdmon | undefined {
  const v = params.get("idAdmon");
  return (ID_ADMON as readonly string[]).includes(v ?? "") ? (v as IdAdmon) : undefined;
}

function planAt(fx: DatasetsFixture, idPES: number): PlanRecord | undefined {
  return Number.isInteger(idPES) ? fx.planes.rowAt(idPES - 3101) : undefined;
}

const planRow = (r: PlanRecord) => ({ descripcion: r.descripcion, descripcionCooficial: r.descripcionCooficial, tipoPlan: r.tipoPlan, vigenciaDesde: r.vigenciaDesde, vigenciaHasta: r.vigenciaHasta, id: r.id, ambitos: r.ambitos });

function planDetail(r: PlanRecord, fx: DatasetsFixture) {
  const ambitos = fx.noise ? rotated(r.ambitosDetalle, fx.noiseSeed + r.id).map((a, k) => toggledSpace(a, k, fx.noiseSeed)) : r.ambitosDetalle;
  // No idPES in the detail (bdns-samples README: "not echoed").
  return { descripcion: r.descripcion, descripcionCooficial: r.descripcionCooficial, tipoPlan: r.tipoPlan, vigenciaDesde: r.vigenciaDesde, vigenciaHasta: r.vigenciaHasta, fechaAprobacion: r.fechaAprobacion, ambitos, documentos: r.documentos, advertencia: ADVERTENCIA };
}

/** Size of a plan document: deterministic from its id. */
export const planDocumentSize = (id: number) => 1000 + (mix(id, 21) % 60_000);

/** A plan document as the loopback BDNS streams it (bytes: `documentBytes` of bdns-server.ts). */
export function planDocument(fx: DatasetsFixture, id: number): FakeDocument | undefined {
  const owner = planAt(fx, 3101 + Math.floor((id - DOCUMENT_BASE) / 10));
  const listed = owner?.documentos.find((d) => d.id === id) ?? allPlans(fx).flatMap((p) => p.documentos).find((d) => d.id === id);
  return listed && { id, nombreFic: listed.nombreFic, long: planDocumentSize(id), datMod: "2026-01-01" };
}

function allPlans(fx: DatasetsFixture): PlanRecord[] {
  const sel = fx.planes.select([[-Infinity, Infinity]]);
  return fx.planes.indicesAt(sel, 0, sel.length).map((i) => fx.planes.rowAt(i)!);
}

/** `anios` as a list (repeated keys or comma-joined, bdns-api.md §0); absent = every year (inferred). */
function yearsOf(params: URLSearchParams): number[] | null | undefined {
  const raw = params.getAll("anios").flatMap((v) => v.split(","));
  if (raw.length === 0) return null;
  return raw.every((v) => /^\d{4}$/.test(v.trim())) ? [...new Set(raw.map((v) => Number(v)))].sort((a, b) => a - b) : undefined;
}

function awardRoute<Row extends object>(source: (fx: DatasetsFixture) => RowSource<Row>, extra?: (sel: Selection) => string): Route {
  return (fx, params, path) => {
    const p = pagingOf(path, params);
    const window = registrationWindow(params);
    if (!p || !window) return invalid();
    const src = source(fx);
    return servePage(fx, src, src.select([window]), p, undefined, extra);
  };
}

const ROUTES: Record<string, Route> = {
  ...Object.fromEntries(CATALOGS.map((name) => [`/${name}`, (fx: DatasetsFixture) => catalogAnswer(fx.catalogs[name], fx, name === "objetivos")])),
  "/reglamentos": (fx, params) => {
    const ambito = params.get("ambito");
    // Inferred: without ámbito BDNS answers a subset, not the union (bdns-api.md §1); the fake gives C's.
    if (ambito === null) return catalogAnswer(fx.reglamentos.C, fx, true);
    if (!(AMBITOS as readonly string[]).includes(ambito)) return invalid();
    return catalogAnswer(fx.reglamentos[ambito as Ambito], fx, true);
  },
  "/regiones": (fx) => (fx.regiones.length ? json(treeJson(shuffleTree(fx.regiones, nextCall(fx, "/regiones")), fx, "regiones")) : noContent()),
  "/organos": (fx, params) => {
    const idAdmon = idAdmonOf(params);
    if (!idAdmon) return badIdAdmon();
    const tree = fx.organos[idAdmon];
    return tree.length ? json(treeJson(shuffleTree(tree, nextCall(fx, `/organos?idAdmon=${idAdmon}`)), fx, "organos")) : noContent();
  },
  "/organos/agrupacion": (fx, params) => {
    const idAdmon = idAdmonOf(params);
    if (!idAdmon) return badIdAdmon();
    const roots = fx.organos[idAdmon];
    const text = (n: TreeNode) => (fx.noise ? toggledSpace(n.descripcion, n.id, fx.noiseSeed) : n.descripcion);
    return roots.length ? json(roots.map((n) => ({ descripcion: text(n), id: n.id }))) : noContent();
  },
  "/planesestrategicos/busqueda": (fx, params, path) => {
    const p = pagingOf(path, params);
    return p ? servePage(fx, fx.planes, fx.planes.select([[-Infinity, Infinity]]), p, planRow) : invalid();
  },
  "/planesestrategicos": (fx, params) => {
    const raw = params.get("idPES");
    if (raw === null || !/^\d+$/.test(raw)) return invalid();
    const id = Number(raw);
    if (fx.brokenPlans.has(id)) return brokenRecord();
    const plan = planAt(fx, id);
    // Inferred: an unknown plan answers 204, as the loopback BDNS does for an unknown convocatoria (undocumented).
    return plan ? json(planDetail(plan, fx)) : noContent();
  },
  "/planesestrategicos/vigencia": (fx) => {
    const plans = allPlans(fx);
    const years = (ys: number[]) => [...new Set(ys)].sort((a, b) => a - b).map((y) => ({ id: y, descripcion: y }));
    return json({ vigDesde: years(plans.map((p) => p.vigenciaDesde)), vigHasta: years(plans.map((p) => p.vigenciaHasta)) });
  },
  "/planesestrategicos/documentos": (fx, params) => {
    const raw = params.get("idDocumento");
    const doc = raw !== null && /^\d+$/.test(raw) ? planDocument(fx, Number(raw)) : undefined;
    // An unknown document is a 400 mentioning "documento solicitado" (bdns-api.md §3).
    return doc ? { file: doc } : json({ codigo: "ERR_VALIDACION", error: "No existe el documento solicitado", errores: ["No existe el documento solicitado."] }, 400);
  },
  "/grandesbeneficiarios/anios": (fx) => {
    const years = fx.grandesBeneficiarios.bucketKeys();
    return years.length ? json(years.map((y) => ({ id: y, descripcion: y }))) : noContent();
  },
  "/grandesbeneficiarios/busqueda": (fx, params, path) => {
    const p = pagingOf(path, params);
    const years = yearsOf(params);
    if (!p || years === undefined) return invalid();
    const src = fx.grandesBeneficiarios;
    return servePage(fx, src, src.select(years === null ? [[-Infinity, Infinity]] : years.map((y) => [y, y + 1] as const)), p);
  },
  "/sanciones/busqueda": (fx, params, path) => {
    const p = pagingOf(path, params);
    return p ? servePage(fx, fx.sanciones, fx.sanciones.select([[-Infinity, Infinity]]), p) : invalid();
  },
  "/concesiones/busqueda": awardRoute((fx) => fx.concesiones),
  "/ayudasestado/busqueda": awardRoute((fx) => fx.ayudasEstado),
  // Inferred: what the two acumulados aggregate is unknown (bdns-samples README); here a number of the window.
  "/minimis/busqueda": awardRoute((fx) => fx.minimis, (sel) => `"acumuladoNacionalAgricola":${cents(sel.length * 6137)},"acumuladoNacionalPesca":${cents(sel.length * 1240)},`),
  // Partidos políticos rows carry no registration date (bdns-api.md §1), so a date filter on them can
  // be neither shown nor checked: the fake validates fechaRegInicio/fechaRegFin and ignores them,
  // answering every row. An engine that (wrongly) windows this dataset then sees the whole set in
  // every piece, which its tests notice, instead of a plausible-looking subset.
  "/partidospoliticos/busqueda": (fx, params, path) => {
    const p = pagingOf(path, params);
    if (!p || !registrationWindow(params)) return invalid();
    return servePage(fx, fx.partidosPoliticos, fx.partidosPoliticos.select([[-Infinity, Infinity]]), p);
  },
};

/** The answer to a request on one of the ten datasets' paths, or undefined for a path it does not serve. */
export function answerDatasets(fx: DatasetsFixture, path: string, params: URLSearchParams): DatasetAnswer | undefined {
  return Object.hasOwn(ROUTES, path) ? ROUTES[path]!(fx, params, path) : undefined;
}

/** The first standing failure matching this request (its `times` counted down), if any. */
export function standingFault(fx: DatasetsFixture, path: string, params: URLSearchParams): FaultReply | undefined {
  const f = fx.failures.find((x) => (x.times === undefined || x.times > 0) && requestMatches(x.path, x.params)(path, params));
  if (f && f.times !== undefined) f.times--;
  return f?.reply;
}

// ---------------------------------------------------------------------------------------------------
// For tests: matching and counting requests

/** A request predicate for `fake.fault()`: this path, and these params with these values. */
export function requestMatches(path: string, params: Record<string, string> = {}): (p: string, q: URLSearchParams) => boolean {
  return (p, q) => p === path && Object.entries(params).every(([k, v]) => q.get(k) === v);
}

export function countRequests(requests: readonly BdnsRequest[], path: string, params: Record<string, string> = {}): number {
  const match = requestMatches(path, params);
  return requests.filter((r) => match(r.path, r.params)).length;
}

export type DatasetName = "catalogos" | "regiones" | "organos" | "planes-estrategicos" | "grandes-beneficiarios" | "sanciones" | "concesiones" | "ayudas-estado" | "minimis" | "partidos-politicos";

/** Pages a complete read needs: page 0 always (it tells totalPages), then the rest. */
const pagesNeeded = (length: number, pageSize: number, repeat: boolean) => Math.max(1, pageOf(length, 0, pageSize, repeat).totalPages);

/**
 * The fewest requests a complete sync of `dataset` makes, per path: one per catalog and sweep value,
 * one per page per sweep value (or per window piece: `pieces`, as sent, `toExclusive` = fechaRegFin),
 * one per plan detail (documents not included: `planDocumentIds` lists them).
 */
export function minimumRequests(fx: DatasetsFixture, dataset: DatasetName, o: { pageSize?: number; pieces?: Array<{ from: string; toExclusive: string }> } = {}): Record<string, number> {
  const size = o.pageSize ?? MAX_PAGE_SIZE;
  const all = <R extends object>(src: RowSource<R>) => pagesNeeded(src.select([[-Infinity, Infinity]]).length, size, src.repeatAcrossPages);
  const windowed = <R extends object>(src: RowSource<R>) => {
    if (!o.pieces) throw new Error(`${dataset}: say which pieces`);
    return o.pieces.reduce((n, w) => n + pagesNeeded(src.select([[epochDay(w.from), epochDay(w.toExclusive)]]).length, size, src.repeatAcrossPages), 0);
  };
  switch (dataset) {
    case "catalogos":
      return { ...Object.fromEntries(CATALOGS.map((c) => [`/${c}`, 1])), "/reglamentos": AMBITOS.length };
    case "regiones":
      return { "/regiones": 1 };
    case "organos":
      return { "/organos": ID_ADMON.length, "/organos/agrupacion": ID_ADMON.length };
    case "planes-estrategicos":
      return { "/planesestrategicos/busqueda": all(fx.planes), "/planesestrategicos": fx.planes.size };
    case "grandes-beneficiarios": {
      const src = fx.grandesBeneficiarios;
      const pages = src.bucketKeys().reduce((n, y) => n + pagesNeeded(src.select([[y, y + 1]]).length, size, src.repeatAcrossPages), 0);
      return { "/grandesbeneficiarios/anios": 1, "/grandesbeneficiarios/busqueda": pages };
    }
    case "sanciones":
      return { "/sanciones/busqueda": all(fx.sanciones) };
    case "partidos-politicos":
      return { "/partidospoliticos/busqueda": all(fx.partidosPoliticos) };
    case "concesiones":
      return { "/concesiones/busqueda": windowed(fx.concesiones) };
    case "ayudas-estado":
      return { "/ayudasestado/busqueda": windowed(fx.ayudasEstado) };
    case "minimis":
      return { "/minimis/busqueda": windowed(fx.minimis) };
  }
}

/** Every document id the current plans' details list (broken plans' included: their files still exist). */
export function planDocumentIds(fx: DatasetsFixture): number[] {
  return allPlans(fx).flatMap((p) => p.documentos.map((d) => d.id));
}

/**
 * The reads a grants portal makes on every page view, written once, here: docs/portal-reads.md shows
 * them (generated from this list by `npm run docs`), test/adapters/portal-reads.test.ts runs each on
 * both databases against the schema the migrations make (its rows, and a plan that uses the index named
 * here), and `npm run bench store-reads` times them at volume. The tables are the portal's API; these
 * reads are how it is meant to be used.
 *
 * Parameters are written `:name`; `compileRead` turns them into each driver's placeholders. Dates are
 * `YYYY-MM-DD`, times ISO 8601 (UTC); `:today` is the portal's today (Spain's: Europe/Madrid).
 */

export type StoreDialect = "sqlite" | "postgres";

export interface PortalRead {
  /** A short stable name (`convocatorias-latest`). */
  id: string;
  /** What the page shows. */
  title: string;
  /** When the portal needs it, and anything a developer must know to use it. */
  notes: string;
  /** The SQL, one text when both databases take it. */
  sql: string | Record<StoreDialect, string>;
  /** An example of each parameter (the docs show them; the tests and the bench use their own). */
  example: Record<string, string | number>;
  /** The index (or, for full-text search, the index table) the plan must use, per database. */
  index: string | Record<StoreDialect, string>;
  /** The parameter that holds words typed in a search box: `compileRead` makes SQLite's FTS5 query of them. */
  words?: string;
}

/**
 * Whether a convocatoria takes applications on `:today`, from its solicitud dates — not BDNS's `abierto`
 * flag, which is what BDNS said at the last detail fetch: closed before its start or after its end, open
 * in between (no start date: open until the end). Without an end date BDNS gives a free-text deadline
 * (`textFin` in detail_json) and its flag is the best there is. The same rule as `convocatorias-abiertas`.
 */
export const ABIERTO_SQL = `CASE
    WHEN fecha_fin_solicitud < :today OR fecha_inicio_solicitud > :today THEN 0
    WHEN fecha_fin_solicitud IS NOT NULL THEN 1
    ELSE abierto
  END`;

const PAGE = 20;
const FEED = 1000;

export const PORTAL_READS: readonly PortalRead[] = [
  {
    id: "convocatorias-latest",
    title: "Latest convocatorias (the home page, page 1)",
    notes: `Newest first by registration date, ties in BDNS code order (\`codigo\`, the code as a number). Next pages: add \`AND (fecha_recepcion, codigo) < (:fecha, :codigo)\` with the last row's values (keyset: as fast on page 500 as on page 1).`,
    sql: `SELECT bdns, codigo, descripcion, fecha_recepcion, nivel1, nivel2, nivel3, presupuesto_total
FROM convocatorias
WHERE removed_at IS NULL AND fecha_recepcion IS NOT NULL
ORDER BY fecha_recepcion DESC, codigo DESC
LIMIT ${PAGE}`,
    example: {},
    index: "convocatorias_fecha_recepcion_codigo",
  },
  {
    id: "convocatoria",
    title: "One convocatoria (its page)",
    notes: "By its BDNS code. `abierto` is derived from the solicitud dates and `:today` (`ABIERTO_SQL`), not read from the stored flag. `detail_json` has everything BDNS sent (`anuncios`, `objetivos`, …); a removed one (`removed_at`) is shown as withdrawn, not hidden.",
    sql: `SELECT bdns, codigo, id, descripcion, descripcion_leng, fecha_recepcion, nivel1, nivel2, nivel3, tipo_convocatoria, presupuesto_total, mrr,
  fecha_inicio_solicitud, fecha_fin_solicitud, ${ABIERTO_SQL} AS abierto, sede_electronica, detail_json, removed_at
FROM convocatorias
WHERE bdns = :bdns`,
    example: { bdns: "929816", today: "2026-11-28" },
    index: { sqlite: "sqlite_autoindex_convocatorias_1", postgres: "convocatorias_pkey" },
  },
  {
    id: "convocatoria-documentos",
    title: "A convocatoria's documents",
    notes: "The documents its detail lists now (a document it no longer lists has `removed_at`). `stored_path` is where the file is (under DOCUMENTS_DIR, or `s3://…`); null until stored.",
    sql: `SELECT id, nombre_fic, descripcion, announced_size, dat_publicacion, dat_mod, stored_path, stored_size, sha256
FROM documentos
WHERE bdns = :bdns AND removed_at IS NULL
ORDER BY dat_publicacion, id`,
    example: { bdns: "929816" },
    index: "documentos_bdns",
  },
  {
    id: "convocatorias-abiertas",
    title: "Convocatorias open now (closing soonest first)",
    notes: "Open by their solicitud dates on `:today`. Those whose deadline is a free text (no `fecha_fin_solicitud`) are not here: BDNS's `abierto` flag is all there is for them.",
    sql: `SELECT bdns, codigo, descripcion, nivel2, nivel3, fecha_inicio_solicitud, fecha_fin_solicitud, presupuesto_total
FROM convocatorias
WHERE fecha_fin_solicitud >= :today AND (fecha_inicio_solicitud IS NULL OR fecha_inicio_solicitud <= :today) AND removed_at IS NULL
ORDER BY fecha_fin_solicitud, codigo
LIMIT ${PAGE}`,
    example: { today: "2026-11-28" },
    index: "convocatorias_fecha_fin_solicitud",
  },
  {
    id: "convocatorias-busqueda",
    title: "Search convocatorias by words (results page 1, newest first)",
    notes: "`:q` is the words as typed. Every word must match, accents and case ignored (`energetica` finds `energética`). SQLite: `compileRead` turns the words into an FTS5 query (`ftsMatch`: each word quoted, as a prefix: `ayuda` finds `ayudas`). PostgreSQL: `ayida_tsquery` matches each word's Spanish stem, as written or without accents.",
    sql: {
      sqlite: `SELECT c.bdns, c.codigo, c.descripcion, c.fecha_recepcion, c.nivel3
FROM convocatorias_fts f JOIN convocatorias c ON c.codigo = f.rowid
WHERE convocatorias_fts MATCH :q
ORDER BY c.fecha_recepcion DESC, c.codigo DESC
LIMIT ${PAGE}`,
      postgres: `SELECT bdns, codigo, descripcion, fecha_recepcion, nivel3
FROM convocatorias
WHERE busqueda @@ ayida_tsquery(:q) AND removed_at IS NULL
ORDER BY fecha_recepcion DESC, codigo DESC
LIMIT ${PAGE}`,
    },
    example: { q: "eficiencia energetica" },
    index: { sqlite: "convocatorias_fts", postgres: "convocatorias_busqueda" },
    words: "q",
  },
  {
    id: "convocatorias-busqueda-total",
    title: "Search convocatorias by words (how many match)",
    notes: "The count beside the results; `:q` as above.",
    sql: {
      sqlite: `SELECT count(*) AS n FROM convocatorias_fts WHERE convocatorias_fts MATCH :q`,
      postgres: `SELECT count(*) AS n FROM convocatorias WHERE busqueda @@ ayida_tsquery(:q) AND removed_at IS NULL`,
    },
    example: { q: "energetica" },
    index: { sqlite: "convocatorias_fts", postgres: "convocatorias_busqueda" },
    words: "q",
  },
  {
    id: "convocatorias-region-sector-ejercicio",
    title: "Convocatorias of a region and a sector, in a year",
    notes: "Regions are NUTS codes (`ES52`: Comunidad Valenciana; `ES` is all of Spain), sectors CNAE codes (`F`: construction). `convocatoria_facetas` also holds `tipo_beneficiario`, `instrumento`, `fondo` and `finalidad`: the same read filters on any of them.",
    sql: `SELECT c.bdns, c.codigo, c.descripcion, c.fecha_recepcion, c.nivel2, c.nivel3
FROM convocatoria_facetas r
JOIN convocatorias c ON c.bdns = r.bdns
WHERE r.faceta = 'region' AND r.valor = :region AND r.fecha_recepcion >= :desde AND r.fecha_recepcion < :hasta
  AND EXISTS (SELECT 1 FROM convocatoria_facetas s WHERE s.bdns = r.bdns AND s.faceta = 'sector' AND s.valor = :sector)
  AND c.removed_at IS NULL
ORDER BY r.fecha_recepcion DESC, c.codigo DESC
LIMIT ${PAGE}`,
    example: { region: "ES52", sector: "F", desde: "2025-01-01", hasta: "2026-01-01" },
    index: "convocatoria_facetas_valor",
  },
  {
    id: "convocatorias-organo",
    title: "Convocatorias of one granting body (newest first)",
    notes: "By `nivel3`, the body as BDNS names it (`nivel1` is the level: ESTADO, AUTONOMICA, LOCAL, OTROS; `nivel2` the ministry, region or municipality). Older convocatorias put the region in `nivel1` and have no `nivel3`.",
    sql: `SELECT bdns, codigo, descripcion, fecha_recepcion, presupuesto_total
FROM convocatorias
WHERE nivel3 = :organo AND fecha_recepcion IS NOT NULL AND removed_at IS NULL
ORDER BY fecha_recepcion DESC
LIMIT ${PAGE}`,
    example: { organo: "DIRECCIÓN GENERAL DE TRANSICIÓN ENERGÉTICA" },
    index: "convocatorias_nivel3_fecha_recepcion",
  },
  {
    id: "convocatorias-cambios",
    title: "Convocatorias changed or removed since a time (a feed, a cache)",
    notes: "`last_changed_at` moves when the detail changes, when a convocatoria is marked removed and when it comes back; `removed_at` says which. The keys only, from the index alone: read the rows you need by `bdns`. Page through with the last row's `last_changed_at` and `bdns`.",
    sql: `SELECT bdns, last_changed_at, removed_at
FROM convocatorias
WHERE last_changed_at > :since
ORDER BY last_changed_at, bdns
LIMIT ${FEED}`,
    example: { since: "2026-11-27T00:00:00.000Z" },
    index: "convocatorias_last_changed_at",
  },
  {
    id: "concesiones-nif",
    title: "A beneficiary's awards by NIF (page 1, newest first)",
    notes: "Natural persons' NIFs come masked from BDNS (`***1234**`) and one masked value covers many people: for a person, use `id_persona` (next read). Awards without a `fecha_concesion` are left out of date-ordered pages.",
    sql: `SELECT id, cod_concesion, numero_convocatoria, convocatoria, nivel3, fecha_concesion, beneficiario, instrumento, importe, ayuda_equivalente
FROM concesiones
WHERE nif = :nif AND fecha_concesion IS NOT NULL AND removed_at IS NULL
ORDER BY fecha_concesion DESC, id DESC
LIMIT ${PAGE}`,
    example: { nif: "B00000000" },
    index: "concesiones_nif_fecha_concesion_id",
  },
  {
    id: "concesiones-nif-total",
    title: "A beneficiary's awards by NIF (how many, how much)",
    notes: "From the totals table (each beneficiary's awards per year, kept by the award sync in the transaction of its rows): a handful of rows instead of every award. A masked NIF sums every person behind it.",
    sql: `SELECT sum(concesiones) AS concesiones, sum(importe) AS importe, sum(ayuda_equivalente) AS ayuda_equivalente
FROM beneficiarios_totales
WHERE nif = :nif`,
    example: { nif: "B00000000" },
    index: "beneficiarios_totales_nif",
  },
  {
    id: "concesiones-persona",
    title: "A beneficiary's awards by id_persona (page 1, newest first)",
    notes: "`id_persona` is BDNS's identity of a beneficiary (a person or an entity), the one key a masked NIF does not blur.",
    sql: `SELECT id, cod_concesion, numero_convocatoria, convocatoria, nivel3, fecha_concesion, nif, beneficiario, instrumento, importe, ayuda_equivalente
FROM concesiones
WHERE id_persona = :id_persona AND fecha_concesion IS NOT NULL AND removed_at IS NULL
ORDER BY fecha_concesion DESC, id DESC
LIMIT ${PAGE}`,
    example: { id_persona: 20000001 },
    index: "concesiones_id_persona_fecha_concesion_id",
  },
  {
    id: "beneficiario-ejercicios",
    title: "A beneficiary's totals per year (by id_persona)",
    notes: "Count, amount and equivalent aid of the awards not removed, per year of `fecha_concesion`.",
    sql: `SELECT ejercicio, nif, beneficiario, concesiones, importe, ayuda_equivalente
FROM beneficiarios_totales
WHERE id_persona = :id_persona
ORDER BY ejercicio DESC`,
    example: { id_persona: 20000001 },
    index: { sqlite: "sqlite_autoindex_beneficiarios_totales_1", postgres: "beneficiarios_totales_pk" },
  },
  {
    id: "concesiones-convocatoria",
    title: "A convocatoria's awards (page 1, newest first)",
    notes: "By BDNS's internal id of the convocatoria (`convocatorias.id`: the convocatoria read gives it; awards carry it as `id_convocatoria`, and the code as `numero_convocatoria`). The id as a value, not looked up from the code inside the query: PostgreSQL then plans with what it knows of that convocatoria instead of an average of a few dozen awards (which gathered and sorted all 5,847 awards of one: 25 ms instead of 1.3 in index order). An award whose convocatoria is not in the store yet is found the same way.",
    sql: `SELECT id, cod_concesion, fecha_concesion, nif, beneficiario, instrumento, importe, ayuda_equivalente
FROM concesiones
WHERE id_convocatoria = :id_convocatoria AND fecha_concesion IS NOT NULL AND removed_at IS NULL
ORDER BY fecha_concesion DESC, id DESC
LIMIT ${PAGE}`,
    example: { id_convocatoria: 1009816 },
    index: "concesiones_id_convocatoria_fecha_concesion_id",
  },
  {
    id: "concesiones-convocatoria-total",
    title: "A convocatoria's awards (how many, how much)",
    notes: "From the convocatorias' totals table (its awards per year, kept by the award sync in the transaction of its rows): a few rows, however many awards the convocatoria has.",
    sql: `SELECT coalesce(sum(concesiones), 0) AS concesiones, coalesce(sum(importe), 0) AS importe
FROM convocatorias_totales
WHERE id_convocatoria = (SELECT id FROM convocatorias WHERE bdns = :bdns)`,
    example: { bdns: "929816" },
    index: { sqlite: "sqlite_autoindex_convocatorias_totales_1", postgres: "convocatorias_totales_pk" },
  },
  {
    id: "concesiones-ultimas",
    title: "Latest awards (newest registered first)",
    notes: "By registration date (`fecha_alta`): what BDNS published lately, whatever the award's own date.",
    sql: `SELECT id, cod_concesion, numero_convocatoria, convocatoria, fecha_concesion, fecha_alta, beneficiario, importe
FROM concesiones
WHERE fecha_alta IS NOT NULL AND removed_at IS NULL
ORDER BY fecha_alta DESC, id DESC
LIMIT ${PAGE}`,
    example: {},
    index: "concesiones_fecha_alta",
  },
  {
    id: "concesiones-cambios",
    title: "Awards changed or removed since a time (a feed, a cache)",
    notes: "`last_changed_at` moves when an award's content changes (not a re-spelt name), when it is marked removed and when it comes back; `removed_at` says which. The keys only, from the index alone: read the rows you need by `id`.",
    sql: `SELECT id, last_changed_at, removed_at
FROM concesiones
WHERE last_changed_at > :since
ORDER BY last_changed_at, id
LIMIT ${FEED}`,
    example: { since: "2026-11-27T00:00:00.000Z" },
    index: "concesiones_last_changed_at",
  },
  {
    id: "concesiones-retiradas",
    title: "Awards removed since a time",
    notes: "Only removed rows are in this index: as cheap as the list is short. The keys only.",
    sql: `SELECT id, removed_at
FROM concesiones
WHERE removed_at > :since
ORDER BY removed_at, id
LIMIT ${FEED}`,
    example: { since: "2026-11-27T00:00:00.000Z" },
    index: "concesiones_removed_at",
  },
  {
    id: "ranking-ejercicio",
    title: "The year's top 20 beneficiaries (by amount)",
    notes: "From the totals table: one index range, however many awards the year has.",
    sql: `SELECT id_persona, nif, beneficiario, concesiones, importe, ayuda_equivalente
FROM beneficiarios_totales
WHERE ejercicio = :ejercicio
ORDER BY importe DESC
LIMIT ${PAGE}`,
    example: { ejercicio: 2025 },
    index: "beneficiarios_totales_ejercicio_importe",
  },
  {
    id: "minimis-tres-anios",
    title: "A beneficiary's de minimis aid in the last three years",
    notes: "The de minimis ceiling is checked over three years: `:desde` is three years before `:today`.",
    sql: `SELECT count(*) AS concesiones, coalesce(sum(ayuda_equivalente), 0) AS ayuda_equivalente
FROM minimis
WHERE id_persona = :id_persona AND fecha_concesion >= :desde AND removed_at IS NULL`,
    example: { id_persona: 20000001, desde: "2023-11-28" },
    index: "minimis_id_persona_fecha_concesion",
  },
  {
    id: "ayudas-estado-persona",
    title: "A beneficiary's state aid (page 1, newest first)",
    notes: "By `id_persona`, as awards.",
    sql: `SELECT id_concesion, cod_concesion, convocante, reglamento, objetivo, instrumento, fecha_concesion, importe, ayuda_equivalente
FROM ayudas_estado
WHERE id_persona = :id_persona AND fecha_concesion IS NOT NULL AND removed_at IS NULL
ORDER BY fecha_concesion DESC, id_concesion DESC
LIMIT ${PAGE}`,
    example: { id_persona: 20000001 },
    index: "ayudas_estado_id_persona_fecha_concesion_id_concesion",
  },
];

export function readById(id: string): PortalRead {
  const read = PORTAL_READS.find((r) => r.id === id);
  if (!read) throw new Error(`no portal read ${id}`);
  return read;
}

export function sqlOf(read: PortalRead, dialect: StoreDialect): string {
  return typeof read.sql === "string" ? read.sql : read.sql[dialect];
}

export function indexOf(read: PortalRead, dialect: StoreDialect): string {
  return typeof read.index === "string" ? read.index : read.index[dialect];
}

/**
 * The read's SQL with each driver's placeholders (`?` for SQLite, `$n` for PostgreSQL), and its
 * parameters in order (a search's words as SQLite's FTS5 query). A parameter the SQL names and `values`
 * lacks is an error naming it.
 */
export function compileRead(read: PortalRead, dialect: StoreDialect, given: Record<string, unknown>): { text: string; params: unknown[] } {
  const values = read.words && dialect === "sqlite" && read.words in given ? { ...given, [read.words]: ftsMatch(String(given[read.words])) } : given;
  const params: unknown[] = [];
  const seen = new Map<string, number>();
  const text = sqlOf(read, dialect).replace(/(?<!:):([a-z_]+)/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`portal read ${read.id}: no value for :${name}`);
    if (dialect === "sqlite") {
      params.push(values[name]);
      return "?";
    }
    let n = seen.get(name);
    if (n === undefined) {
      params.push(values[name]);
      seen.set(name, (n = params.length));
    }
    return `$${n}`;
  });
  return { text, params };
}

/**
 * Words typed in a search box → SQLite FTS5's query: every word must match, each as a prefix (`ayuda`
 * finds `ayudas`; FTS5 has no Spanish stemmer), accents and case left to the tokenizer. Quotes make
 * each word a literal, so no character the user types is FTS5 syntax. Words of one or two letters are
 * matched whole (a prefix that short matches half the index).
 */
export function ftsMatch(text: string): string {
  return text
    .split(/\s+/)
    .map((w) => w.replace(/"/g, ""))
    .filter((w) => w.length > 0)
    .map((w) => (w.length > 2 ? `"${w}"*` : `"${w}"`))
    .join(" ");
}

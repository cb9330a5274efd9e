/**
 * `npm run bench store-reads` (issue 20): the portal's reads (src/adapters/store/portal-reads.ts) at
 * volume, on both databases, against the schema the store's migrations make:
 * - generated data at the issue's volumes: 100,000 convocatorias (2018–2026, ~2.8 KB details, facets,
 *   search), 225,000 documentos, 2,000,000 concesiones over 300,000 beneficiaries (a few with tens of
 *   thousands of awards, a tenth of them people behind 10,000 masked NIFs), 500,000 ayudas de estado,
 *   350,000 minimis; written in bulk by SQL (a recursive CTE on SQLite, generate_series on PostgreSQL,
 *   from the same integer hashes, so both hold the same rows), then the totals table rebuilt and the
 *   planner's statistics refreshed as the store does after a large sync;
 * - every read: p50 ≤ 10 ms (full-text search ≤ 20 ms), medians of 9 runs round-robin after 2 warm-ups,
 *   and its plan at volume (default settings) using the index the read names;
 * - storage: bytes per row of each table and its indexes, raw_json's share, and two ways to keep it
 *   smaller (PostgreSQL: lz4 with a low TOAST target; both: out of the hot table), measured on copies;
 * - PostgreSQL grown to 5 and 10 million concesiones (BENCH_STORE_GROWTH, e.g. `5000000,10000000`; `0`
 *   skips): how long generating takes and the award reads again (≤ 20 ms at 10 M).
 * BENCH_STORE_DBS=sqlite,postgres picks the databases; BENCH_STORE_AWARDS the concesiones (default 2 M);
 * BENCH_STORE_SCALE scales every volume (0.01: a try in seconds); BENCH_STORE_EXPLAIN=id,… prints those reads' plans as run.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { CompiledQuery } from "kysely";
import { compileRead, indexOf, PORTAL_READS, type PortalRead, type StoreDialect } from "../src/adapters/store/portal-reads.js";
import { openDatabase } from "../src/adapters/store/db.js";
import { Store } from "../src/adapters/store/store.js";
import { rebuildTotalsSql } from "../src/adapters/store/totals.js";
import { concesiones } from "../src/datasets/concesiones.js";
import { startPostgres } from "../test/support/postgres.js";
import { IN_INDEX_ORDER, readPlan } from "../test/support/read-plans.js";
import { report } from "./measure.js";

/** BENCH_STORE_SCALE (default 1) scales every volume: 0.01 tries the bench in seconds. */
const SCALE = Number(process.env.BENCH_STORE_SCALE ?? 1);
const CONVOCATORIAS = Math.round(100_000 * SCALE);
const DOCUMENTOS = Math.round(225_000 * SCALE);
const AYUDAS = Math.round(500_000 * SCALE);
const MINIMIS = Math.round(350_000 * SCALE);
const PERSONAS = Math.round(300_000 * SCALE);
const FIRST_CODE = 950_001; // codes cross 999999 → 1000000: text order is not number order
const TODAY = "2026-11-28";
const CHUNK = 250_000;
const SEARCH = new Set(["convocatorias-busqueda", "convocatorias-busqueda-total"]);
const AWARD_READS = new Set(["concesiones-nif", "concesiones-nif-total", "concesiones-persona", "beneficiario-ejercicios", "concesiones-convocatoria", "concesiones-convocatoria-total", "concesiones-ultimas", "concesiones-cambios", "concesiones-retiradas", "ranking-ejercicio"]);

const VOCAB = `ayudas subvenciones programa convocatoria línea extraordinaria anual bases plan proyectos actuaciones inversiones
  eficiencia energética rehabilitación viviendas edificios empresas pymes autónomos formación empleo digitalización innovación
  investigación cultura deporte agricultura ganadería pesca turismo comercio industria transporte movilidad sostenible juventud mayores
  igualdad cooperación desarrollo rural municipal local regional provincial insular comarcal asociaciones entidades fundaciones
  becas premios estudios doctorado universidad escuelas centros educativos sanidad salud dependencia discapacidad inclusión social
  vivienda alquiler jóvenes familias infancia mujer violencia género emprendimiento competitividad internacionalización exportación
  transformación ecológica agua residuos reciclaje economía circular biodiversidad forestal incendios prevención emergencias
  patrimonio histórico museos bibliotecas archivos música teatro cine danza artes escénicas festivales publicaciones
  medios comunicación telecomunicaciones conectividad banda ancha ciberseguridad inteligencia artificial datos ciencia tecnología
  hidrógeno renovable solar eólica autoconsumo almacenamiento vehículo eléctrico recarga infraestructuras carreteras ferrocarril
  puertos aeropuertos logística mercancías caminos regadío modernización explotaciones agrarias cooperativas alimentación calidad
  seguridad alimentaria consumo mercados abastos artesanía hostelería restauración ocio naturaleza senderos playas costas`.split(/\s+/).filter(Boolean);
const FILLER = "Primero. Beneficiarios. Podrán ser beneficiarias las personas físicas y jurídicas que cumplan los requisitos establecidos en las bases reguladoras. Segundo. Objeto. La presente convocatoria tiene por objeto la concesión de subvenciones en régimen de concurrencia competitiva. Tercero. Cuantía. El importe total asciende a la cantidad indicada en el extracto, con cargo a la aplicación presupuestaria correspondiente del ejercicio. Cuarto. Plazo de presentación de solicitudes. El plazo será de veinte días hábiles a contar desde el día siguiente al de la publicación del extracto en el diario oficial. Quinto. Otros datos. La documentación se presentará en la sede electrónica del órgano convocante. ".repeat(6);

/** SQL for one dialect: the same integers and dates, spelt as each database wants them. */
function dialectSql(d: StoreDialect) {
  const pg = d === "postgres";
  const A = [2654435761, 2246822519, 3266489917, 668265263, 374761393, 1103515245, 2891336453, 1597334677, 3812015801, 2024237689];
  const B = [12345, 67891, 13579, 24680, 11111, 22222, 33333, 44444, 55555, 66666];
  const h = (k: number) => `((g * ${A[k]} + ${B[k]}) % 4294967296)`;
  const u = (k: number) => `(${h(k)} / 4294967296.0)`;
  const int = (e: string) => (pg ? `floor(${e})::bigint` : `CAST((${e}) AS INTEGER)`);
  const txt = (e: string) => (pg ? `(${e})::text` : `CAST((${e}) AS TEXT)`);
  const addDays = (date: string, days: string) => (pg ? `((${date})::date + (${days})::integer)` : `date(${date}, '+' || (${days}) || ' days')`);
  const ts = (date: string, hour: number) => (pg ? `(((${date})::date)::timestamp + interval '${hour} hours') AT TIME ZONE 'UTC'` : `strftime('%Y-%m-%dT%H:%M:%fZ', ${date}, '+${hour} hours')`);
  const money = (e: string) => (pg ? `round((${e})::numeric, 2)` : `round(${e}, 2)`);
  const moneyText = (e: string) => (pg ? `round((${e})::numeric, 2)::text` : `printf('%.2f', ${e})`);
  const pad8 = (e: string) => (pg ? `lpad((${e})::text, 8, '0')` : `printf('%08d', ${e})`);
  const pad4 = (e: string) => (pg ? `lpad((${e})::text, 4, '0')` : `printf('%04d', ${e})`);
  const letter = (e: string) => (pg ? `chr(65 + ((${e}) % 21)::integer)` : `char(65 + ((${e}) % 21))`);
  const word = (k: number) => `(SELECT w FROM bench_vocab WHERE i = ${h(k)} % ${VOCAB.length})`;
  const series = (from: number, to: number, select: string) =>
    pg ? `${select.replace("FROM s", `FROM generate_series(${from}::bigint, ${to}::bigint) AS s(g)`)}` : `WITH RECURSIVE s(g) AS (SELECT ${from} UNION ALL SELECT g + 1 FROM s WHERE g < ${to}) ${select}`;
  const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
  /** Beneficiary p of 300,000, skewed: a few with tens of thousands of awards, most with a handful. */
  const persona = (k: number) => int(`${PERSONAS} * ${u(k)} * ${u(k)} * ${u(k)}`);
  const nif = (p: string) => `CASE WHEN (${p}) % 10 < 9 THEN 'B' || ${pad8(p)} ELSE '***' || ${pad4(`((${p}) * 7919) % 10000`)} || '**' END`;
  const name = (p: string) => `CASE WHEN (${p}) % 10 < 9 THEN 'EMPRESA ' || ${txt(p)} || ' SL' ELSE 'PERSONA ' || ${txt(p)} END`;
  return { pg, h, u, int, txt, addDays, ts, money, moneyText, pad8, letter, word, series, literal, persona, nif, name };
}

/** One statement per chunk of rows, timed. */
async function exec(store: Store, text: string): Promise<void> {
  await store.db.executeQuery(CompiledQuery.raw(text));
}

async function generate(store: Store, awards: { from: number; to: number }, withRest: boolean): Promise<Record<string, number>> {
  const s = dialectSql(store.dialect);
  const times: Record<string, number> = {};
  const timed = async (label: string, work: () => Promise<void>) => {
    const t0 = performance.now();
    await work();
    times[label] = (times[label] ?? 0) + (performance.now() - t0);
  };
  const chunks = async (label: string, from: number, to: number, build: (a: number, b: number) => string) => {
    for (let a = from; a <= to; a += CHUNK) {
      const b = Math.min(to, a + CHUNK - 1);
      await timed(label, () => exec(store, build(a, b)));
      process.stdout.write(`\r      ${store.dialect}: ${label} ${b.toLocaleString("en")} / ${to.toLocaleString("en")}   `);
    }
    process.stdout.write("\n");
  };

  if (withRest) {
    await exec(store, "CREATE TABLE IF NOT EXISTS bench_vocab (i integer PRIMARY KEY, w text NOT NULL)");
    await exec(store, `INSERT INTO bench_vocab (i, w) VALUES ${VOCAB.map((w, i) => `(${i}, ${s.literal(w)})`).join(", ")}`);
    // Convocatorias, codes in order of registration; a tenth with no solicitud dates (a free-text deadline).
    const fecha = s.addDays("'2018-01-01'", s.int(`g * 3250.0 / ${CONVOCATORIAS}`));
    const organo = s.int(`3000 * ${s.u(1)} * ${s.u(1)}`);
    const title = `'Ayudas para ' || ${s.word(2)} || ' ' || ${s.word(3)} || ' de ' || ${s.word(4)} || ' ' || ${s.word(5)} || ' en ' || ${s.word(6)} || ' ' || ${s.word(7)} || ' ' || ${s.txt("g")}`;
    const region = `CASE WHEN ${s.h(8)} % 3 = 0 THEN 'ES' ELSE 'ES' || ${s.txt(`1 + ${s.h(8)} % 7`)} || ${s.txt(`1 + ${s.h(9)} % 3`)} END`;
    await chunks("convocatorias", 1, CONVOCATORIAS, (a, b) =>
      s.series(
        a,
        b,
        `INSERT INTO convocatorias (bdns, id, descripcion, fecha_recepcion, nivel1, nivel2, nivel3, tipo_convocatoria, presupuesto_total, abierto, fecha_inicio_solicitud, fecha_fin_solicitud, detail_json, content_hash, first_seen_at, listed_at, last_fetched_at, last_changed_at, last_run_id, removed_at)
        SELECT ${s.txt(`${FIRST_CODE - 1} + g`)}, 5000000 + g, t, f,
          CASE o % 4 WHEN 0 THEN 'ESTADO' WHEN 1 THEN 'AUTONOMICA' WHEN 2 THEN 'LOCAL' ELSE 'OTROS' END, 'REGION ' || ${s.txt("o % 20")}, 'ORGANO ' || ${s.txt("o")},
          'Concurrencia competitiva - canónica', ${s.money(`${s.h(0)} % 100000000 / 100.0`)}, 0,
          CASE WHEN ${s.h(5)} % 10 = 0 THEN NULL ELSE ${s.addDays("f", `${s.h(5)} % 30`)} END,
          CASE WHEN ${s.h(5)} % 10 = 0 THEN NULL ELSE ${s.addDays("f", `${s.h(5)} % 30 + 15 + ${s.h(6)} % 90`)} END,
          ${s.pg ? "(" : ""}'{"id":' || ${s.txt("5000000 + g")} || ',"codigoBDNS":"' || ${s.txt(`${FIRST_CODE - 1} + g`)} || '","organo":{"nivel1":"AUTONOMICA","nivel2":"REGION ' || ${s.txt("o % 20")} || '","nivel3":"ORGANO ' || ${s.txt("o")} || '"},"descripcion":"' || t || '","fechaRecepcion":"' || ${s.txt("f")} || '","regiones":[{"descripcion":"' || r || ' - REGION"}],"sectores":[{"codigo":"' || ${s.letter(s.h(9))} || '","descripcion":"SECTOR"}],"anuncios":[{"texto":"' || substr(${s.literal(FILLER)}${s.pg ? "::text" : ""}, ${s.pg ? `(1 + ${s.h(7)} % 1000)::integer` : `1 + ${s.h(7)} % 1000`}, 2300) || '"}],"abierto":false}'${s.pg ? ")::jsonb" : ""},
          'h' || ${s.txt("g")}, ${s.ts("f", 9)}, ${s.ts("f", 9)}, ${s.ts(s.addDays("f", "1"), 10)},
          CASE WHEN g % 200 = 0 THEN ${s.ts("'2026-11-27'", 3)} ELSE ${s.ts(s.addDays("f", "1"), 10)} END, 'bench',
          CASE WHEN g % 200 = 0 THEN ${s.ts("'2026-11-27'", 3)} END
        FROM (SELECT g, ${fecha} AS f, ${organo} AS o, ${title} AS t, ${region} AS r FROM s) AS x`.replace("FROM (SELECT g,", "FROM (SELECT g,"),
      ),
    );
    // Their facets: a region (or all of Spain), one to three sectors, a beneficiary type.
    await timed("convocatoria_facetas", async () => {
      const from = `FROM convocatorias WHERE codigo IS NOT NULL`;
      const g = `(codigo - ${FIRST_CODE - 1})`;
      const hh = (k: number) => s.h(k).replace(/g \*/g, `${g} *`);
      await exec(store, `INSERT INTO convocatoria_facetas (bdns, faceta, valor, descripcion, fecha_recepcion) SELECT bdns, 'region', CASE WHEN ${hh(8)} % 3 = 0 THEN 'ES' ELSE 'ES' || ${s.txt(`1 + ${hh(8)} % 7`)} || ${s.txt(`1 + ${hh(9)} % 3`)} END, 'REGION', fecha_recepcion ${from}`);
      for (const k of [0, 1, 2]) {
        await exec(store, `INSERT INTO convocatoria_facetas (bdns, faceta, valor, descripcion, fecha_recepcion) SELECT bdns, 'sector', ${s.letter(`${hh(9)} + ${k * 7}`)}, 'SECTOR', fecha_recepcion ${from} AND ${hh(3)} % 3 >= ${k} ON CONFLICT DO NOTHING`);
      }
      await exec(store, `INSERT INTO convocatoria_facetas (bdns, faceta, valor, descripcion, fecha_recepcion) SELECT bdns, 'tipo_beneficiario', CASE ${hh(4)} % 3 WHEN 0 THEN 'PYM' WHEN 1 THEN 'GRA' ELSE 'PFN' END, 'TIPO', fecha_recepcion ${from}`);
    });
    await chunks("documentos", 1, DOCUMENTOS, (a, b) =>
      s.series(
        a,
        b,
        `INSERT INTO documentos (id, bdns, nombre_fic, descripcion, announced_size, dat_mod, dat_publicacion, sha256, stored_size, stored_path, stored_at, stored_dat_mod, first_seen_at, updated_at)
        SELECT ${s.txt("20000000 + g")}, ${s.txt(`${FIRST_CODE} + g % ${CONVOCATORIAS}`)}, 'Documento ' || ${s.txt("g")} || '.pdf', 'Documento de la convocatoria', 100000 + ${s.h(1)} % 900000, '2025-01-01', '2025-01-02',
          NULL, NULL, NULL, NULL, NULL, ${s.ts("'2025-01-02'", 9)}, ${s.ts("'2025-01-02'", 9)} FROM s`,
      ),
    );
  }

  // Concesiones: each of a convocatoria (skewed: the largest has ~2 % of all), of a beneficiary (skewed).
  const c = s.int(`${CONVOCATORIAS} * ${s.u(1)} * ${s.u(1)} * ${s.u(1)}`);
  await chunks("concesiones", awards.from, awards.to, (a, b) =>
    s.series(
      a,
      b,
      `INSERT INTO concesiones (id, cod_concesion, id_convocatoria, numero_convocatoria, convocatoria, nivel1, nivel2, nivel3, fecha_concesion, fecha_alta, id_persona, nif, beneficiario, instrumento, importe, ayuda_equivalente, url_br, tiene_proyecto, raw_json, content_hash, first_seen_at, last_seen_at, last_changed_at, removed_at, last_run_id)
      SELECT 100000000 + x.g, 'SB' || ${s.txt("100000000 + x.g")}, cv.id, cv.bdns, cv.descripcion, cv.nivel1, cv.nivel2, cv.nivel3, x.fc, x.fa, 20000000 + x.p, x.nif, x.name, 'SUBVENCIÓN Y ENTREGA DINERARIA SIN CONTRAPRESTACIÓN', x.imp, x.imp, 'https://boletin.ejemplo.es/bases.pdf', 0,
        ${s.pg ? "(" : ""}'{"id":' || ${s.txt("100000000 + x.g")} || ',"codConcesion":"SB' || ${s.txt("100000000 + x.g")} || '","fechaConcesion":"' || ${s.txt("x.fc")} || '","beneficiario":"' || x.nif || ' ' || x.name || '","instrumento":"SUBVENCIÓN Y ENTREGA DINERARIA SIN CONTRAPRESTACIÓN ","importe":' || ${s.moneyText("x.imp")} || ',"ayudaEquivalente":' || ${s.moneyText("x.imp")} || ',"urlBR":"https://boletin.ejemplo.es/bases.pdf","tieneProyecto":false,"numeroConvocatoria":"' || cv.bdns || '","idConvocatoria":' || ${s.txt("cv.id")} || ',"convocatoria":"' || cv.descripcion || '","descripcionCooficial":null,"nivel1":"' || cv.nivel1 || '","nivel2":"' || cv.nivel2 || '","nivel3":"' || cv.nivel3 || '","codigoInvente":null,"idPersona":' || ${s.txt("20000000 + x.p")} || ',"fechaAlta":"' || ${s.txt("x.fa")} || '"}'${s.pg ? ")::jsonb" : ""},
        'h' || ${s.txt("x.g")}, ${s.ts("x.fa", 9)}, ${s.ts("x.fa", 9)},
        CASE WHEN x.g % 300 = 0 THEN ${s.ts("'2026-11-27'", 4)} ELSE ${s.ts("x.fa", 10)} END, CASE WHEN x.g % 300 = 0 THEN ${s.ts("'2026-11-27'", 4)} END, 'bench'
      FROM (SELECT g, ${c} AS c, ${s.persona(2)} AS p, ${s.addDays("'2020-01-01'", `${s.h(3)} % 2520`)} AS fc, ${s.addDays(s.addDays("'2020-01-01'", `${s.h(3)} % 2520`), `${s.h(4)} % 30`)} AS fa,
              ${s.nif(s.persona(2))} AS nif, ${s.name(s.persona(2))} AS name, ${s.money(`${s.h(5)} % 5000000 / 100.0`)} AS imp FROM s) AS x
      JOIN convocatorias cv ON cv.codigo = ${FIRST_CODE} + x.c`,
    ),
  );
  await timed("totals", async () => {
    for (const decl of concesiones.feeds[0]!.table.totals!) {
      await exec(store, `DELETE FROM ${decl.table}`);
      await exec(store, rebuildTotalsSql(decl, "concesiones", store.dialect));
    }
  });

  if (withRest) {
    await chunks("ayudas_estado", 1, AYUDAS, (a, b) =>
      s.series(
        a,
        b,
        `INSERT INTO ayudas_estado (id_concesion, cod_concesion, id_convocatoria, id_persona, nif, beneficiario, convocante, reglamento, objetivo, instrumento, tipo_beneficiario, fecha_concesion, fecha_alta, importe, ayuda_equivalente, region, sectores, ayuda_estado, raw_json, content_hash, first_seen_at, last_seen_at, last_changed_at, last_run_id)
        SELECT 300000000 + g, 'SB' || ${s.txt("300000000 + g")}, 5000000 + ${s.h(1)} % ${CONVOCATORIAS}, 20000000 + ${s.persona(2)}, ${s.nif(s.persona(2))}, ${s.name(s.persona(2))}, 'ORGANO', 'REG (UE) 651/2014', 'ART. 38', 'SUBVENCIÓN', 'PYME',
          ${s.addDays("'2015-01-01'", `${s.h(3)} % 4300`)}, ${s.addDays("'2015-01-01'", `${s.h(3)} % 4300 + 5`)}, ${s.money(`${s.h(5)} % 5000000 / 100.0`)}, ${s.money(`${s.h(5)} % 5000000 / 200.0`)}, 'ES52', 'F#L', 'SA.10000',
          ${s.pg ? "(" : ""}'{"idConcesion":' || ${s.txt("300000000 + g")} || ',"convocante":"ORGANO","reglamento":"REG (UE) 651/2014","objetivo":"ART. 38","instrumento":"SUBVENCIÓN","tipoBeneficiario":"PYME","region":"ES52","sectores":"F#L"}'${s.pg ? ")::jsonb" : ""},
          'h', ${s.ts("'2025-01-02'", 9)}, ${s.ts("'2025-01-02'", 9)}, ${s.ts("'2025-01-02'", 9)}, 'bench' FROM s`,
      ),
    );
    await chunks("minimis", 1, MINIMIS, (a, b) =>
      s.series(
        a,
        b,
        `INSERT INTO minimis (id_concesion, codigo_concesion, id_convocatoria, numero_convocatoria, id_persona, nif, beneficiario, convocante, reglamento, sector_producto, instrumento, fecha_concesion, fecha_registro, sector_actividad, ayuda_equivalente, raw_json, content_hash, first_seen_at, last_seen_at, last_changed_at, last_run_id)
        SELECT 400000000 + g, 'SB' || ${s.txt("400000000 + g")}, 5000000 + ${s.h(1)} % ${CONVOCATORIAS}, ${s.txt(`${FIRST_CODE} + ${s.h(1)} % ${CONVOCATORIAS}`)}, 20000000 + ${s.persona(2)}, ${s.nif(s.persona(2))}, ${s.name(s.persona(2))}, 'ORGANO', 'REG (UE) 2831/2023', 'GENERAL', 'SUBVENCIÓN',
          ${s.addDays("'2015-01-01'", `${s.h(3)} % 4300`)}, ${s.addDays("'2015-01-01'", `${s.h(3)} % 4300 + 3`)}, 'F - CONSTRUCCIÓN', ${s.money(`${s.h(5)} % 2000000 / 100.0`)},
          ${s.pg ? "(" : ""}'{"idConcesion":' || ${s.txt("400000000 + g")} || ',"convocante":"ORGANO","reglamento":"REG (UE) 2831/2023"}'${s.pg ? ")::jsonb" : ""}, 'h', ${s.ts("'2025-01-02'", 9)}, ${s.ts("'2025-01-02'", 9)}, ${s.ts("'2025-01-02'", 9)}, 'bench' FROM s`,
      ),
    );
  }
  return times;
}

/** What the store does after a large sync, then (PostgreSQL) what autovacuum would do: visibility for index-only scans. */
async function settle(store: Store): Promise<number> {
  const t0 = performance.now();
  const tables = ["convocatorias", "convocatoria_facetas", "documentos", "concesiones", "beneficiarios_totales", "convocatorias_totales", "ayudas_estado", "minimis"];
  await store.refreshPlannerStats(tables);
  if (store.dialect === "postgres") await exec(store, `VACUUM (ANALYZE) ${tables.join(", ")}`);
  else await exec(store, "PRAGMA wal_checkpoint(TRUNCATE)");
  return performance.now() - t0;
}

/** Parameters from the data: the heaviest cases (the largest beneficiary, convocatoria, body). */
async function parameters(store: Store): Promise<Record<string, Record<string, unknown>>> {
  const one = async <T>(text: string) => (await store.db.executeQuery<T>(CompiledQuery.raw(text))).rows[0]!;
  const topPersona = await one<{ p: number; nif: string }>("SELECT id_persona AS p, nif FROM beneficiarios_totales GROUP BY id_persona, nif ORDER BY sum(concesiones) DESC LIMIT 1");
  const masked = await one<{ nif: string }>("SELECT nif FROM beneficiarios_totales WHERE nif LIKE '***%' GROUP BY nif ORDER BY sum(concesiones) DESC LIMIT 1");
  const topConv = await one<{ bdns: string; id: number }>("SELECT numero_convocatoria AS bdns, id_convocatoria AS id FROM concesiones WHERE id < 100050000 GROUP BY numero_convocatoria, id_convocatoria ORDER BY count(*) DESC LIMIT 1");
  const region = await one<{ r: string }>("SELECT valor AS r FROM convocatoria_facetas WHERE faceta = 'region' GROUP BY valor ORDER BY count(*) DESC LIMIT 1");
  const minimis = await one<{ p: number }>("SELECT id_persona AS p FROM minimis GROUP BY id_persona ORDER BY count(*) DESC LIMIT 1");
  const byRead: Record<string, Record<string, unknown>> = {
    "convocatorias-latest": {},
    convocatoria: { bdns: String(FIRST_CODE + CONVOCATORIAS / 2), today: TODAY },
    "convocatoria-documentos": { bdns: String(FIRST_CODE + CONVOCATORIAS / 2) },
    "convocatorias-abiertas": { today: TODAY },
    "convocatorias-busqueda": { q: "eficiencia energetica" },
    "convocatorias-busqueda-total": { q: "energetica" },
    "convocatorias-region-sector-ejercicio": { region: region.r, sector: "F", desde: "2025-01-01", hasta: "2026-01-01" },
    "convocatorias-organo": { organo: "ORGANO 0" },
    "convocatorias-cambios": { since: "2026-11-27T00:00:00.000Z" },
    "concesiones-nif": { nif: topPersona.nif },
    "concesiones-nif-total": { nif: masked.nif },
    "concesiones-persona": { id_persona: topPersona.p },
    "beneficiario-ejercicios": { id_persona: topPersona.p },
    "concesiones-convocatoria": { id_convocatoria: topConv.id },
    "concesiones-convocatoria-total": { bdns: topConv.bdns },
    "concesiones-ultimas": {},
    "concesiones-cambios": { since: "2026-11-27T00:00:00.000Z" },
    "concesiones-retiradas": { since: "2026-11-26T00:00:00.000Z" },
    "ranking-ejercicio": { ejercicio: 2025 },
    "minimis-tres-anios": { id_persona: minimis.p, desde: "2023-11-28" },
    "ayudas-estado-persona": { id_persona: topPersona.p },
  };
  return byRead;
}

/**
 * Every read (or those `only` names): 2 warm-ups, then 9 runs round-robin; median and p90 (ms), row
 * count, plan. On one connection, as a portal's pooled connection is once warm (a new PostgreSQL
 * connection plans its first queries slowly while it loads the catalog).
 */
async function measureReads(store: Store, params: Record<string, Record<string, unknown>>, only?: Set<string>) {
  const reads = PORTAL_READS.filter((r) => !only || only.has(r.id));
  const samples = new Map<string, number[]>(reads.map((r) => [r.id, []]));
  const rowsOf = new Map<string, number>();
  await store.db.connection().execute(async (conn) => {
    const run = async (read: PortalRead) => {
      const { text, params: p } = compileRead(read, store.dialect, params[read.id]!);
      const t0 = performance.now();
      const r = await conn.executeQuery(CompiledQuery.raw(text, p));
      const ms = performance.now() - t0;
      rowsOf.set(read.id, r.rows.length === 1 && Object.keys(r.rows[0] as object).length <= 3 ? Number(Object.values(r.rows[0] as object)[0]) : r.rows.length);
      return ms;
    };
    for (let i = 0; i < 2; i++) for (const read of reads) await run(read);
    for (let i = 0; i < 9; i++) for (const read of reads) samples.get(read.id)!.push(await run(read));
  });
  const out = [];
  for (const read of reads) {
    const s = samples.get(read.id)!.sort((a, b) => a - b);
    const plan = await readPlan(store, read, params[read.id]!);
    out.push({ read, p50: s[4]!, p90: s[8]!, rows: rowsOf.get(read.id)!, plan });
  }
  return out;
}

/** BENCH_STORE_EXPLAIN=id,id: those reads' plans as run (PostgreSQL: EXPLAIN ANALYZE, BUFFERS; SQLite: EXPLAIN QUERY PLAN). */
async function explain(store: Store, params: Record<string, Record<string, unknown>>): Promise<string[]> {
  const ids = (process.env.BENCH_STORE_EXPLAIN ?? "").split(",").filter(Boolean);
  const lines: string[] = [];
  for (const read of PORTAL_READS.filter((r) => ids.includes(r.id))) {
    const { text, params: p } = compileRead(read, store.dialect, params[read.id]!);
    const r = await store.db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(`${store.dialect === "postgres" ? "EXPLAIN (ANALYZE, BUFFERS)" : "EXPLAIN QUERY PLAN"} ${text}`, p));
    lines.push(`${store.dialect} ${read.id}:`, ...r.rows.map((row) => String(row["QUERY PLAN"] ?? row.detail)));
  }
  return lines;
}

async function storage(store: Store): Promise<string[]> {
  const lines: string[] = [];
  const q = async <T>(text: string) => (await store.db.executeQuery<T>(CompiledQuery.raw(text))).rows;
  const count = async (t: string) => Number((await q<{ n: number }>(`SELECT count(*) AS n FROM ${t}`))[0]!.n);
  for (const t of ["convocatorias", "documentos", "concesiones", "ayudas_estado", "minimis", "beneficiarios_totales", "convocatorias_totales", "convocatoria_facetas"]) {
    const n = await count(t);
    let table: number;
    let indexes: number;
    let raw = 0;
    if (store.dialect === "sqlite") {
      const sizes = await q<{ name: string; tbl: string; bytes: number }>(`SELECT d.name, m.tbl_name AS tbl, sum(d.pgsize) AS bytes FROM dbstat d JOIN sqlite_master m ON m.name = d.name WHERE m.tbl_name = '${t}' GROUP BY d.name`);
      table = sizes.filter((x) => x.name === t).reduce((a, x) => a + Number(x.bytes), 0);
      indexes = sizes.filter((x) => x.name !== t).reduce((a, x) => a + Number(x.bytes), 0);
      if (t === "convocatorias") {
        const fts = await q<{ bytes: number }>(`SELECT sum(pgsize) AS bytes FROM dbstat WHERE name LIKE 'convocatorias_fts%'`);
        indexes += Number(fts[0]?.bytes ?? 0);
      }
      const json = t === "convocatorias" ? "detail_json" : ["documentos", "beneficiarios_totales", "convocatorias_totales", "convocatoria_facetas"].includes(t) ? "" : "raw_json";
      if (json) raw = Number((await q<{ b: number }>(`SELECT avg(length(CAST(${json} AS BLOB))) AS b FROM ${t}`))[0]!.b);
    } else {
      const r = (await q<{ t: number; i: number }>(`SELECT pg_table_size('${t}') AS t, pg_indexes_size('${t}') AS i`))[0]!;
      table = Number(r.t);
      indexes = Number(r.i);
      const json = t === "convocatorias" ? "detail_json" : ["documentos", "beneficiarios_totales", "convocatorias_totales", "convocatoria_facetas"].includes(t) ? "" : "raw_json";
      if (json) raw = Number((await q<{ b: number }>(`SELECT avg(pg_column_size(${json})) AS b FROM ${t}`))[0]!.b);
    }
    lines.push(`${t}: ${n.toLocaleString("en")} rows, ${(table / n).toFixed(0)} B/row table + ${(indexes / n).toFixed(0)} B/row indexes${raw ? `; JSON ${raw.toFixed(0)} B/row stored (${((raw / (table / n)) * 100).toFixed(0)} % of the table)` : ""}`);
  }
  return lines;
}

/** The schema before the portal's migrations: main's last one before them. */
const BEFORE_PORTAL = "0010_bdns_budget_sharers";

/**
 * Bytes per concesiones row before and after the portal's migrations, on the same rows: a copy of (up
 * to) 200,000 of them laid out as schema 0010 made the table (its column types, and its indexes, read
 * from a store migrated that far at `scratchUrl`) and a copy as the table is now (types and indexes as
 * they are). PostgreSQL's jsonb is turned back into compact JSON text, as the old store kept it.
 */
async function storageBeforeAfter(store: Store, scratchUrl: string): Promise<string[]> {
  const q = async <T>(text: string) => (await store.db.executeQuery<T>(CompiledQuery.raw(text))).rows;
  const rows = Math.min(200_000, Number((await q<{ n: number }>("SELECT count(*) AS n FROM concesiones"))[0]!.n));
  const pg = store.dialect === "postgres";
  const old = await openDatabase(scratchUrl, { upTo: BEFORE_PORTAL });
  const oq = async <T>(text: string) => (await old.db.executeQuery<T>(CompiledQuery.raw(text))).rows;
  const oldIndexes = pg
    ? (await oq<{ def: string }>("SELECT indexdef AS def FROM pg_indexes WHERE tablename = 'concesiones'")).map((r) => r.def)
    : (await oq<{ def: string }>("SELECT sql AS def FROM sqlite_master WHERE type = 'index' AND tbl_name = 'concesiones' AND sql IS NOT NULL")).map((r) => r.def);
  const oldTypes = pg ? new Map((await oq<{ c: string; t: string }>("SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_name = 'concesiones'")).map((r) => [r.c, r.t])) : new Map<string, string>();
  const oldPk = pg ? [] : (await oq<{ name: string }>("SELECT name FROM pragma_table_info('concesiones') WHERE pk > 0 ORDER BY pk")).map((r) => r.name);
  await old.db.destroy();
  const nowIndexes = pg
    ? (await q<{ def: string }>("SELECT indexdef AS def FROM pg_indexes WHERE tablename = 'concesiones'")).map((r) => r.def)
    : (await q<{ def: string }>("SELECT sql AS def FROM sqlite_master WHERE type = 'index' AND tbl_name = 'concesiones' AND sql IS NOT NULL")).map((r) => r.def);
  const columns = pg
    ? (await q<{ c: string; t: string }>("SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_name = 'concesiones' ORDER BY ordinal_position")).map((r) => ({ name: r.c, type: r.t }))
    : (await q<{ name: string; type: string }>("SELECT name, type FROM pragma_table_info('concesiones')")).map((r) => ({ name: r.name, type: r.type }));
  /** A column as schema 0010 held it. */
  const asBefore = (c: { name: string; type: string }) => {
    const was = oldTypes.get(c.name);
    if (!pg || !was || was === c.type) return c.name;
    if (c.type === "jsonb") return `regexp_replace(regexp_replace(${c.name}::text, '": ', '":', 'g'), '("|[0-9]|null|true|false|[]}]), "', '\\1,"', 'g') AS ${c.name}`;
    if (c.type.startsWith("timestamp")) return `to_char(${c.name} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${c.name}`;
    return `${c.name}::${was} AS ${c.name}`;
  };
  const copy = async (name: string, select: string, indexes: string[]) => {
    await exec(store, `CREATE TABLE ${name} AS SELECT ${select} FROM concesiones ORDER BY id LIMIT ${rows}`);
    for (const def of indexes) await exec(store, def.replace(/INDEX (\S+) ON (public\.)?"?concesiones"?/i, (_m, n: string) => `INDEX ${name}_${n.replace(/"/g, "")} ON ${name}`));
  };
  const bytes = async (name: string) => {
    if (pg) {
      const r = (await q<{ t: number; i: number; row: number }>(`SELECT pg_table_size('${name}') AS t, pg_indexes_size('${name}') AS i, (SELECT avg(pg_column_size(x.*)) FROM ${name} x) AS row`))[0]!;
      return { table: Number(r.t) / rows, indexes: Number(r.i) / rows, row: Number(r.row) };
    }
    const sizes = await q<{ name: string; bytes: number }>(`SELECT name, sum(pgsize) AS bytes FROM dbstat WHERE name = '${name}' OR name LIKE '${name}!_%' ESCAPE '!' GROUP BY name`);
    return { table: sizes.filter((x) => x.name === name).reduce((a, x) => a + Number(x.bytes), 0) / rows, indexes: sizes.filter((x) => x.name !== name).reduce((a, x) => a + Number(x.bytes), 0) / rows, row: undefined };
  };
  // SQLite's copies get the key's index by hand (CREATE TABLE AS has none); PostgreSQL's come with the pkey's definition.
  const pk = (name: string, keys: string[]) => (keys.length ? [`CREATE UNIQUE INDEX ${name}_pk ON concesiones (${keys.join(", ")})`] : []);
  await copy("bench_before", columns.map(asBefore).join(", "), [...pk("k", oldPk), ...oldIndexes]);
  await copy("bench_after", "*", [...pk("k", pg ? [] : ["id"]), ...nowIndexes]);
  const before = await bytes("bench_before");
  const after = await bytes("bench_after");
  for (const t of ["bench_before", "bench_after"]) await exec(store, `DROP TABLE ${t}`);
  // PostgreSQL fills a page with whole rows: ~1.2 KB rows a few bytes apart can take the same pages; the row itself says the rest.
  const kb = (b: { table: number; indexes: number; row: number | undefined }) => `${b.table.toFixed(0)} B table + ${b.indexes.toFixed(0)} B indexes = ${(b.table + b.indexes).toFixed(0)} B${b.row ? ` (the row itself ${b.row.toFixed(0)} B)` : ""}`;
  return [
    `concesiones per row before the portal's migrations (schema ${BEFORE_PORTAL}: ${oldIndexes.length + (pg ? 0 : oldPk.length ? 1 : 0)} indexes${pg ? ", text dates and times, float amounts, JSON text" : ""}): ${kb(before)}`,
    `concesiones per row after (${nowIndexes.length + (pg ? 0 : 1)} indexes${pg ? ", date, timestamptz, numeric, jsonb" : ""}): ${kb(after)} (on the same ${rows.toLocaleString("en")} rows)`,
  ];
}

/** raw_json kept smaller: measured on a copy of (up to) 200,000 concesiones rows. */
async function rawJsonOptions(store: Store): Promise<string[]> {
  const lines: string[] = [];
  const q = async <T>(text: string) => (await store.db.executeQuery<T>(CompiledQuery.raw(text))).rows;
  const rows = Math.min(200_000, Number((await q<{ n: number }>("SELECT count(*) AS n FROM concesiones"))[0]!.n));
  lines.push(...(await compressedInTheApp(store)));
  if (store.dialect === "postgres") {
    const size = async (t: string) => Number((await q<{ s: number }>(`SELECT pg_table_size('${t}') AS s`))[0]!.s) / rows;
    await exec(store, `CREATE TABLE bench_copy_plain (LIKE concesiones)`);
    await exec(store, `INSERT INTO bench_copy_plain SELECT * FROM concesiones ORDER BY id LIMIT ${rows}`);
    const lz4 = (await q<{ ok: boolean }>("SELECT count(*) > 0 AS ok FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"))[0]!.ok;
    await exec(store, `CREATE TABLE bench_copy_small (LIKE concesiones) WITH (toast_tuple_target = 128)`);
    await exec(store, `ALTER TABLE bench_copy_small ALTER COLUMN raw_json SET COMPRESSION ${lz4 ? "lz4" : "pglz"}`);
    await exec(store, `INSERT INTO bench_copy_small SELECT * FROM concesiones ORDER BY id LIMIT ${rows}`);
    await exec(store, `CREATE TABLE bench_copy_hot AS SELECT * FROM concesiones ORDER BY id LIMIT ${rows}`);
    await exec(store, `ALTER TABLE bench_copy_hot DROP COLUMN raw_json`);
    await exec(store, `VACUUM FULL bench_copy_hot`);
    await exec(store, `CREATE TABLE bench_copy_raw AS SELECT id, raw_json FROM concesiones ORDER BY id LIMIT ${rows}`);
    await exec(store, `CREATE TABLE bench_copy_text AS SELECT * FROM concesiones ORDER BY id LIMIT ${rows}`);
    await exec(store, `ALTER TABLE bench_copy_text ALTER COLUMN raw_json TYPE text`);
    const plain = await size("bench_copy_plain");
    const small = await size("bench_copy_small");
    const t0 = performance.now();
    await q("SELECT sum(length(raw_json::text)) FROM bench_copy_small");
    const readSmall = performance.now() - t0;
    const t1 = performance.now();
    await q("SELECT sum(length(raw_json::text)) FROM bench_copy_plain");
    const readPlain = performance.now() - t1;
    lines.push(`raw_json as is: ${plain.toFixed(0)} B/row (table); ${lz4 ? "lz4" : "pglz"} with toast_tuple_target = 128: ${small.toFixed(0)} B/row (${(((plain - small) / plain) * 100).toFixed(0)} % smaller; reading every raw_json of ${rows.toLocaleString("en")} rows ${readPlain.toFixed(0)} → ${readSmall.toFixed(0)} ms)`);
    lines.push(`(PostgreSQL compresses a value only in a row over ~2 KB, TOAST_TUPLE_THRESHOLD: toast_tuple_target below it changes nothing for ~1 KB award rows)`);
    lines.push(`raw_json as text instead of jsonb: ${(await size("bench_copy_text")).toFixed(0)} B/row`);
    lines.push(`raw_json out of the hot table: hot ${(await size("bench_copy_hot")).toFixed(0)} B/row + side table (id, raw_json) ${(await size("bench_copy_raw")).toFixed(0)} B/row`);
    for (const t of ["bench_copy_plain", "bench_copy_small", "bench_copy_hot", "bench_copy_raw", "bench_copy_text"]) await exec(store, `DROP TABLE ${t}`);
  } else {
    const bytes = async (t: string) => Number((await q<{ b: number }>(`SELECT sum(pgsize) AS b FROM dbstat WHERE name = '${t}'`))[0]!.b) / rows;
    await exec(store, `CREATE TABLE bench_copy_plain AS SELECT * FROM concesiones ORDER BY id LIMIT ${rows}`);
    await exec(store, `CREATE TABLE bench_copy_hot AS SELECT id, cod_concesion, id_convocatoria, numero_convocatoria, convocatoria, descripcion_cooficial, nivel1, nivel2, nivel3, codigo_invente, fecha_concesion, fecha_alta, id_persona, nif, beneficiario, instrumento, importe, ayuda_equivalente, url_br, tiene_proyecto, content_hash, first_seen_at, last_seen_at, last_changed_at, removed_at, last_run_id FROM concesiones ORDER BY id LIMIT ${rows}`);
    await exec(store, `CREATE TABLE bench_copy_raw AS SELECT id, raw_json FROM concesiones ORDER BY id LIMIT ${rows}`);
    lines.push(`raw_json as is: ${(await bytes("bench_copy_plain")).toFixed(0)} B/row (SQLite stores text uncompressed); out of the hot table: hot ${(await bytes("bench_copy_hot")).toFixed(0)} B/row + side table ${(await bytes("bench_copy_raw")).toFixed(0)} B/row`);
    for (const t of ["bench_copy_plain", "bench_copy_hot", "bench_copy_raw"]) await exec(store, `DROP TABLE ${t}`);
  }
  return lines;
}

/**
 * raw_json compressed by the store itself (deflate, with and without a dictionary of what award rows
 * share: keys, instrument names), as neither database compresses a ~1 KB value: bytes per row, and
 * what decoding one costs. On 20,000 rows; the generated rows repeat more than BDNS's do, so this is
 * an upper bound of the gain.
 */
async function compressedInTheApp(store: Store): Promise<string[]> {
  const texts = (await store.db.executeQuery<{ j: string }>(CompiledQuery.raw("SELECT raw_json AS j FROM concesiones ORDER BY id LIMIT 20000"))).rows.map((r) => Buffer.from(String(r.j)));
  if (texts.length === 0) return [];
  const dictionary = Buffer.concat(texts.slice(0, 40)).subarray(0, 4096);
  const avg = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  const plain = avg(texts.map((t) => t.length));
  const deflated = texts.map((t) => deflateRawSync(t));
  const withDict = texts.map((t) => deflateRawSync(t, { dictionary }));
  const t0 = performance.now();
  for (const z of withDict) inflateRawSync(z, { dictionary });
  const decodeUs = ((performance.now() - t0) * 1000) / withDict.length;
  const pct = (n: number) => `${(((plain - n) / plain) * 100).toFixed(0)} % smaller`;
  return [
    `raw_json compressed by the store (${texts.length.toLocaleString("en")} rows): ${plain.toFixed(0)} B as text → deflate ${avg(deflated.map((z) => z.length)).toFixed(0)} B (${pct(avg(deflated.map((z) => z.length)))}), deflate with a 4 KB dictionary of award rows ${avg(withDict.map((z) => z.length)).toFixed(0)} B (${pct(avg(withDict.map((z) => z.length)))}); decoding one ${decodeUs.toFixed(1)} µs`,
  ];
}

function show(results: Awaited<ReturnType<typeof measureReads>>, dialect: StoreDialect, label: string, limitFor: (id: string) => number): boolean {
  let ok = true;
  for (const r of results) {
    const want = indexOf(r.read, dialect);
    const planOk = r.plan.indexes.includes(want) && r.plan.scans.length === 0 && (!IN_INDEX_ORDER.includes(r.read.id) || r.plan.sorts.length === 0);
    const limit = limitFor(r.read.id);
    ok =
      report(`${label} ${r.read.id}`, `p50 ${r.p50.toFixed(2)} ms (p90 ${r.p90.toFixed(1)}), ${r.rows.toLocaleString("en")} rows`, `≤ ${limit} ms`, r.p50 <= limit) && ok;
    if (!planOk) ok = report(`${label} ${r.read.id}: plan`, `${r.plan.indexes.join(", ") || "no index"}${r.plan.scans.length ? `; full scan of ${r.plan.scans.join(", ")}` : ""}${r.plan.sorts.length ? `; ${r.plan.sorts.join(", ")}` : ""}`, want, false) && ok;
  }
  return ok;
}

async function benchOne(dialect: StoreDialect, url: string, scratchUrl: string, awards: number, growth: number[]): Promise<boolean> {
  console.log(`\n### ${dialect}: generating (load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")})`);
  const store = await Store.open(url);
  let ok = true;
  try {
    if (dialect === "postgres") {
      // The throwaway server's defaults checkpoint every 1 GB of WAL: a bulk load of gigabytes spends its
      // time there. Fewer checkpoints while generating; the reads are unaffected.
      await exec(store, "ALTER SYSTEM SET max_wal_size = '16GB'");
      await exec(store, "ALTER SYSTEM SET checkpoint_timeout = '30min'");
      await exec(store, "SELECT pg_reload_conf()");
    }
    const t0 = performance.now();
    const times = await generate(store, { from: 1, to: awards }, true);
    const settleMs = await settle(store);
    console.log(`      generated in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${Object.entries(times).map(([k, v]) => `${k} ${(v / 1000).toFixed(0)} s`).join(", ")}; statistics${dialect === "postgres" ? " + VACUUM" : ""} ${(settleMs / 1000).toFixed(1)} s`);
    const params = await parameters(store);
    console.log(`      reads (load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")})`);
    ok = show(await measureReads(store, params), dialect, `${dialect} ${(awards / 1e6).toFixed(0)}M`, (id) => (SEARCH.has(id) ? 20 : 10)) && ok;
    for (const line of await explain(store, params)) console.log(`      ${line}`);
    for (const line of await storage(store)) console.log(`      storage ${dialect}: ${line}`);
    if (dialect === "sqlite") console.log(`      storage ${dialect}: file ${(statSync(store.location).size / 2 ** 30).toFixed(2)} GiB`);
    for (const line of await storageBeforeAfter(store, scratchUrl)) console.log(`      storage ${dialect}: ${line}`);
    for (const line of await rawJsonOptions(store)) console.log(`      ${dialect}: ${line}`);
    let have = awards;
    for (const target of growth) {
      const g0 = performance.now();
      await generate(store, { from: have + 1, to: target }, false);
      const genMs = performance.now() - g0;
      const sMs = await settle(store);
      have = target;
      console.log(`      grown to ${(target / 1e6).toFixed(0)} M concesiones: generating ${(genMs / 1000).toFixed(0)} s, statistics + VACUUM ${(sMs / 1000).toFixed(0)} s (load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")})`);
      ok = show(await measureReads(store, await parameters(store), AWARD_READS), dialect, `${dialect} ${(target / 1e6).toFixed(0)}M`, () => (target >= 10_000_000 ? 20 : 10)) && ok;
    }
  } finally {
    await store.close();
  }
  return ok;
}

export async function benchStoreReads(): Promise<boolean> {
  const dbs = (process.env.BENCH_STORE_DBS ?? "sqlite,postgres").split(",");
  const awards = Number(process.env.BENCH_STORE_AWARDS ?? Math.round(2_000_000 * SCALE));
  const growth = (process.env.BENCH_STORE_GROWTH ?? "5000000,10000000").split(",").map(Number).filter((n) => n > awards);
  let ok = true;
  if (dbs.includes("sqlite")) {
    const dir = mkdtempSync(join(os.tmpdir(), "ayida-bench-reads-"));
    try {
      ok = (await benchOne("sqlite", join(dir, "reads.db"), join(dir, "before.db"), awards, [])) && ok;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (dbs.includes("postgres")) {
    const pg = await startPostgres();
    try {
      ok = (await benchOne("postgres", await pg.createDatabase(), await pg.createDatabase(), awards, growth)) && ok;
    } finally {
      await pg.stop();
    }
  }
  return ok;
}

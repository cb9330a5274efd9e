/**
 * The loopback BDNS's ten other datasets (test/support/bdns-datasets.ts), over real HTTP: the shapes
 * of the samples, the registration window's exclusive bound, paging, 204s and 400s, tree shuffling,
 * noise that changes bytes and not identity, repeats across pages, mutations, faults, the request log,
 * and flat memory over a 1,000,000-row concesiones.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import { afterEach, describe, expect, it } from "vitest";
import { canonicalHash } from "../../src/datasets/canonical.js";
import { ayudasEstado } from "../../src/datasets/ayudas-estado.js";
import { concesiones } from "../../src/datasets/concesiones.js";
import { grandesBeneficiarios } from "../../src/datasets/grandes-beneficiarios.js";
import { minimis } from "../../src/datasets/minimis.js";
import { partidosPoliticos } from "../../src/datasets/partidos-politicos.js";
import type { DatasetDeclaration } from "../../src/datasets/types.js";
import { documentBytes, startFakeBdns, type FakeBdns } from "../support/bdns-server.js";
import {
  AMBITOS,
  CATALOGS,
  countRequests,
  ID_ADMON,
  isoDay,
  epochDay,
  makeDatasetsFixture,
  minimumRequests,
  planDocumentIds,
  planDocumentSize,
  requestMatches,
  shuffleTree,
  toBdnsDay,
  type DatasetsFixture,
  type DatasetsFixtureOptions,
  type RowSource,
  type TreeNode,
} from "../support/bdns-datasets.js";

const samples = resolve(import.meta.dirname, "../fixtures/bdns-samples");
const sample = (name: string) => JSON.parse(readFileSync(resolve(samples, `${name}.json`), "utf8")) as Record<string, unknown>;

let bdns: FakeBdns | undefined;
afterEach(async () => {
  await bdns?.close();
  bdns = undefined;
});

async function serve(o: DatasetsFixtureOptions = {}, server: { minGapMs?: number } = {}): Promise<DatasetsFixture> {
  const fx = makeDatasetsFixture(o);
  bdns = await startFakeBdns({ datasets: fx, ...server });
  return fx;
}

interface Answer {
  status: number;
  type: string | null;
  length: string | null;
  bytes: Buffer;
  text: string;
  json: <T = any>() => T;
}

async function get(path: string, params: Record<string, string | number> = {}): Promise<Answer> {
  const q = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
  const r = await fetch(`${bdns!.url}${path}${q ? `?${q}` : ""}`);
  const bytes = Buffer.from(await r.arrayBuffer());
  const text = bytes.toString("utf8");
  return { status: r.status, type: r.headers.get("content-type"), length: r.headers.get("content-length"), bytes, text, json: () => JSON.parse(text) };
}

interface Page<T = Record<string, any>> {
  content: T[];
  totalPages: number;
  totalElements: number;
  number: number;
  size: number;
  first: boolean;
  last: boolean;
  numberOfElements: number;
  empty: boolean;
}

async function page<T = Record<string, any>>(path: string, params: Record<string, string | number>): Promise<Page<T>> {
  const a = await get(path, params);
  expect(a.status, a.text.slice(0, 200)).toBe(200);
  return a.json<Page<T>>();
}

/** Every page of a query, read as a client does: page 0 tells totalPages. */
async function readAll<T = Record<string, any>>(path: string, params: Record<string, string | number>, pageSize: number): Promise<{ rows: T[]; pages: Array<Page<T>> }> {
  const pages: Array<Page<T>> = [await page<T>(path, { ...params, page: 0, pageSize })];
  for (let p = 1; p < pages[0]!.totalPages; p++) pages.push(await page<T>(path, { ...params, page: p, pageSize }));
  return { rows: pages.flatMap((p) => p.content), pages };
}

/** A value's shape: keys in order (objects), the first element's shape (arrays), the type otherwise. */
function shapeOf(v: unknown): unknown {
  if (v === null) return "null";
  if (Array.isArray(v)) return v.length ? ["array", shapeOf(v[0])] : ["array"];
  if (typeof v === "object") return Object.keys(v as object);
  return typeof v;
}

/** Rows agree with the sample's rows: same keys in the same order; each field of a type the sample shows (or null where it shows null). */
function expectSameRowShape(rows: Array<Record<string, unknown>>, sampleRows: Array<Record<string, unknown>>) {
  expect(rows.length).toBeGreaterThan(0);
  const keys = Object.keys(sampleRows[0]!);
  const types = (xs: Array<Record<string, unknown>>, k: string) => new Set(xs.map((r) => (r[k] === null ? "null" : typeof r[k])));
  for (const row of rows) expect(Object.keys(row)).toEqual(keys);
  for (const k of keys) {
    const expected = types(sampleRows, k);
    const seen = types(rows, k);
    // A field the sample only shows as null may carry any value; otherwise its types are the sample's.
    if (expected.size === 1 && expected.has("null")) continue;
    for (const t of seen) expect(t === "null" ? ["null", ...expected] : [...expected], `${k}: ${t}`).toContain(t);
  }
}

type Sized = Pick<RowSource<object>, "size">;

const WINDOWED = [
  { name: "concesiones", path: "/concesiones/busqueda", sample: "concesiones", date: "fechaAlta", id: "id", order: "codConcesion", src: (fx: DatasetsFixture): Sized => fx.concesiones },
  { name: "ayudas de estado", path: "/ayudasestado/busqueda", sample: "ayudas-estado", date: "fechaAlta", id: "idConcesion", order: "codConcesion", src: (fx: DatasetsFixture): Sized => fx.ayudasEstado },
  { name: "minimis", path: "/minimis/busqueda", sample: "minimis", date: "fechaRegistro", id: "idConcesion", order: "fechaRegistro", src: (fx: DatasetsFixture): Sized => fx.minimis },
] as const;

/** A week whose days hold different numbers of rows, one of them none. */
const week = { from: "2026-09-01", to: "2026-09-07", rowsPerDay: (d: string) => (d === "2026-09-05" ? 0 : 5 + Number(d.slice(8))) };
const weekOptions: DatasetsFixtureOptions = { concesiones: week, ayudasEstado: week, minimis: week };
const days = Array.from({ length: 7 }, (_, k) => isoDay(epochDay("2026-09-01") + k));
const nextDay = (d: string) => isoDay(epochDay(d) + 1);
const windowOf = (from: string, toExclusive: string) => ({ fechaRegInicio: toBdnsDay(from), fechaRegFin: toBdnsDay(toExclusive) });

describe("shapes: every endpoint answers as its sample shows", () => {
  it("the paged award datasets: the Spring Page envelope and rows field for field", async () => {
    const fx = await serve(weekOptions);
    for (const w of [...WINDOWED, { path: "/partidospoliticos/busqueda", sample: "partidos-politicos", src: (f: DatasetsFixture): Sized => f.partidosPoliticos }]) {
      const s = sample(w.sample) as { content: Array<Record<string, unknown>> } & Record<string, unknown>;
      const all = await page(w.path, { page: 0, pageSize: 500 });
      expect(Object.keys(all), w.path).toEqual(Object.keys(s));
      expect(shapeOf(all.content[0]), w.path).toEqual(shapeOf(s.content[0]));
      expect((all as unknown as { pageable: unknown }).pageable).toEqual({ sort: { empty: false, sorted: true, unsorted: false }, offset: 0, pageNumber: 0, pageSize: 500, paged: true, unpaged: false });
      expect(all.totalElements).toBe(w.src(fx).size);
      expectSameRowShape(all.content, s.content);
    }
  });

  it("concesiones: codConcesion is SB + id; ayudas de estado's sectores #-joined `code - desc`; minimis' sectorActividad `; `-joined with a label holding `;`", async () => {
    await serve(weekOptions);
    const c = (await page("/concesiones/busqueda", { pageSize: 200 })).content;
    expect(c.every((r) => r.codConcesion === `SB${r.id}`)).toBe(true);
    const a = (await page("/ayudasestado/busqueda", { pageSize: 200 })).content;
    expect(a.some((r) => r.sectores.includes("#"))).toBe(true);
    expect(a.every((r) => (r.sectores as string).split("#").every((e) => /^\d{2}\.\d - \S/.test(e)))).toBe(true);
    const m = (await page("/minimis/busqueda", { pageSize: 200 })).content;
    expect(m.some((r) => /; \d{2}\.\d - /.test(r.sectorActividad))).toBe(true);
    expect(m.some((r) => r.sectorActividad.includes("defensa; Seguridad Social"))).toBe(true);
  });

  it("grandes beneficiarios, sanciones, planes estratégicos (busqueda, detail, vigencia)", async () => {
    await serve();
    const gb = sample("grandes-beneficiarios");
    expect((await get("/grandesbeneficiarios/anios")).json()).toEqual([2023, 2024, 2025].map((y) => ({ id: y, descripcion: y })));
    expect(shapeOf((await get("/grandesbeneficiarios/anios")).json()[0])).toEqual(shapeOf((gb["/grandesbeneficiarios/anios"] as unknown[])[0]));
    const years = await page("/grandesbeneficiarios/busqueda", { anios: 2024, pageSize: 100 });
    expectSameRowShape(years.content, (gb["/grandesbeneficiarios/busqueda?anios=2025"] as { content: Array<Record<string, unknown>> }).content);
    expect(years.content.every((r) => r.ejercicio === 2024)).toBe(true);

    const sanciones = await page("/sanciones/busqueda", { pageSize: 100 });
    expectSameRowShape(sanciones.content, (sample("sanciones") as { content: Array<Record<string, unknown>> }).content);
    expect(Object.keys(sanciones.content[0]!)).toHaveLength(14);

    const pe = sample("planes-estrategicos");
    const plans = await page("/planesestrategicos/busqueda", { pageSize: 100, order: "descripcion", direccion: "asc" });
    expectSameRowShape(plans.content, (pe["/planesestrategicos/busqueda"] as { content: Array<Record<string, unknown>> }).content);
    const withDocs = plans.content.find((p) => p.id === 3103)!;
    const detail = (await get("/planesestrategicos", { idPES: withDocs.id })).json();
    const sampleDetail = pe["/planesestrategicos?idPES=3107"] as Record<string, unknown>;
    expect(Object.keys(detail)).toEqual(Object.keys(sampleDetail));
    expect(detail).not.toHaveProperty("id");
    expect(Array.isArray(detail.ambitos)).toBe(true);
    expect(detail.documentos.length).toBeGreaterThan(0);
    expect(shapeOf(detail.documentos[0])).toEqual(shapeOf((sampleDetail.documentos as unknown[])[0]));
    const vigencia = (await get("/planesestrategicos/vigencia")).json();
    expect(Object.keys(vigencia)).toEqual(["vigDesde", "vigHasta"]);
    expect(vigencia.vigDesde[0]).toEqual({ id: 2020, descripcion: 2020 });
  });

  it("catalogs as arrays of {id, descripcion}, descripcion first where the sample has it, trailing spaces kept, reglamentos' id 0", async () => {
    await serve();
    const cat = sample("catalogos");
    for (const name of CATALOGS) {
      const list = (await get(`/${name}`)).json();
      expect(shapeOf(list[0]), name).toEqual(shapeOf((cat[`/${name}`] as unknown[])[0]));
    }
    const instrumentos = (await get("/instrumentos")).json();
    expect(instrumentos).toContainEqual({ id: 1, descripcion: "SUBVENCIÓN Y ENTREGA DINERARIA SIN CONTRAPRESTACIÓN " });
    const c = (await get("/reglamentos", { ambito: "C" })).json();
    expect(shapeOf(c[0])).toEqual(["descripcion", "id"]);
    expect(c.map((r: { id: number }) => r.id)).toContain(0);
  });

  it("regiones: {id, descripcion, children}, leaves with children [], country roots with a trailing space; órganos C/A/O two levels with leaves lacking children, L three", async () => {
    await serve();
    const regiones = (await get("/regiones")).json() as Array<{ descripcion: string; children: unknown[] }>;
    const leafShape = (n: any): any => (n.children?.length ? leafShape(n.children[0]) : n);
    expect(shapeOf(regiones[0])).toEqual(["id", "descripcion", "children"]);
    expect(leafShape(regiones[0]).children).toEqual([]);
    expect(regiones.every((r) => r.descripcion.endsWith(" "))).toBe(true);
    const depth = (n: any): number => (n.children?.length ? 1 + Math.max(...n.children.map(depth)) : 1);
    expect(Math.max(...regiones.map(depth))).toBe(4);

    for (const idAdmon of ID_ADMON) {
      const tree = (await get("/organos", { idAdmon })).json() as any[];
      expect(shapeOf(tree[0]), idAdmon).toEqual(["descripcion", "id", "children"]);
      expect(Math.max(...tree.map(depth)), idAdmon).toBe(idAdmon === "L" ? 3 : 2);
      expect(leafShape(tree[0]), idAdmon).not.toHaveProperty("children");
      const agrupacion = (await get("/organos/agrupacion", { idAdmon })).json() as any[];
      expect(agrupacion.map((a) => a.id).sort()).toEqual(tree.map((t) => t.id).sort());
      expect(shapeOf(agrupacion[0])).toEqual(["descripcion", "id"]);
    }
  });
});

describe("registration windows: fechaRegInicio inclusive, fechaRegFin exclusive (bdns-api.md §3)", () => {
  it.each(WINDOWED)("$name: consecutive days are disjoint, their union is the range, and fechaRegFin=D returns nothing of D", async (w) => {
    const fx = await serve(weekOptions);
    const whole = await readAll(w.path, { ...windowOf("2026-09-01", "2026-09-08"), order: w.order, direccion: "asc" }, 10);
    const ids = (rows: Array<Record<string, any>>) => rows.map((r) => r[w.id] as number);
    expect(whole.rows).toHaveLength(w.src(fx).size);

    const byDay: number[][] = [];
    for (const d of days) {
      const one = await readAll(w.path, { ...windowOf(d, nextDay(d)), order: w.order }, 10);
      expect(one.rows.every((r) => r[w.date] === d), d).toBe(true);
      byDay.push(ids(one.rows));
    }
    expect(byDay[4]).toEqual([]); // 2026-09-05 had no rows
    const union = byDay.flat();
    expect(new Set(union).size).toBe(union.length); // disjoint
    expect(union).toEqual(ids(whole.rows)); // and together exactly the range, in order

    // fechaRegFin = D: the day before D only, not a row of D.
    const upToThird = await readAll(w.path, windowOf("2026-09-02", "2026-09-03"), 50);
    expect(upToThird.rows.length).toBeGreaterThan(0);
    expect(upToThird.rows.some((r) => r[w.date] === "2026-09-03")).toBe(false);
    // An empty or inverted window is an empty page, not an error.
    expect(await page(w.path, windowOf("2026-09-03", "2026-09-03"))).toMatchObject({ content: [], totalElements: 0, totalPages: 0, empty: true, first: true, last: true });
  });

  it("malformed dates are 400 ERR_VALIDACION", async () => {
    await serve();
    const bads: Array<Record<string, string>> = [{ fechaRegInicio: "2026-09-01" }, { fechaRegFin: "31/02/2026" }, { fechaDesde: "1/9/2026" }];
    for (const bad of bads) {
      const a = await get("/concesiones/busqueda", bad);
      expect(a.status, JSON.stringify(bad)).toBe(400);
      expect(a.json()).toEqual({ codigo: "ERR_VALIDACION", error: null, errores: ["Alguno de los parámetros de la petición no es correcto."] });
    }
  });

  it("partidos políticos carry no registration date: valid date params are accepted and every row comes back", async () => {
    const fx = await serve();
    const all = await page("/partidospoliticos/busqueda", { pageSize: 1000 });
    const dated = await page("/partidospoliticos/busqueda", { pageSize: 1000, ...windowOf("2026-09-01", "2026-09-02") });
    expect(dated.content).toEqual(all.content);
    expect(all.totalElements).toBe(fx.partidosPoliticos.size);
    expect(Object.keys(all.content[0]!).some((k) => /fechaAlta|fechaRegistro/.test(k))).toBe(false);
    expect((await get("/partidospoliticos/busqueda", { fechaRegFin: "2026/09/01" })).status).toBe(400);
  });
});

describe("paging", () => {
  it("pages partition the rows in a stable order, with Spring's totals and flags; direccion=desc reverses; past the end is an empty page", async () => {
    const fx = await serve({ concesiones: { from: "2026-09-01", to: "2026-09-05", rowsPerDay: 10 } });
    const { rows, pages } = await readAll("/concesiones/busqueda", { order: "codConcesion", direccion: "asc" }, 7);
    expect(pages).toHaveLength(8);
    expect(pages.map((p) => p.numberOfElements)).toEqual([7, 7, 7, 7, 7, 7, 7, 1]);
    expect(pages.map((p) => [p.number, p.size, p.first, p.last, p.totalPages, p.totalElements, p.empty])).toEqual(pages.map((_, k) => [k, 7, k === 0, k === 7, 8, 50, false]));
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 50 }, (_, i) => fx.concesiones.rowAt(i)!.id));
    const again = await readAll("/concesiones/busqueda", { order: "codConcesion", direccion: "asc" }, 7);
    expect(again.rows).toEqual(rows);
    const desc = await readAll("/concesiones/busqueda", { order: "codConcesion", direccion: "desc" }, 7);
    expect(desc.rows.map((r) => r.id)).toEqual(rows.map((r) => r.id).reverse());
    expect(await page("/concesiones/busqueda", { page: 8, pageSize: 7 })).toMatchObject({ content: [], number: 8, first: false, last: true, empty: true, numberOfElements: 0, totalElements: 50 });
  });

  it("pageSize above 10,000, an order outside the endpoint's enum or a bad direccion is 400 ERR_VALIDACION", async () => {
    await serve();
    expect((await get("/concesiones/busqueda", { pageSize: 10_000 })).status).toBe(200);
    const bad: Array<[string, Record<string, string | number>]> = [
      ["/concesiones/busqueda", { pageSize: 10_001 }],
      ["/concesiones/busqueda", { pageSize: 0 }],
      ["/concesiones/busqueda", { page: -1 }],
      ["/concesiones/busqueda", { order: "id" }], // concesiones has no `id` in its enum
      ["/ayudasestado/busqueda", { order: "sectores" }], // the spec spells it `setores`
      ["/minimis/busqueda", { order: "codConcesion" }], // minimis has no id-like column
      ["/sanciones/busqueda", { order: "numeroConvocatoria" }],
      ["/grandesbeneficiarios/busqueda", { order: "idPersona" }],
      ["/planesestrategicos/busqueda", { order: "id" }],
      ["/partidospoliticos/busqueda", { direccion: "up" }],
    ];
    for (const [path, params] of bad) {
      const a = await get(path, params);
      expect(a.status, `${path} ${JSON.stringify(params)}`).toBe(400);
      expect(a.json().codigo).toBe("ERR_VALIDACION");
    }
    expect((await get("/ayudasestado/busqueda", { order: "setores", direccion: "desc" })).status).toBe(200);
  });

  it("repeatAcrossPages: each page after the first begins with the previous page's last row; no row is lost", async () => {
    const fx = await serve({ concesiones: { from: "2026-09-01", to: "2026-09-03", rowsPerDay: 10 } });
    const plain = await readAll("/concesiones/busqueda", windowOf("2026-09-01", "2026-09-04"), 8);
    fx.concesiones.repeatAcrossPages = true;
    const { rows, pages } = await readAll("/concesiones/busqueda", windowOf("2026-09-01", "2026-09-04"), 8);
    expect(pages.length).toBeGreaterThan(plain.pages.length);
    for (let p = 1; p < pages.length; p++) expect(pages[p]!.content[0]).toEqual(pages[p - 1]!.content.at(-1));
    const distinct = [...new Map(rows.map((r) => [r.id, r])).values()];
    expect(rows.length).toBe(distinct.length + pages.length - 1);
    expect(distinct).toEqual(plain.rows);
    expect(pages[0]!.totalElements).toBe(30);
    expect(minimumRequests(fx, "concesiones", { pageSize: 8, pieces: [{ from: "2026-09-01", toExclusive: "2026-09-04" }] })).toEqual({ "/concesiones/busqueda": pages.length });
  });
});

describe("catalogs and trees", () => {
  it("an empty catalog, ámbito or tree answers 204 with an empty body", async () => {
    const fx = await serve();
    const p = await get("/reglamentos", { ambito: "P" });
    expect([p.status, p.bytes.length]).toEqual([204, 0]);
    for (const ambito of AMBITOS.filter((a) => a !== "P")) expect((await get("/reglamentos", { ambito })).status, ambito).toBe(200);
    fx.catalogs.sectores = [];
    fx.organos.O = [];
    fx.regiones = [];
    for (const [path, params] of [["/sectores", {}], ["/organos", { idAdmon: "O" }], ["/organos/agrupacion", { idAdmon: "O" }], ["/regiones", {}]] as const) {
      const a = await get(path, params);
      expect([a.status, a.bytes.length], path).toEqual([204, 0]);
    }
  });

  it("órganos with a missing or invalid idAdmon: 400 whose body is a bare array of strings", async () => {
    await serve();
    const expected = (sample("organos")["/organos?idAdmon=X"] as { body: unknown }).body;
    for (const [path, params] of [["/organos", {}], ["/organos", { idAdmon: "X" }], ["/organos/agrupacion", { idAdmon: "c" }]] as const) {
      const a = await get(path, params);
      expect(a.status, path).toBe(400);
      expect(a.type).toMatch(/json/);
      expect(a.json()).toEqual(expected);
    }
  });

  it("tree children come back in a different order on every call, same content, reproducible from the call number", async () => {
    const fx = await serve();
    const preorder = (nodes: TreeNode[], parent = 0): Array<[number, number, string]> => nodes.flatMap((n) => [[n.id, parent, n.descripcion] as [number, number, string], ...preorder(n.children ?? [], n.id)]);
    const calls: Array<Array<[number, number, string]>> = [];
    for (let k = 0; k < 3; k++) calls.push(preorder((await get("/regiones")).json()));
    const [a, b, c] = calls;
    expect(a).not.toEqual(b);
    expect(b).not.toEqual(c);
    const sorted = (xs: Array<[number, number, string]>) => [...xs].sort((x, y) => x[0] - y[0]);
    expect(sorted(a!)).toEqual(sorted(b!));
    expect(sorted(a!)).toEqual(sorted(preorder(fx.regiones)));
    expect(a).toEqual(preorder(shuffleTree(fx.regiones, 1)));
    expect(c).toEqual(preorder(shuffleTree(fx.regiones, 3)));
    // Órganos: counted per idAdmon, children shuffled at every level of L's three.
    const l1 = preorder((await get("/organos", { idAdmon: "L" })).json());
    const l2 = preorder((await get("/organos", { idAdmon: "L" })).json());
    expect(l1).toEqual(preorder(shuffleTree(fx.organos.L, 1)));
    expect(l2).not.toEqual(l1);
    expect(sorted(l2)).toEqual(sorted(l1));
  });
});

describe("noise changes bytes, not identity nor content", () => {
  /** The engine's own canonical hash of a row (src/datasets): equal hashes = no change counted. */
  const hashWith = (d: DatasetDeclaration) => (row: Record<string, unknown>) => canonicalHash((d.feeds[0]!.table.normalise ?? ((r: unknown) => r))(row));
  const cases: Array<{ path: string; id: string; decl: DatasetDeclaration; params: Record<string, string> }> = [
    { path: "/concesiones/busqueda", id: "id", decl: concesiones, params: {} },
    { path: "/ayudasestado/busqueda", id: "idConcesion", decl: ayudasEstado, params: {} },
    { path: "/minimis/busqueda", id: "idConcesion", decl: minimis, params: {} },
    { path: "/partidospoliticos/busqueda", id: "id", decl: partidosPoliticos, params: {} },
    { path: "/grandesbeneficiarios/busqueda", id: "idPersona", decl: grandesBeneficiarios, params: { anios: "2024" } },
  ];

  it.each(cases)("$path: names re-spelt for the same NIF, lists reordered; same ids, and the engine's canonical hash is unchanged", async (c) => {
    const fx = await serve(weekOptions);
    const read = () => readAll(c.path, c.params, 1000).then((r) => r.rows);
    const clean = await read();
    expect(await read()).toEqual(clean); // no noise: byte-identical passes
    fx.noise = true;
    const noisy = await read();
    fx.noiseSeed = 2;
    const noisier = await read();
    const hash = hashWith(c.decl);
    for (const other of [noisy, noisier]) {
      expect(other.map((r) => r[c.id])).toEqual(clean.map((r) => r[c.id]));
      expect(other.map(hash)).toEqual(clean.map(hash));
      expect(other.map((r) => String(r.beneficiario).split(" ")[0])).toEqual(clean.map((r) => String(r.beneficiario).split(" ")[0]));
      // Every beneficiary is spelt differently from the clean pass.
      other.forEach((r, k) => expect(r.beneficiario).not.toBe(clean[k]!.beneficiario));
    }
    expect(JSON.stringify(noisier)).not.toBe(JSON.stringify(noisy));
  });

  it.each(WINDOWED)("$name: a page's text and rowAt's object are the same row, with noise and without, patched or not", async (w) => {
    const fx = await serve(weekOptions);
    const src = w.src(fx) as RowSource<Record<string, unknown>>;
    src.patch(3, { ayudaEquivalente: 7, beneficiario: "B00000003 EMPRESA PARCHEADA SL" });
    const size = src.size;
    for (const noise of [false, true]) {
      fx.noise = noise;
      const served = (await page(w.path, { pageSize: 1000 })).content;
      const expected = Array.from({ length: size }, (_, i) => (noise ? src.noisy(src.rowAt(i)!, fx.noiseSeed) : src.rowAt(i)!));
      expect(served).toEqual(expected);
      expect(served[3]).toMatchObject({ ayudaEquivalente: 7 });
      // Byte for byte too: the text is canonical JSON, as JSON.stringify writes it.
      const text = (await get(w.path, { pageSize: 1000 })).text;
      expect(text.slice(text.indexOf("[") + 1, text.indexOf('],"pageable"'))).toBe(expected.map((r) => JSON.stringify(r)).join(","));
    }
  });

  it("ayudas de estado's `#` list and minimis' `; ` list come back reordered (labels holding `;` intact)", async () => {
    const fx = await serve(weekOptions);
    const clean = { a: (await page("/ayudasestado/busqueda", { pageSize: 500 })).content, m: (await page("/minimis/busqueda", { pageSize: 500 })).content };
    fx.noise = true;
    const noisy = { a: (await page("/ayudasestado/busqueda", { pageSize: 500 })).content, m: (await page("/minimis/busqueda", { pageSize: 500 })).content };
    const sortedSplit = (s: string, sep: string | RegExp) => s.split(sep).sort();
    // minimis: split only before a CNAE code (dataset-layer-anchors.md), never inside "defensa; Seguridad Social".
    const cnae = /; (?=\d{2}\.\d - )/;
    clean.a.forEach((r, k) => {
      expect(sortedSplit(noisy.a[k]!.sectores, "#")).toEqual(sortedSplit(r.sectores, "#"));
      if (r.sectores.includes("#")) expect(noisy.a[k]!.sectores).not.toBe(r.sectores);
    });
    clean.m.forEach((r, k) => {
      expect(sortedSplit(noisy.m[k]!.sectorActividad, cnae)).toEqual(sortedSplit(r.sectorActividad, cnae));
      if (cnae.test(r.sectorActividad)) expect(noisy.m[k]!.sectorActividad).not.toBe(r.sectorActividad);
    });
    expect(noisy.m.some((r) => cnae.test(r.sectorActividad) && r.sectorActividad.includes("defensa; Seguridad Social obligatoria"))).toBe(true);
  });

  it("catalog, tree and plan texts gain or lose trailing spaces; trimmed they are the same", async () => {
    const fx = await serve();
    const texts = async (): Promise<string[]> => [
      ...(await get("/finalidades")).json().map((e: { descripcion: string }) => e.descripcion),
      ...(await get("/reglamentos", { ambito: "C" })).json().map((e: { descripcion: string }) => e.descripcion),
      ...(await get("/organos/agrupacion", { idAdmon: "A" })).json().map((e: { descripcion: string }) => e.descripcion),
      ...(await get("/planesestrategicos", { idPES: 3103 })).json().ambitos,
    ];
    const trimmedSorted = (xs: string[]) => xs.map((t) => t.trim()).sort();
    const clean = await texts();
    fx.noise = true;
    const noisy = await texts();
    expect(noisy).not.toEqual(clean);
    expect(noisy.filter((t, k) => t !== clean[k] && t.trim() === clean[k]!.trim()).length).toBeGreaterThan(2);
    expect(trimmedSorted(noisy)).toEqual(trimmedSorted(clean));
  });
});

describe("mutations between two syncs", () => {
  it("a removed row no longer comes back; a patched row changes its content; an added row appears in its day; restore undoes a removal", async () => {
    const fx = await serve(weekOptions);
    const day = "2026-09-03";
    const read = () => readAll("/concesiones/busqueda", windowOf(day, nextDay(day)), 5).then((r) => r.rows);
    const before = await read();
    const { start, end } = fx.concesiones.range(day, nextDay(day));
    expect(end - start).toBe(before.length);

    fx.concesiones.remove(start + 1);
    fx.concesiones.patch(start + 2, { importe: 1.5 });
    const added = fx.concesiones.add({ at: day, fields: { importe: 99 } });
    const after = await read();
    const removedId = before[1]!.id;
    expect(after.map((r) => r.id)).toEqual([...before.filter((r) => r.id !== removedId).map((r) => r.id), fx.concesiones.rowAt(added)!.id]);
    const patched = after.find((r) => r.id === before[2]!.id)!;
    expect(patched).toEqual({ ...before[2], importe: 1.5 });
    expect(after.at(-1)).toMatchObject({ fechaAlta: day, importe: 99, codConcesion: `SB${fx.concesiones.rowAt(added)!.id}` });
    // The rest of the week is untouched, and the whole range agrees.
    expect((await page("/concesiones/busqueda", { pageSize: 1000 })).totalElements).toBe(fx.concesiones.size);
    expect(fx.concesiones.stateSize()).toBe(4); // one removed, two patched (one of them the added row), one added

    fx.concesiones.restore(start + 1);
    expect((await read()).map((r) => r.id)).toContain(removedId);
    expect(() => fx.concesiones.patch(start, { fechaAlta: "2026-09-04" })).toThrow(/cannot be patched/);
  });

  it("grandes beneficiarios: a row added in a new year lists that year; small reference data are edited in place", async () => {
    const fx = await serve();
    fx.grandesBeneficiarios.add({ at: 2026 });
    expect((await get("/grandesbeneficiarios/anios")).json().map((y: { id: number }) => y.id)).toEqual([2023, 2024, 2025, 2026]);
    expect((await page("/grandesbeneficiarios/busqueda", { anios: 2026 })).content).toMatchObject([{ ejercicio: 2026 }]);
    expect((await page("/grandesbeneficiarios/busqueda", { anios: "2023,2026", pageSize: 100 })).totalElements).toBe(31);

    fx.catalogs.finalidades.push({ id: 99, descripcion: "NUEVA FINALIDAD" });
    fx.regiones[0]!.children!.pop();
    fx.planes.remove(0);
    expect((await get("/finalidades")).json()).toContainEqual({ id: 99, descripcion: "NUEVA FINALIDAD" });
    expect(JSON.stringify((await get("/regiones")).json())).not.toContain("ES7 - CANARIAS");
    expect((await page("/planesestrategicos/busqueda", { pageSize: 100 })).content.map((p) => p.id)).not.toContain(3101);
    expect((await get("/planesestrategicos", { idPES: 3101 })).status).toBe(204);
  });
});

describe("planes estratégicos: broken details and documents", () => {
  it("a broken plan's detail is an HTML page inside a 200, every time; the others are JSON", async () => {
    const fx = await serve();
    const [broken] = fx.brokenPlans;
    expect(broken).toBeDefined();
    for (let k = 0; k < 3; k++) {
      const a = await get("/planesestrategicos", { idPES: broken! });
      expect([a.status, a.type?.startsWith("text/html"), a.text.startsWith("<html>")]).toEqual([200, true, true]);
    }
    const fine = await get("/planesestrategicos", { idPES: 3101 });
    expect([fine.status, fine.type]).toEqual([200, "application/json"]);
  });

  it("documents stream deterministic bytes with their Content-Length; an unknown one is a 400 about the documento", async () => {
    const fx = await serve();
    const ids = planDocumentIds(fx);
    expect(ids.length).toBeGreaterThan(3);
    for (const id of ids.slice(0, 3)) {
      const a = await get("/planesestrategicos/documentos", { idDocumento: id });
      expect(a.status).toBe(200);
      expect(Number(a.length)).toBe(planDocumentSize(id));
      expect(a.bytes.equals(documentBytes({ id, long: planDocumentSize(id) }))).toBe(true);
    }
    const unknown = await get("/planesestrategicos/documentos", { idDocumento: 1 });
    expect(unknown.status).toBe(400);
    expect(unknown.text).toMatch(/documento solicitado/);
  });
});

describe("faults on the new paths", () => {
  it("fault() answers the next matching requests: 5xx, maintenance and HTML inside a 200, a cut-off body; then the data", async () => {
    await serve();
    bdns!.fault(requestMatches("/concesiones/busqueda", { page: "0" }), { status: 503 }, "maintenance-200", "html", "truncated");
    expect((await get("/concesiones/busqueda", { page: 0 })).status).toBe(503);
    expect((await get("/concesiones/busqueda", { page: 0 })).json()).toMatchObject({ codigo: "ERR_MANTENIMIENTO_BBDD" });
    expect((await get("/concesiones/busqueda", { page: 0 })).type).toMatch(/html/);
    await expect(get("/concesiones/busqueda", { page: 0 })).rejects.toThrow();
    expect((await get("/concesiones/busqueda", { page: 0 })).json().content.length).toBeGreaterThan(0);
  });

  it("a standing failure fails one sweep value on every call while the others answer; `times` heals it", async () => {
    const fx = await serve();
    fx.failures.push({ path: "/reglamentos", params: { ambito: "M" }, reply: { status: 500, body: "Internal Server Error", contentType: "text/plain" } });
    for (let k = 0; k < 3; k++) expect((await get("/reglamentos", { ambito: "M" })).status).toBe(500);
    expect((await get("/reglamentos", { ambito: "C" })).status).toBe(200);
    fx.failures.push({ path: "/organos", params: { idAdmon: "L" }, reply: "maintenance-200", times: 2 });
    expect((await get("/organos", { idAdmon: "L" })).json()).toMatchObject({ codigo: "ERR_MANTENIMIENTO_BBDD" });
    expect((await get("/organos", { idAdmon: "L" })).json()).toMatchObject({ codigo: "ERR_MANTENIMIENTO_BBDD" });
    expect(Array.isArray((await get("/organos", { idAdmon: "L" })).json())).toBe(true);
  });

  it("one page of one window fails every time; the same page of another window and the window's other pages answer", async () => {
    const fx = await serve(weekOptions);
    const first = windowOf("2026-09-01", "2026-09-04");
    fx.failures.push({ path: "/concesiones/busqueda", params: { ...first, page: "2" }, reply: { status: 502 } });
    for (let k = 0; k < 2; k++) expect((await get("/concesiones/busqueda", { ...first, page: 2, pageSize: 10 })).status).toBe(502);
    expect((await get("/concesiones/busqueda", { ...first, page: 1, pageSize: 10 })).status).toBe(200);
    expect((await get("/concesiones/busqueda", { ...windowOf("2026-09-04", "2026-09-08"), page: 2, pageSize: 10 })).status).toBe(200);
    fx.failures.length = 0;
    expect((await get("/concesiones/busqueda", { ...first, page: 2, pageSize: 10 })).status).toBe(200);
  });

  it("minGapMs refuses bursts on the new paths with 429", async () => {
    await serve({}, { minGapMs: 200 });
    const answers = await Promise.all([get("/finalidades"), get("/finalidades"), get("/finalidades")]);
    expect(answers.map((a) => a.status).filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);
    expect(bdns!.tooMany()).toBeGreaterThanOrEqual(2);
  });
});

describe("the request log", () => {
  it("records the new paths with their params; a complete read makes exactly minimumRequests", async () => {
    const fx = await serve({ grandesBeneficiarios: { years: [2024, 2025], rowsPerYear: 25 }, planes: { plans: 9 } });
    for (const name of CATALOGS) await get(`/${name}`);
    for (const ambito of AMBITOS) await get("/reglamentos", { ambito });
    for (const idAdmon of ID_ADMON) await Promise.all([get("/organos", { idAdmon }), get("/organos/agrupacion", { idAdmon })]);
    const years = (await get("/grandesbeneficiarios/anios")).json() as Array<{ id: number }>;
    for (const y of years) await readAll("/grandesbeneficiarios/busqueda", { anios: y.id }, 10);
    const plans = await readAll("/planesestrategicos/busqueda", {}, 4);
    for (const p of plans.rows) await get("/planesestrategicos", { idPES: p.id });

    const counted = (expected: Record<string, number>) => Object.fromEntries(Object.keys(expected).map((path) => [path, bdns!.count(path)]));
    for (const d of ["catalogos", "organos", "grandes-beneficiarios", "planes-estrategicos"] as const) {
      const expected = minimumRequests(fx, d, { pageSize: d === "planes-estrategicos" ? 4 : 10 });
      expect(counted(expected), d).toEqual(expected);
    }
    expect(countRequests(bdns!.requests, "/reglamentos", { ambito: "M" })).toBe(1);
    expect(countRequests(bdns!.requests, "/grandesbeneficiarios/busqueda", { anios: "2025" })).toBe(3);
    expect(countRequests(bdns!.requests, "/grandesbeneficiarios/busqueda", { anios: "2025", page: "2" })).toBe(1);
    expect(bdns!.requests.find((r) => r.path === "/organos/agrupacion")!.params.get("idAdmon")).toBe("C");
    expect(minimumRequests(fx, "concesiones", { pageSize: 10, pieces: [{ from: "2026-09-01", toExclusive: "2026-09-08" }, { from: "2026-09-08", toExclusive: "2026-09-15" }] })).toEqual({ "/concesiones/busqueda": 14 + 14 });
  });
});

describe("scale: 1,000,000 rows with flat memory", () => {
  /** V8's collector, reachable without --expose-gc on the command line. */
  const gc = (() => {
    setFlagsFromString("--expose-gc");
    return runInNewContext("gc") as () => void;
  })();
  const heapAfterGc = () => (gc(), gc(), process.memoryUsage().heapUsed);

  it("every page of a 1,000,000-row concesiones generates exactly its own rows and keeps none", { timeout: 180_000 }, async () => {
    const fx = await serve({ concesiones: { from: "2026-01-01", to: "2026-04-10", rowsPerDay: 10_000 } });
    expect(fx.concesiones.baseCount).toBe(1_000_000);
    const params = { ...windowOf("2026-01-01", "2026-04-11"), order: "codConcesion", direccion: "asc", pageSize: 10_000 };
    const baseline = heapAfterGc();
    const first = await page("/concesiones/busqueda", { ...params, page: 0 }).then((b) => ({ totalElements: b.totalElements, totalPages: b.totalPages, lastId: b.content.at(-1)!.id as number }));
    expect([first.totalElements, first.totalPages]).toEqual([1_000_000, 100]);
    expect(fx.concesiones.generated).toBe(10_000);
    let lastId = first.lastId;
    for (let p = 1; p < first.totalPages; p++) {
      const before = fx.concesiones.generated;
      const a = await get("/concesiones/busqueda", { ...params, page: p });
      expect(fx.concesiones.generated - before).toBe(10_000); // only its page is computed
      if (p % 11 === 0 || p === first.totalPages - 1) {
        const body = a.json<Page>();
        expect(body.content[0]!.id).toBe(lastId + 1);
        expect(body.content.at(-1)!.fechaAlta).toBe(isoDay(epochDay("2026-01-01") + Math.floor(((p + 1) * 10_000 - 1) / 10_000)));
        lastId = body.content.at(-1)!.id;
      } else {
        lastId += 10_000;
      }
    }
    expect(lastId).toBe(fx.concesiones.rowAt(999_999)!.id);
    expect(fx.concesiones.stateSize()).toBe(0); // no per-row state was kept
    // Held as objects, a million rows would be well over a gigabyte; what the fake keeps is nothing.
    expect(heapAfterGc() - baseline).toBeLessThan(32 * 1024 * 1024);
  });
});

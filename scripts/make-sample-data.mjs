#!/usr/bin/env node
/**
 * Writes src/sample/bdns-sample.json, the data `ayida-jobs dev --sample` serves, from the synthetic
 * BDNS samples in test/fixtures (the shapes the loopback BDNS of the tests uses: field names, types,
 * envelopes, trees). Run it again after those samples change:  node scripts/make-sample-data.mjs
 *
 * The output is small and fixed: every answer of every dataset's endpoints, keyed by path and sweep
 * value; a detail (with two documents) for each listed convocatoria and plan. The windowed datasets'
 * registration dates are spread over the 7 days ending on `reference`; the sample server shifts every
 * date of theirs so that `reference` is yesterday, so the default window of a sync finds them all.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const read = (p) => JSON.parse(readFileSync(resolve(root, "test/fixtures", p), "utf8"));
const sample = (name) => read(`bdns-samples/${name}.json`);

const REFERENCE = "2026-09-20";
const dayBefore = (iso, n) => new Date(Date.parse(`${iso}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
/** Registration dates inside the 7 days ending on REFERENCE, one row a day back. */
const spread = (rows, field) => rows.map((r, i) => ({ ...r, [field]: dayBefore(REFERENCE, i % 7) }));
const content = (page) => page.content;
const envelope = (page) => Object.fromEntries(Object.entries(page).filter(([k]) => !["content", "totalPages", "totalElements", "size", "number", "numberOfElements", "first", "last", "empty"].includes(k)));

const feeds = {};
const pageExtras = {};
const put = (path, sweep, answer) => ((feeds[path] ??= {})[sweep] = answer);

const catalogos = sample("catalogos");
for (const [key, answer] of Object.entries(catalogos)) {
  const [path, query] = key.split("?");
  put(path, query ? new URLSearchParams(query).get("ambito") : "", Array.isArray(answer) ? answer : []); // the 204 example: empty
}
put("/regiones", "", sample("regiones"));
const organos = sample("organos");
for (const idAdmon of ["C", "A", "L", "O"]) {
  put("/organos", idAdmon, organos[`/organos?idAdmon=${idAdmon}`] ?? []);
  put("/organos/agrupacion", idAdmon, organos[`/organos/agrupacion?idAdmon=${idAdmon}`] ?? []);
}
const grandes = sample("grandes-beneficiarios");
const years = grandes["/grandesbeneficiarios/anios"];
put("/grandesbeneficiarios/anios", "", years);
const grandesPage = grandes["/grandesbeneficiarios/busqueda?anios=2025"];
pageExtras["/grandesbeneficiarios/busqueda"] = envelope(grandesPage);
for (const { id } of years) put("/grandesbeneficiarios/busqueda", String(id), content(grandesPage).map((r) => ({ ...r, ejercicio: id })));

for (const [name, path, field] of [
  ["sanciones", "/sanciones/busqueda"],
  ["partidos-politicos", "/partidospoliticos/busqueda"],
  ["concesiones", "/concesiones/busqueda", "fechaAlta"],
  ["ayudas-estado", "/ayudasestado/busqueda", "fechaAlta"],
  ["minimis", "/minimis/busqueda", "fechaRegistro"],
]) {
  const page = sample(name);
  pageExtras[path] = envelope(page);
  put(path, "", field ? spread(content(page), field) : content(page));
}

// Planes estratégicos: the listing, and a detail per plan made from the one sample detail.
const planes = sample("planes-estrategicos");
const planList = planes["/planesestrategicos/busqueda"];
pageExtras["/planesestrategicos/busqueda"] = envelope(planList);
put("/planesestrategicos/busqueda", "", content(planList));
const planDetail = planes["/planesestrategicos?idPES=3107"];
const details = { "/planesestrategicos": {}, "/convocatorias": {} };
const documents = { "/planesestrategicos/documentos": {}, "/convocatorias/documentos": {} };
for (const plan of content(planList)) {
  const docs = planDetail.documentos.map((d, i) => ({ ...d, id: plan.id * 100 + i + 1 }));
  details["/planesestrategicos"][plan.id] = { ...planDetail, descripcion: plan.descripcion, descripcionCooficial: plan.descripcionCooficial, tipoPlan: plan.tipoPlan, vigenciaDesde: plan.vigenciaDesde, vigenciaHasta: plan.vigenciaHasta, documentos: docs };
  for (const d of docs) documents["/planesestrategicos/documentos"][d.id] = { name: d.nombreFic, size: 2048 + (d.id % 7) * 512 };
}

// Convocatorias: the listing page's rows, a detail each (from the sample detail) with two documents.
const search = read("convocatorias-busqueda-page.json");
const detail = read("convocatoria-detalle.json");
const convocatorias = spread(content(search), "fechaRecepcion");
pageExtras["/convocatorias/busqueda"] = envelope(search);
for (const [i, row] of convocatorias.entries()) {
  const docs = detail.documentos.map((d, k) => ({ ...d, id: row.id * 10 + k, long: 4096 + i * 1024 + k * 512, datMod: row.fechaRecepcion, datPublicacion: row.fechaRecepcion }));
  details["/convocatorias"][row.numeroConvocatoria] = {
    ...detail,
    id: row.id,
    codigoBDNS: row.numeroConvocatoria,
    fechaRecepcion: row.fechaRecepcion,
    descripcion: row.descripcion,
    descripcionLeng: row.descripcionLeng,
    organo: { nivel1: row.nivel1, nivel2: row.nivel2, nivel3: row.nivel3 },
    documentos: docs,
  };
  for (const d of docs) documents["/convocatorias/documentos"][d.id] = { name: d.nombreFic, size: d.long };
}

const out = {
  about: "Synthetic BDNS answers for `ayida-jobs dev --sample`, made by scripts/make-sample-data.mjs from test/fixtures. Not real data.",
  reference: REFERENCE,
  feeds,
  pageExtras,
  convocatorias,
  details,
  documents,
};
writeFileSync(resolve(root, "src/sample/bdns-sample.json"), `${JSON.stringify(out, null, 1)}\n`);
console.log(`src/sample/bdns-sample.json: ${Object.keys(feeds).length} endpoints, ${convocatorias.length} convocatorias, ${Object.keys(details["/planesestrategicos"]).length} plans`);

/**
 * The BDNS sample server that `ayida-jobs dev --sample` starts (src/sample/): read through the real
 * BDNS client and the engine's own readers, every dataset's sample answers what a sync asks for —
 * every sweep value and the default window's pieces — with rows the declarations accept and none
 * refused; convocatorias' listing, details and documents parse with the client's schemas and the
 * documents have the size their details announce; the plans' details list downloadable documents.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BdnsClient } from "../../src/adapters/bdns/client.js";
import { readAll } from "../../src/net/request.js";
import { resolveWindow } from "../../src/contracts/window.js";
import { DATASETS } from "../../src/datasets/index.js";
import { sampleAnswers, startSampleBdns, type SampleBdns } from "../../src/sample/server.js";
import { readSampleDataset, sampleClient } from "../support/sample-read.js";

let sample: SampleBdns;
let bdns: BdnsClient;
beforeAll(async () => {
  sample = await startSampleBdns();
  bdns = sampleClient(sample.url);
});
afterAll(() => sample?.close());

describe("every dataset's sample, as a sync with the default window reads it", () => {
  it.each(DATASETS.map((d) => d.name))("%s: rows in every table, none refused", async (name) => {
    const { rows, refused } = await readSampleDataset(bdns, name);
    expect(refused).toEqual([]);
    const tables = [...new Set(DATASETS.find((d) => d.name === name)!.feeds.map((f) => f.table.name))];
    for (const table of tables) expect(rows[table], `${name}: rows of ${table}`).toBeGreaterThan(0);
  });
});

describe("convocatorias", () => {
  it("the default window lists every sample convocatoria; each detail parses, names its documents, and they download at the size announced", async () => {
    const w = resolveWindow({});
    const listed = [];
    for (let page = 0, pages = 1; page < pages; page++) {
      const p = await bdns.searchConvocatorias({ ...w, page, pageSize: 2 });
      pages = p.totalPages;
      listed.push(...p.content);
    }
    expect(listed.length).toBeGreaterThanOrEqual(3);
    for (const row of listed) {
      expect(row.fechaRecepcion! >= w.from && row.fechaRecepcion! <= w.to, `${row.numeroConvocatoria} ${row.fechaRecepcion} in ${w.from}..${w.to}`).toBe(true);
      const { detail } = await bdns.getConvocatoria(row.numeroConvocatoria);
      expect(detail.documentos?.length).toBeGreaterThan(0);
      for (const doc of detail.documentos ?? []) {
        const download = await bdns.downloadDocument(String(doc.id));
        const bytes = await readAll(download.body);
        expect(bytes.length).toBe(doc.long);
      }
    }
  });

  it("outside the window there is nothing; an unknown code is BDNS's empty answer", async () => {
    const old = await bdns.searchConvocatorias({ from: "2020-01-01", to: "2020-01-07", page: 0, pageSize: 10 });
    expect(old.content).toEqual([]);
    await expect(bdns.getConvocatoria("1")).rejects.toMatchObject({ failure: "NOT_FOUND" });
  });
});

describe("planes estratégicos' details and documents", () => {
  it("each listed plan has a detail whose documents download", async () => {
    const d = DATASETS.find((x) => x.name === "planes-estrategicos")!;
    const list = (await bdns.fetchJson("/planesestrategicos/busqueda", { page: "0", pageSize: "50" }, { page: true })) as { content: Array<Record<string, unknown>> };
    expect(list.content.length).toBeGreaterThan(0);
    for (const plan of list.content) {
      const detail = (await bdns.fetchJson(d.details!.path, { [d.details!.param]: d.details!.id(plan) })) as Record<string, unknown>;
      const docs = d.details!.documents!.list(detail);
      expect(docs.length).toBeGreaterThan(0);
      for (const doc of docs) {
        const download = await bdns.download(d.details!.documents!.path, { [d.details!.documents!.param]: doc.id });
        expect((await readAll(download.body)).length).toBe(download.contentLength);
      }
    }
  });
});

it("the windowed samples move with the calendar: the reference day is always yesterday", () => {
  const on = (today: string) => sampleAnswers(today)("/concesiones/busqueda", new URLSearchParams({ fechaRegInicio: toBdns(addDay(today, -7)), fechaRegFin: toBdns(today), page: "0", pageSize: "100" }));
  const a = on("2027-03-10").body as { content: Array<{ fechaAlta: string }> };
  const b = on("2031-12-01").body as { content: Array<{ fechaAlta: string }> };
  expect(a.content.length).toBeGreaterThan(0);
  expect(b.content.length).toBe(a.content.length);
  expect(a.content.every((r) => r.fechaAlta >= "2027-03-03" && r.fechaAlta <= "2027-03-09")).toBe(true);
});

const addDay = (iso: string, n: number) => new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const toBdns = (iso: string) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;

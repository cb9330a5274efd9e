/**
 * What a sync of the BDNS sample (src/sample/) reads, computed independently of the pipeline: each
 * dataset's units with the default window, fetched through the real BDNS client and read by the
 * engine's own reader; rows counted once per natural key. The documents the sample announces
 * (convocatorias' and plans'), with their sizes.
 */
import { BdnsClient } from "../../src/adapters/bdns/client.js";
import { StartSpacer } from "../../src/adapters/bdns/limiter.js";
import { resolveWindow, splitWindow } from "../../src/contracts/window.js";
import { DATASETS } from "../../src/datasets/index.js";
import { readAnswer } from "../../src/functions/datasets/rows.js";
import { unitParams, unitsOf } from "../../src/functions/datasets/units.js";

export const sampleClient = (url: string) => new BdnsClient({ baseUrl: url, spacer: new StartSpacer(1000), maxAttempts: 1 });

export interface SampleRead {
  /** Distinct rows per table (by the table's key). */
  rows: Record<string, number>;
  /** Reasons the reader refused records. */
  refused: string[];
}

export async function readSampleDataset(bdns: BdnsClient, name: string, pageSize = 2): Promise<SampleRead> {
  const d = DATASETS.find((x) => x.name === name)!;
  const discovered: Record<string, string[]> = {};
  for (const f of d.feeds) {
    if (f.sweep && "discover" in f.sweep) discovered[f.id] = ((await bdns.fetchJson(f.sweep.discover.path)) as unknown[]).map(f.sweep.discover.value);
  }
  const keys: Record<string, Set<string>> = {};
  const refused: string[] = [];
  for (const unit of unitsOf(d, discovered, d.strategy === "windowed" ? splitWindow(resolveWindow({}), d.pieceDays) : [])) {
    const feed = d.feeds.find((f) => f.id === unit.feed)!;
    const columns = Object.keys(feed.table.columns);
    const keyAt = feed.table.key.map((k) => columns.indexOf(k));
    for (let page = 0, pages = 1; page < pages; page++) {
      const body = await bdns.fetchJson(feed.path, unitParams(feed, unit, page, pageSize), { page: feed.answer === "page" });
      const answer = readAnswer(feed, body, { feed: feed.id, ...(unit.sweep !== undefined && { sweep: unit.sweep }) }, feed.path);
      pages = answer.totalPages ?? 1;
      for (const r of answer.rows) (keys[feed.table.name] ??= new Set()).add(JSON.stringify(keyAt.map((i) => r.values[i])));
      refused.push(...answer.refused.map((r) => r.reason));
    }
  }
  return { rows: Object.fromEntries(Object.entries(keys).map(([t, s]) => [t, s.size])), refused };
}

/** Every document the sample's details announce: where it is listed, its id, its size in bytes. */
export async function sampleDocuments(bdns: BdnsClient): Promise<Array<{ owner: string; id: string; size: number | undefined }>> {
  const docs: Array<{ owner: string; id: string; size: number | undefined }> = [];
  const w = resolveWindow({});
  const listed = (await bdns.searchConvocatorias({ ...w, page: 0, pageSize: 1000 })).content;
  for (const row of listed) {
    const { detail } = await bdns.getConvocatoria(row.numeroConvocatoria);
    for (const doc of detail.documentos ?? []) docs.push({ owner: `convocatoria ${row.numeroConvocatoria}`, id: String(doc.id), size: doc.long ?? undefined });
  }
  const planes = DATASETS.find((x) => x.name === "planes-estrategicos")!.details!;
  const plans = ((await bdns.fetchJson("/planesestrategicos/busqueda", { page: "0", pageSize: "1000" }, { page: true })) as { content: Array<Record<string, unknown>> }).content;
  for (const plan of plans) {
    const detail = (await bdns.fetchJson(planes.path, { [planes.param]: planes.id(plan) })) as Record<string, unknown>;
    for (const doc of planes.documents!.list(detail)) docs.push({ owner: `plan ${planes.id(plan)}`, id: doc.id, size: undefined });
  }
  return docs;
}

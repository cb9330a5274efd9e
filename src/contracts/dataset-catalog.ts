/**
 * What can be synced, described from the declarations: the one source for `ayida-jobs datasets`,
 * its --json, the batch routes' list and docs/datasets.md's table (kept equal by a test).
 * Convocatorias keeps its own pipeline (listing → details → documents) but is listed like the rest.
 * Here, not in datasets/: a description names each dataset's contract (its event, its floor), and the
 * declarations sit below the contracts.
 */
import { DATASETS } from "../datasets/index.js";
import type { DatasetDeclaration } from "../datasets/types.js";
import { datasetEventName } from "./dataset-events.js";
import { CONVOCATORIAS_FLOOR } from "./rules.js";

export interface DatasetDescription {
  name: string;
  title: string;
  summary: string;
  /** The event `sync <name>` sends. */
  event: string;
  strategy: "full" | "windowed";
  /** How a window is read (windowed datasets). */
  window: string | null;
  floor: string | null;
  endpoints: string[];
  tables: Array<{ name: string; key: string[] }>;
  volume: string;
  /** The batch route that requests it. */
  route: string;
}

export const CONVOCATORIAS_DESCRIPTION: DatasetDescription = {
  name: "convocatorias",
  title: "Convocatorias",
  summary: "calls for grants: the listing by reception date, each call's detail, its documents",
  event: "convocatorias/sync.requested",
  strategy: "windowed",
  window: "fechaRecepcion, both ends inclusive; pieces of ≤ 7 days",
  floor: CONVOCATORIAS_FLOOR,
  endpoints: ["/convocatorias/busqueda", "/convocatorias", "/convocatorias/documentos"],
  tables: [
    { name: "convocatorias", key: ["bdns"] },
    { name: "documentos", key: ["id"] },
  ],
  volume: "~640,000 calls",
  route: "/api/batch/sync-convocatorias",
};

export function describeDataset(d: DatasetDeclaration): DatasetDescription {
  const endpoints = new Set<string>();
  for (const f of d.feeds) {
    if (f.sweep && "discover" in f.sweep) endpoints.add(f.sweep.discover.path);
    endpoints.add(f.sweep ? `${f.path}?${f.sweep.param}=${"values" in f.sweep ? f.sweep.values.join("|") : "…"}` : f.path);
  }
  if (d.details) {
    endpoints.add(`${d.details.path}?${d.details.param}=`);
    if (d.details.documents) endpoints.add(d.details.documents.path);
  }
  const tables = new Map<string, string[]>();
  for (const f of d.feeds) tables.set(f.table.name, [...f.table.key]);
  if (d.details?.documents) tables.set(`${d.feeds.find((f) => f.id === d.details!.feed)!.table.name}_documentos`, ["id"]);
  const windowed = d.feeds.find((f) => f.window);
  return {
    name: d.name,
    title: d.title,
    summary: d.summary,
    event: datasetEventName(d, "sync"),
    strategy: d.strategy,
    window: windowed?.window ? `${windowed.table.registrationDate} (${windowed.window.fromParam} inclusive, ${windowed.window.toParam} ${windowed.window.toExclusive ? "exclusive" : "inclusive"}); pieces of ≤ ${d.pieceDays ?? 7} days` : null,
    floor: d.floor ?? null,
    endpoints: [...endpoints],
    tables: [...tables].map(([name, key]) => ({ name, key })),
    volume: d.volume,
    route: `/api/batch/sync-${d.name}`,
  };
}

/** Every dataset, convocatorias first: the order of `datasets` and `sync all`. */
export function describeDatasets(): DatasetDescription[] {
  return [CONVOCATORIAS_DESCRIPTION, ...DATASETS.map(describeDataset)];
}

/** docs/datasets.md's table (between its `datasets:begin` / `datasets:end` markers). */
export function datasetsMarkdownTable(): string {
  const rows = describeDatasets().map((d) =>
    [
      `\`${d.name}\``,
      d.title,
      d.strategy === "windowed" ? `windowed: ${d.window}` : "full replace",
      d.floor ?? "—",
      d.tables.map((t) => `\`${t.name}\` (${t.key.map((k) => `\`${k}\``).join(", ")})`).join(", "),
      d.endpoints.map((e) => `\`${e}\``).join(", "),
      d.volume,
    ].join(" | "),
  );
  return ["| dataset | seed's job | strategy | floor | tables (key) | endpoints | volume |", "|---|---|---|---|---|---|---|", ...rows.map((r) => `| ${r} |`)].join("\n");
}

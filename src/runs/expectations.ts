/**
 * What a sending command asked for, and the run as `--wait` sees it: the store shows only what a function
 * picked up, so a `detail 1 2 3` whose first code is done would read as done until 2 and 3 appear.
 * `--wait` knows what it sent: each event names a dataset and a kind of work the store will show
 * (`expectationsOf`), and the run is not done while any of it is unseen (`withExpectations`).
 */
import type { Awaiting, ExpectedKind, RunState } from "./state.js";

/** Work a sending command requested: per dataset and kind, how many events. */
export interface Expectation {
  dataset: string;
  kind: ExpectedKind;
  count: number;
}

const CONVOCATORIAS_EVENTS: Record<string, ExpectedKind> = {
  "convocatorias/sync.requested": "sync",
  "convocatorias/sync.piece.requested": "piece",
  "convocatorias/detail.requested": "detail",
  "documents/storage.requested": "document",
};

/**
 * What the events ask the store to show: a sync request, its dataset's sync row; a piece, a detail or a
 * document, an item of that kind in its dataset. `datasetOf` names the dataset and kind of a dataset
 * event (contracts/dataset-events.ts's datasetEventOf).
 */
export function expectationsOf(events: ReadonlyArray<{ name: string }>, datasetOf: (name: string) => { dataset: string; kind: ExpectedKind } | undefined): Expectation[] {
  const counts = new Map<string, Expectation>();
  for (const e of events) {
    const own = CONVOCATORIAS_EVENTS[e.name];
    const owner = own ? { dataset: "convocatorias", kind: own } : datasetOf(e.name);
    if (!owner) continue;
    const key = `${owner.dataset}\u0000${owner.kind}`;
    const c = counts.get(key) ?? { ...owner, count: 0 };
    c.count++;
    counts.set(key, c);
  }
  return [...counts.values()];
}

/**
 * The run as `--wait` sees it: what the store says, plus what was sent and not seen yet (`awaiting`).
 * A dataset's sync request is seen once its row is a sync row; a piece, detail or document once the
 * store counts at least as many items of that kind in that dataset as were sent. While anything is
 * awaited the run is not done (pending while the store knows nothing of it).
 */
export function withExpectations(run: RunState, expected: readonly Expectation[]): RunState {
  const awaiting: Awaiting[] = [];
  for (const e of expected) {
    const d = run.datasets.find((x) => x.dataset === e.dataset);
    const seen = e.kind === "sync" ? (d?.kind === "sync" && d.status !== "requested" ? 1 : 0) : (d?.itemsByKind[e.kind]?.total ?? 0);
    if (seen < e.count) awaiting.push({ dataset: e.dataset, kind: e.kind, expected: e.count, seen });
  }
  if (awaiting.length === 0) return { ...run, awaiting };
  return { ...run, awaiting, done: false, state: run.state === "pending" ? "pending" : "running", finishedAt: null, durationMs: run.startedAt ? Math.max(0, Date.parse(run.asOf) - Date.parse(run.startedAt)) : null };
}

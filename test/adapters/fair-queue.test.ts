/**
 * The policy that decides which waiting request of a process starts next (fair-queue.ts): runs in
 * turn, then kinds of work in turn within a run, first come first served within a kind. Checked on a
 * scripted mix through the real spacer (at a rate high enough that only order matters), and as a
 * property over generated mixes: nothing waits more than R × K turns.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FairQueue } from "../../src/adapters/bdns/fair-queue.js";
import { StartSpacer, type Work, type WorkKind } from "../../src/adapters/bdns/limiter.js";

describe("who starts next in a process", () => {
  it("a backfill's long pages, details and documents, then a daily run: no kind and no run waits behind another", async () => {
    const spacer = new StartSpacer(2000);
    const order: string[] = [];
    const queue = (work: Work, n: number) => Array.from({ length: n }, (_, i) => spacer.run(async () => void order.push(`${work.run}:${work.kind}:${i}`), work));
    // The backfill queued everything first: 20 listing pages, then 20 details, then 20 documents.
    const all = [...queue({ run: "backfill", kind: "page" }, 20), ...queue({ run: "backfill", kind: "detail" }, 20), ...queue({ run: "backfill", kind: "document" }, 20)];
    // The daily run's work arrives after all of it.
    all.push(...queue({ run: "daily", kind: "detail" }, 4), ...queue({ run: "daily", kind: "document" }, 6));
    await Promise.all(all);

    const daily = order.map((o, i) => (o.startsWith("daily") ? i : -1)).filter((i) => i >= 0);
    // Every other start is the daily's while it has work, although 60 of the backfill's came first.
    expect(daily).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
    // Within the backfill, the kinds take turns although the pages were all queued first.
    const backfill = order.filter((o) => o.startsWith("backfill")).map((o) => o.split(":")[1]);
    expect(backfill.slice(0, 9)).toEqual(["page", "detail", "document", "page", "detail", "document", "page", "detail", "document"]);
    // First come first served within a run and kind.
    for (const kind of ["page", "detail", "document"]) {
      const seq = order.filter((o) => o.startsWith(`backfill:${kind}:`)).map((o) => Number(o.split(":")[2]));
      expect(seq).toEqual([...seq].sort((a, b) => a - b));
    }
  });

  it("requests outside any run, with no kind given, are served in arrival order", async () => {
    const s = new StartSpacer(2000);
    const order: number[] = [];
    await Promise.all(Array.from({ length: 8 }, (_, i) => s.run(async () => void order.push(i))));
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("property: whatever the mix, a request at the head of its line starts within R × K turns (R runs, K kinds waiting)", () => {
    const kinds: WorkKind[] = ["page", "detail", "document", "plan"];
    const step = fc.oneof(
      fc.record({ push: fc.constant(true as const), run: fc.constantFrom("a", "b", "c"), kind: fc.constantFrom(...kinds) }),
      fc.record({ push: fc.constant(false as const) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        const q = new FairQueue<{ id: number; run: string; kind: string }>();
        const waiting: Array<{ id: number; run: string; kind: string }> = [];
        const headSince = new Map<number, number>(); // id → the turn it became the head of its line
        let turn = 0;
        let id = 0;
        const markHeads = () => {
          const seen = new Set<string>();
          for (const w of waiting) {
            const line = `${w.run}/${w.kind}`;
            if (seen.has(line)) continue;
            seen.add(line);
            if (!headSince.has(w.id)) headSince.set(w.id, turn);
          }
        };
        for (const s of steps) {
          if (s.push) {
            const item = { id: id++, run: s.run, kind: s.kind };
            q.push(item, s.run, s.kind);
            waiting.push(item);
          } else {
            const item = q.take();
            if (!item) continue;
            turn++;
            waiting.splice(waiting.indexOf(item), 1);
            // Bound: the runs and kinds there can be (3 × 4), in turns since it became a head.
            if (turn - headSince.get(item.id)! > 3 * 4) return false;
          }
          markHeads();
        }
        return q.size === waiting.length;
      }),
    );
  });
});

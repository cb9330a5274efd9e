/**
 * Who starts next among the BDNS requests waiting in one process: round-robin between runs, then
 * round-robin between the kinds of work waiting in that run, first come first served within a kind.
 *
 * Why this order: every start costs the same one slot of the budget whatever its kind (a 2.5 s page and a
 * 50 ms detail both start once), so equal turns are the fair share. Runs come first so that a small run
 * (a daily sync) waiting next to a backfill gets every other start, not a share proportional to how
 * many requests each has queued; kinds come second so that, within a run, listing pages cannot crowd
 * out details and documents nor the other way round.
 * Bound: with R runs waiting, and K kinds waiting in its run, a request at the head of its kind's line
 * starts within R × K turns of this queue; nothing waits forever.
 */

interface Line<T> {
  /** Kinds waiting in this run, in turn order; each with its first-come-first-served line. */
  kinds: Map<string, T[]>;
}

export class FairQueue<T> {
  /** Runs with something waiting, in turn order (a Map keeps insertion order: delete + set rotates). */
  private readonly runs = new Map<string, Line<T>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(item: T, run: string, kind: string): void {
    let line = this.runs.get(run);
    if (!line) this.runs.set(run, (line = { kinds: new Map() }));
    const waiting = line.kinds.get(kind);
    if (waiting) waiting.push(item);
    else line.kinds.set(kind, [item]);
    this.count++;
  }

  /** The next item by the policy above; it and its run and kind go to the back of their turn orders. */
  take(): T | undefined {
    const first = this.runs.entries().next();
    if (first.done) return undefined;
    const [run, line] = first.value;
    const [kind, waiting] = line.kinds.entries().next().value!;
    const item = waiting.shift()!;
    this.count--;
    line.kinds.delete(kind);
    if (waiting.length > 0) line.kinds.set(kind, waiting);
    this.runs.delete(run);
    if (line.kinds.size > 0) this.runs.set(run, line);
    return item;
  }
}

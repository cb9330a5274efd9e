/**
 * A process that shares the deployment's BDNS budget (a child of test/adapters/budget.test.ts): it opens
 * the store, says "ready", waits for "go", fetches the details it was given with a few concurrent
 * callers through the shared budget, and prints what happened as one JSON line.
 * argv[2]: {"databaseUrl","bdnsUrl","rate","codes":[…],"callers"}
 */
import { SharedBudget } from "../../src/adapters/bdns/budget.js";
import { BdnsClient } from "../../src/adapters/bdns/client.js";
import { StartSpacer, type Work } from "../../src/adapters/bdns/limiter.js";
import { fetchObserver } from "../../src/net/http-fetch.js";
import { openBudgetStore } from "../../src/adapters/store/budget.js";
import { Store } from "../../src/adapters/store/store.js";

const args = JSON.parse(process.argv[2]!) as { databaseUrl: string; bdnsUrl: string; rate: number; codes: string[]; callers: number };
const store = await Store.open(args.databaseUrl); // migrated, as serve does before its first job
let missed = 0;
const fallbacks: boolean[] = [];
/** When this process fell back and came back, on the machine's shared clock (as `starts`). */
const fallbackAt: Array<{ active: boolean; at: number }> = [];
const budget = new SharedBudget(async () => openBudgetStore(args.databaseUrl), {
  ratePerSecond: args.rate,
  observer: {
    missed: () => void missed++,
    fallback: (active) => {
      fallbacks.push(active);
      fallbackAt.push({ active, at: performance.timeOrigin + performance.now() });
    },
  },
});
/**
 * Notes, for each start, when it was decided (where the budget decides it, just before the request is
 * written) and when the request left: handed whole to the kernel (its 'finish'), which on loopback
 * puts it in the server's socket at once — the moment BDNS would see it, measured in the process that
 * sends it, not by a server that may not be scheduled when it arrives.
 */
class RecordingSpacer extends StartSpacer {
  readonly starts: number[] = [];
  readonly left: number[] = [];
  override run<T>(start: () => Promise<T>, work?: Work): Promise<T> {
    return super.run(() => {
      const i = this.starts.push(performance.now()) - 1;
      return fetchObserver.run({ onSent: () => void (this.left[i] = performance.now()) }, start);
    }, work);
  }
}
const spacer = new RecordingSpacer(args.rate, { slots: budget });
const client = new BdnsClient({ baseUrl: args.bdnsUrl, spacer, maxAttempts: 1 });
// The first reservation connects: done before "ready", so that the contention starts together.
await spacer.wait();
spacer.starts.length = 0;
spacer.left.length = 0;
process.stdout.write("ready\n");
await new Promise((r) => process.stdin.once("data", r));

const queue = [...args.codes];
const failures: string[] = [];
await Promise.all(
  Array.from({ length: args.callers }, async () => {
    for (let code = queue.shift(); code; code = queue.shift()) await client.getConvocatoria(code).catch((e: unknown) => failures.push(String(e)));
  }),
);
// When each start was decided and left, on a clock every process of the machine shares (to ~µs).
const starts = spacer.starts.map((t) => performance.timeOrigin + t);
const left = spacer.left.map((t) => performance.timeOrigin + t);
process.stdout.write(`${JSON.stringify({ done: args.codes.length, failures, missed, fallbacks, fallbackAt, starts, left })}\n`);
await spacer.close();
await store.close();
process.exit(0);

/**
 * A process that opens (and so migrates) the store the moment it is told to, as `serve` does at start:
 * several of them on one new database is a fleet deployed at once. Prints "ready", waits for "go",
 * then "ok" or "error: <message>", and exits.
 * argv[2]: the DATABASE_URL
 */
import { createInterface } from "node:readline";
import { Store } from "../../src/adapters/store/store.js";

const url = process.argv[2]!;
console.log("ready");
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== "go") continue;
  try {
    await (await Store.open(url)).close();
    console.log("ok");
  } catch (err) {
    console.log(`error: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.exit(0);
}

/**
 * The engine suite's safety net against orphans. The test process starts this detached (its own
 * session, so a Ctrl-C or a kill of the test's process group does not reach it) with a pipe on stdin,
 * and writes "+<pgid>" for every process group it starts and "-<pgid>" once it has killed it itself.
 * When stdin ends — the test process exited, crashed or was SIGKILLed — every group still listed is
 * SIGKILLed. Plain JS: it runs under bare node, outside vitest.
 */
import { createInterface } from "node:readline";

const groups = new Set();
const killAll = () => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  process.exit(0);
};

createInterface({ input: process.stdin })
  .on("line", (line) => {
    const pgid = Number(line.slice(1));
    if (!Number.isInteger(pgid) || pgid <= 1) return;
    if (line.startsWith("+")) groups.add(pgid);
    else groups.delete(pgid);
  })
  .on("close", killAll);
process.on("SIGTERM", killAll);
process.on("SIGHUP", () => undefined); // a closed terminal must not stop the clean-up

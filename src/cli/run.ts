/** Process entry (dist/cli.js): run main and set the exit code without cutting output short. */
import { main, processIo } from "./main.js";

// No top-level await here: the chunks this entry loads later import what it already holds (see
// tsup.config.ts), and an entry still awaiting would make them wait for it, while it waits for them.
const io = processIo();
void main(process.argv, io).then((code) => {
  process.exitCode = code;
  // The result is out. A send that was given up on (timeout, rejected key) can leave the Inngest SDK's
  // retry timers behind, and they must not hold the process for seconds: once stdout and stderr have
  // flushed, a short unref'd timer ends it. A process with nothing pending exits before it fires.
  io.stdout.write("", () => io.stderr.write("", () => setTimeout(() => process.exit(code), 50).unref()));
});

/** Process entry (dist/cli.js): run main and set the exit code without cutting output short. */
import { main } from "./main.js";

// A reader that stops early (`ayida-jobs … | head`) closes the pipe: not an error of ours, and no
// reason for a stack trace. Whatever else goes wrong with stdout is still raised.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
  process.exit(process.exitCode ?? 0);
});

const code = await main();
process.exitCode = code;
// The result is out. A send that was given up on (timeout, rejected key) can leave the Inngest SDK's
// retry timers behind, and they must not hold the process for seconds: once stdout and stderr have
// flushed, a short unref'd timer ends it. A process with nothing pending exits before it fires.
process.stdout.write("", () => process.stderr.write("", () => setTimeout(() => process.exit(code), 50).unref()));

/**
 * Keeps a child program from outliving the process that started it, even one that is SIGKILLed (no
 * exit handler runs then, and POSIX gives a child no say). `ayida-jobs dev` runs the Inngest Dev
 * Server through this: it starts the watchdog in a session of its own with a pipe on stdin, and the
 * watchdog starts the program in a process group of its own. When the pipe closes — the parent
 * stopped it, exited, crashed or was killed — the whole group gets SIGTERM, then SIGKILL after
 * KILL_AFTER_MS, and the watchdog exits. When the program exits by itself, the watchdog exits with
 * its code. Its output goes where the watchdog's does.
 *   node dev-watchdog.js <program> [args…]      (dist/cli/dev-watchdog.js)
 */
import { spawn } from "node:child_process";

const KILL_AFTER_MS = 5_000;
const [program, ...args] = process.argv.slice(2);
if (!program) {
  process.stderr.write("usage: dev-watchdog <program> [args…]\n");
  process.exit(2);
}

const child = spawn(program, args, { detached: true, stdio: ["ignore", "inherit", "inherit"] });
const group = child.pid;
const signalGroup = (signal: NodeJS.Signals) => {
  if (group === undefined) return;
  try {
    process.kill(-group, signal);
  } catch {
    // gone already
  }
};

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  signalGroup("SIGTERM");
  setTimeout(() => {
    signalGroup("SIGKILL");
    process.exit(137);
  }, KILL_AFTER_MS).unref();
};

child.once("error", (err) => {
  process.stderr.write(`dev-watchdog: could not start ${program}: ${err.message}\n`);
  process.exit(127);
});
child.once("exit", (code, signal) => {
  signalGroup("SIGKILL"); // whatever the program left behind in its group
  process.exit(code ?? (signal ? 128 : 1));
});
process.stdin.on("data", () => undefined).once("close", stop);
process.stdin.once("end", stop);
for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(s, stop);

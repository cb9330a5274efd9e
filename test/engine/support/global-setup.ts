/**
 * Once per `npm run test:engine`: say which engine this run tests against (CI logs show the version).
 * A missing binary is not reported here but by every file that needs it: each fails with the same
 * message saying how to get one (a failing global setup would end the run as "no test files found").
 */
import { execFileSync } from "node:child_process";
import { sweepStaleClaims } from "./free-ports.js";
import { NoInngestBinaryError, resolveInngestBinary } from "./inngest-binary.js";

export default function setup(): () => void {
  const teardown = () => sweepStaleClaims();
  let binary;
  try {
    binary = resolveInngestBinary();
  } catch (err) {
    if (err instanceof NoInngestBinaryError) {
      console.error(`engine suite: ${err.message}`);
      return teardown;
    }
    throw err;
  }
  let version = "(version unknown)";
  try {
    version = execFileSync(binary.path, ["version"], { encoding: "utf8", timeout: 30_000, env: { ...process.env, DO_NOT_TRACK: "1", INNGEST_NO_UPDATE_NOTIFIER: "1" } }).trim();
  } catch {
    // A wrapper may not pass `version` through; the files will say if the binary cannot run at all.
  }
  console.log(`engine suite: Inngest Dev Server ${version} (${binary.path}, from ${binary.source})`);
  return teardown;
}

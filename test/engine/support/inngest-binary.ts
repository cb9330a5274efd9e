/**
 * Which Inngest Dev Server binary the engine suite runs. In order:
 *   1. INNGEST_DEV_BIN — a path to an `inngest` binary (or an executable wrapper that takes its arguments);
 *   2. `inngest` on PATH (`npm install -g inngest-cli` puts it there);
 *   3. ../shared/tools/inngest-dev/inngest-dev next to the repository (the machines here: the Dev
 *      Server built from source, unpacked by its wrapper; `--path` prints the binary).
 * None of them → an error that says how to get one. The suite never skips for want of an engine.
 */
import { execFileSync } from "node:child_process";
import { delimiter, resolve } from "node:path";
import { isExecutableFile } from "../../../src/dev/engine.js";
import { REPO_ROOT } from "./repo.js";

export interface InngestBinary {
  path: string;
  /** Where it came from, for messages. */
  source: string;
}

export class NoInngestBinaryError extends Error {
  override readonly name = "NoInngestBinaryError";
}

export const HOW_TO_GET_ONE = [
  "The engine suite runs the real Inngest Dev Server, and none was found. On a machine with internet:",
  "  npm install -g inngest-cli       # puts `inngest` on PATH (the program `npx inngest-cli@latest dev` runs)",
  "or set INNGEST_DEV_BIN to the path of an `inngest` binary of your own. On the shared build machines the",
  "suite finds ../shared/tools/inngest-dev/inngest-dev next to the repository by itself (it needs xz).",
].join("\n");


export function resolveInngestBinary(env: NodeJS.ProcessEnv = process.env, repoRoot: string = REPO_ROOT): InngestBinary {
  const explicit = env.INNGEST_DEV_BIN;
  if (explicit) {
    // Set but wrong is a mistake to report, not a reason to quietly use another engine.
    if (!isExecutableFile(explicit)) throw new NoInngestBinaryError(`INNGEST_DEV_BIN=${explicit} is not an executable file.\n${HOW_TO_GET_ONE}`);
    return { path: explicit, source: "INNGEST_DEV_BIN" };
  }
  for (const dir of (env.PATH ?? "").split(delimiter).filter(Boolean)) {
    const candidate = resolve(dir, "inngest");
    if (isExecutableFile(candidate)) return { path: candidate, source: "PATH" };
  }
  const wrapper = resolve(repoRoot, "../shared/tools/inngest-dev/inngest-dev");
  if (isExecutableFile(wrapper)) {
    let path: string;
    try {
      path = execFileSync(wrapper, ["--path"], { encoding: "utf8", env: { ...env }, stdio: ["ignore", "pipe", "pipe"] }).trim();
    } catch (err) {
      const stderr = String((err as { stderr?: unknown }).stderr ?? "").trim();
      throw new NoInngestBinaryError(`${wrapper} --path failed${stderr ? `: ${stderr}` : ""} (it needs xz to unpack the binary).\n${HOW_TO_GET_ONE}`);
    }
    if (!isExecutableFile(path)) throw new NoInngestBinaryError(`${wrapper} --path printed ${JSON.stringify(path)}, which is not an executable file.\n${HOW_TO_GET_ONE}`);
    return { path, source: wrapper };
  }
  throw new NoInngestBinaryError(`no INNGEST_DEV_BIN, no \`inngest\` on PATH, no ${wrapper}.\n${HOW_TO_GET_ONE}`);
}

/** Where the repository is, found from this file upwards (it also runs bundled, from .bench/). */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

export const REPO_ROOT = (() => {
  for (let dir = import.meta.dirname; ; dir = resolve(dir, "..")) {
    const pkg = resolve(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "ayida-jobs") return dir;
    if (dir === resolve(dir, "..")) throw new Error(`the ayida-jobs repository was not found above ${import.meta.dirname}`);
  }
})();

/** The built CLI, run the way users run it (`npm run build` first; `pretest:engine` does). */
export const BIN = resolve(REPO_ROOT, "bin/ayida-jobs.js");

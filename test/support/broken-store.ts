/**
 * Stores that cannot be written, for real: the CLI is run under a wrapper that makes the disk or the
 * file refuse writes, the way the kernel does in production — not a flag of ours.
 *
 * - A read-only database file: as an ordinary user, mode 0444 (its folder stays writable, as when serve
 *   runs as another user than the file's owner). Root ignores file modes, so as root the file is bind-
 *   mounted read-only onto itself in a mount namespace of the CLI's own (`unshare -m`): open(O_RDWR)
 *   fails with EROFS and SQLite opens it read-only, as it does a file it may not write.
 * - A full disk: a tmpfs of `sizeMiB` over the folder, in a mount namespace of its own (root: `unshare
 *   -m`; otherwise a user namespace too, `unshare -rm`), filled by a file before the CLI runs.
 * Linux only (mount namespaces); an environment that allows none says so instead of passing.
 */
import { spawnSync } from "node:child_process";
import { chmodSync } from "node:fs";

const isRoot = process.getuid?.() === 0;

function mountNamespace(): string[] {
  const flags = isRoot ? ["-m"] : ["-r", "-m"];
  const probe = spawnSync("unshare", [...flags, "true"], { encoding: "utf8" });
  if (probe.status !== 0) {
    throw new Error(`these tests need a mount namespace (unshare ${flags.join(" ")}): ${probe.stderr || probe.error?.message}; run them as root or with unprivileged user namespaces enabled`);
  }
  return ["unshare", ...flags];
}

/** A wrapper under which `file` is read-only to the CLI (see above). */
export function readOnlyFile(file: string): string[] {
  if (!isRoot) {
    chmodSync(file, 0o444);
    return [];
  }
  return [...mountNamespace(), "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"', file];
}

/**
 * A wrapper under which `dir` is a fresh tmpfs of `sizeMiB`: `before` (a command line, e.g. the CLI
 * creating its store) runs first, then a file fills the disk up to `leaveKiB` free (default: no
 * filling, a small disk), then the CLI.
 */
export function onFullDisk(dir: string, o: { sizeMiB: number; leaveKiB?: number; before?: readonly string[] }): string[] {
  const quoted = (o.before ?? ["true"]).map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  const leave = o.leaveKiB ?? o.sizeMiB * 1024;
  const script = [
    `mount -t tmpfs -o size=${o.sizeMiB}m tmpfs "$0" || exit 96`,
    `${quoted} >/dev/null 2>&1 || { echo "the set-up command failed" >&2; exit 97; }`,
    `free=$(( $(stat -f -c '%a*%S' "$0") / 1024 ))`,
    `if [ "$free" -gt ${leave} ]; then head -c $(( (free - ${leave}) * 1024 )) /dev/zero > "$0/.fill" 2>/dev/null; fi`,
    `exec "$@"`,
  ].join("\n");
  return [...mountNamespace(), "sh", "-c", script, dir];
}

/**
 * A new run's id: a random UUID (version 4).
 *
 * From the OS's random source read as a file, not from node:crypto: loading node:crypto brings Node's
 * stream classes with it (~36 internal modules, ~4 ms), and a dry run needs nothing else of them (a
 * send loads it anyway, for the SDK). Only a character device is taken for the source: a plain file put
 * at its path would give every run the same id, and event ids carry the run id (Inngest would drop the
 * later runs' events as duplicates). Where there is no such device (Windows), Web Crypto's.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

export function randomRunId(): string {
  return randomRunIdFrom(process.platform === "win32" ? undefined : "/dev/urandom");
}

/** The same, from `source` (a test gives another path). */
export function randomRunIdFrom(source: string | undefined): string {
  const b = Buffer.alloc(16);
  if (source === undefined || !readRandom(source, b)) return crypto.randomUUID();
  b[6] = (b[6]! & 0x0f) | 0x40; // version 4
  b[8] = (b[8]! & 0x3f) | 0x80; // variant 10xx (RFC 9562)
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function readRandom(source: string, into: Buffer): boolean {
  try {
    const fd = openSync(source, "r");
    try {
      if (!fstatSync(fd).isCharacterDevice()) return false;
      let got = 0;
      while (got < into.length) {
        const n = readSync(fd, into, got, into.length - got, null);
        if (n <= 0) return false;
        got += n;
      }
      return true;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

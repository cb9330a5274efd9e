/**
 * stdout and stderr for the CLI, without Node's stream machinery where Node itself writes synchronously.
 *
 * Reading `process.stdout` builds a stream: Node loads some twenty internal modules for it (the stream
 * classes), ~5 ms of a start that `--help` or a dry run spends ~15–30 ms on beyond Node's own. To a
 * regular file or /dev/null Node writes synchronously anyway (its SyncWriteStream): there the bytes go
 * out with `fs.writeSync` and no stream is built. A pipe, a socket or a terminal gets Node's stream: a
 * blocking write to a pipe whose reader has stopped would hold the event loop, and with it Ctrl-C and
 * SIGTERM (Node's pipe stream queues instead), and a terminal needs its width and resize events.
 *
 * What the stream would have done, this does too: a partial write is finished, and a failed one (a full
 * disk) becomes an "error" event, once, after which writes are dropped. (A file or /dev/null never
 * answers EAGAIN or EPIPE: those are a pipe's, which Node's stream handles.)
 */
import { fstatSync, statSync, writeSync } from "node:fs";

export interface CliStream {
  write(s: string | Uint8Array, callback?: () => void): boolean;
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

type ErrorListener = (err: NodeJS.ErrnoException) => void;

export class FdStream implements CliStream {
  readonly isTTY = false;
  private errorListeners: ErrorListener[] = [];
  private failed = false;

  constructor(
    private readonly fd: number,
    private readonly write_: (fd: number, b: Uint8Array, offset: number, length: number) => number = writeSync,
  ) {}

  write(s: string | Uint8Array, callback?: () => void): boolean {
    if (!this.failed) {
      const bytes = typeof s === "string" ? Buffer.from(s) : s;
      try {
        for (let done = 0; done < bytes.length; ) done += this.write_(this.fd, bytes, done, bytes.length - done);
      } catch (e) {
        // As a stream would: the error is an event (after this write returns), and nothing more is written.
        this.failed = true;
        process.nextTick(() => {
          for (const l of this.errorListeners) l(e as NodeJS.ErrnoException);
          if (this.errorListeners.length === 0) throw e;
        });
      }
    }
    if (callback) process.nextTick(callback);
    return true;
  }

  on(event: string, listener: (...args: any[]) => void): this {
    if (event === "error") this.errorListeners.push(listener);
    return this;
  }

  off(_event: string, listener: (...args: any[]) => void): this {
    this.errorListeners = this.errorListeners.filter((l) => l !== listener);
    return this;
  }
}

/** The CLI's stream for descriptor 1 or 2: an FdStream for a file or /dev/null, Node's own stream otherwise. */
export function stdStream(fd: 1 | 2): CliStream {
  return writesPlainly(fd) ? new FdStream(fd) : fd === 1 ? process.stdout : process.stderr;
}

/** A regular file or /dev/null: written synchronously, by Node as by us, never waiting on a reader. */
export function writesPlainly(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    if (st.isFile()) return true;
    return st.isCharacterDevice() && st.rdev === statSync("/dev/null").rdev;
  } catch {
    return false; // closed or odd: Node's stream decides what that means, as before
  }
}

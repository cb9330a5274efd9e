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
 * What the stream would have done, this does too: a partial write is finished; a reader that went away
 * (EPIPE) becomes an "error" event, once, after which writes are dropped; and a descriptor someone made
 * non-blocking (EAGAIN) hands the rest, and every write after it, to Node's stream, in order, with the
 * "error" listeners moved across.
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
  /** Node's stream, once a write met EAGAIN: from then on everything goes through it. */
  private handedOver?: CliStream;

  constructor(
    private readonly fd: number,
    private readonly nodeStream: () => CliStream,
    private readonly write_: (fd: number, b: Uint8Array, offset: number, length: number) => number = writeSync,
  ) {}

  write(s: string | Uint8Array, callback?: () => void): boolean {
    if (this.handedOver) return this.handedOver.write(s, callback);
    if (!this.failed) {
      const bytes = typeof s === "string" ? Buffer.from(s) : s;
      let done = 0;
      try {
        while (done < bytes.length) done += this.write_(this.fd, bytes, done, bytes.length - done);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === "EAGAIN") return this.handOver().write(bytes.subarray(done), callback); // bytes: a cut may fall inside a character
        // As a stream would: the error is an event (after this write returns), and nothing more is written.
        this.failed = true;
        process.nextTick(() => {
          for (const l of this.errorListeners) l(err);
          if (this.errorListeners.length === 0) throw err;
        });
      }
    }
    if (callback) process.nextTick(callback);
    return true;
  }

  on(event: string, listener: (...args: any[]) => void): this {
    if (this.handedOver) this.handedOver.on(event, listener);
    else if (event === "error") this.errorListeners.push(listener);
    return this;
  }

  off(event: string, listener: (...args: any[]) => void): this {
    if (this.handedOver) this.handedOver.off(event, listener);
    else this.errorListeners = this.errorListeners.filter((l) => l !== listener);
    return this;
  }

  get columns(): number | undefined {
    return undefined;
  }

  private handOver(): CliStream {
    const stream = this.nodeStream();
    for (const l of this.errorListeners) stream.on("error", l);
    this.handedOver = stream;
    return stream;
  }
}

/** The CLI's stream for descriptor 1 or 2: an FdStream for a file or /dev/null, Node's own stream otherwise. */
export function stdStream(fd: 1 | 2): CliStream {
  const node = () => (fd === 1 ? process.stdout : process.stderr);
  return writesPlainly(fd) ? new FdStream(fd, node) : node();
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

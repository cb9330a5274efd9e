/**
 * The CLI's stdout/stderr writer (src/cli/std-stream.ts): what goes to a file or /dev/null is written
 * by descriptor, as Node's stream would have written it: every byte, in order, a failed write an
 * "error" event once; a pipe keeps Node's stream (a signal still ends a command whose reader stalled).
 */
import { execFileSync, spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FdStream, writesPlainly } from "../../src/cli/std-stream.js";
import { BIN } from "../support/cli.js";

const errno = (code: string) => Object.assign(new Error(code), { code });

describe("FdStream", () => {
  it("finishes a partial write: every byte, in order", () => {
    const written: Buffer[] = [];
    const s = new FdStream(1, (_fd, b, off, len) => {
      const n = Math.min(3, len); // the kernel takes 3 bytes at a time
      written.push(Buffer.from(b.subarray(off, off + n)));
      return n;
    });
    s.write("héllo, wörld\n");
    s.write(Buffer.from("and bytes"));
    expect(Buffer.concat(written).toString()).toBe("héllo, wörld\nand bytes");
  });

  it("a failed write (a full disk) is one 'error' event after the write, and nothing is written after it", async () => {
    let calls = 0;
    const s = new FdStream(1, () => {
      calls++;
      throw errno("ENOSPC");
    });
    const errors: string[] = [];
    s.on("error", (e: NodeJS.ErrnoException) => errors.push(e.code!));
    s.write("a\n");
    expect(errors).toEqual([]); // not inside write(): as a stream, on a later tick
    s.write("b\n");
    await new Promise((r) => setImmediate(r));
    expect(errors).toEqual(["ENOSPC"]);
    expect(calls).toBe(1);
  });

  it("calls a write's callback once the bytes are out", async () => {
    const s = new FdStream(1, (_fd, _b, _off, len) => len);
    const done = await new Promise<boolean>((resolve) => s.write("", () => resolve(true)));
    expect(done).toBe(true);
  });
});

describe("which descriptors are written directly", () => {
  const dir = mkdtempSync(join(tmpdir(), "ayida-std-"));
  const check = (path: string, flags = "w") => {
    const fd = openSync(path, flags);
    try {
      return writesPlainly(fd);
    } finally {
      closeSync(fd);
    }
  };
  it("a file and /dev/null are; a pipe (its reader may stall: a blocking write would hold Ctrl-C) and another character device (a terminal's kind) are not", () => {
    expect(check(join(dir, "out.txt"))).toBe(true);
    expect(check("/dev/null")).toBe(true);
    expect(check("/dev/zero")).toBe(false);
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    expect(check(fifo, "r+")).toBe(false); // r+: open a FIFO without waiting for a reader
  });
  it("a closed descriptor is left to Node", () => {
    const fd = openSync(join(dir, "closed"), "w");
    closeSync(fd);
    expect(writesPlainly(fd)).toBe(false);
  });
});

describe("the built CLI's output, by where stdout goes", () => {
  const runTo = (stdout: number | "pipe", args: string[]) =>
    new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ["--", BIN, ...args], { stdio: ["ignore", stdout, "pipe"], env: { PATH: process.env.PATH ?? "", CI: "1" } });
      let out = "";
      child.stdout?.on("data", (c) => (out += c));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, out }));
    });

  it("a file gets exactly what a pipe gets: the help, the dry run's one JSON document", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ayida-std-out-"));
    for (const args of [["--help"], ["detail", "123456", "--dry-run", "--json", "--run-id", "r-1"]]) {
      const path = join(dir, `${args[0]}.txt`);
      const fd = openSync(path, "w");
      const toFile = await runTo(fd, args);
      closeSync(fd);
      const toPipe = await runTo("pipe", args);
      expect(toFile.code).toBe(0);
      expect(toPipe.code).toBe(0);
      const stamp = (s: string) => s.replace(/"timestamp":"[^"]+"/g, '"timestamp":"…"'); // the one thing that differs
      expect(stamp(readFileSync(path, "utf8"))).toBe(stamp(toPipe.out));
      expect(readFileSync(path, "utf8").length).toBeGreaterThan(100);
    }
  });

  it("a signal while stdout's reader is not reading still ends the command (143), not 0 when the reader comes back", async () => {
    // 10,000 codes under --dry-run --json: a JSON document far larger than a pipe holds.
    const codes = Array.from({ length: 10_000 }, (_, i) => String(100000 + i)).join("\n");
    const child = spawn(process.execPath, ["--", BIN, "detail", "--file", "-", "--dry-run", "--json"], { stdio: ["pipe", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "", CI: "1" } });
    child.stdin.end(codes);
    child.stdout.pause(); // the reader stops: the pipe fills and the CLI's writes wait
    // 143 from our handler, or SIGTERM itself once the command is done and only its output waits (what a shell shows as 143).
    const exited = new Promise<number | string | null>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal)));
    await new Promise((r) => setTimeout(r, 1500));
    child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 1000));
    child.stdout.resume(); // the reader comes back: a CLI stuck in a write would now finish with 0
    expect([143, "SIGTERM"]).toContain(await exited);
  });

  it("a reader that goes away ends any command with 141 and no stack, the completion script's included", async () => {
    for (const args of [["completion", "bash"], ["--help"]]) {
      const child = spawn(process.execPath, ["--", BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "", CI: "1" } });
      child.stdout.destroy(); // closed before the first byte
      let stderr = "";
      child.stderr.on("data", (c) => (stderr += c));
      const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
      expect(code, `${args.join(" ")}: ${stderr}`).toBe(141);
      expect(stderr).not.toMatch(/Unhandled|at .*\.js:\d+/);
    }
  });

  it("stdout that cannot be written (a full disk: /dev/full) is 74 and one line on stderr, no stack; a full stderr keeps the exit code", async () => {
    const run = (args: string[], which: "stdout" | "stderr") =>
      new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const full = openSync("/dev/full", "w");
        const child = spawn(process.execPath, ["--", BIN, ...args], { stdio: ["ignore", which === "stdout" ? full : "ignore", which === "stderr" ? full : "pipe"], env: { PATH: process.env.PATH ?? "", CI: "1" } });
        closeSync(full);
        let stderr = "";
        child.stderr?.on("data", (c) => (stderr += c));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stderr }));
      });
    for (const args of [["--help"], ["detail", "1", "--dry-run", "--json"]]) {
      const r = await run(args, "stdout");
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(74);
      expect(r.stderr).toMatch(/^error: cannot write to stdout: ENOSPC/m);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
    expect((await run(["nosuch"], "stderr")).code).toBe(2); // the usage error's code, though its message was lost
  });
});

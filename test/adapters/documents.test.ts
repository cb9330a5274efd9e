/** What only the folder store does, on a real temp directory (the contract both stores keep: document-store.contract.test.ts). */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { beforeEach, describe, expect, it } from "vitest";
import { FolderDocumentStore, SizeMismatchError } from "../../src/adapters/store/documents.js";

let root: string;
let docs: FolderDocumentStore;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "ayida-docs-"));
  docs = new FolderDocumentStore(root);
});

function chunks(buf: Buffer, size = 1000): Readable {
  return Readable.from((function* () {
    for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
  })());
}

describe("FolderDocumentStore", () => {
  it("sweeps the temporary files a killed worker left for the same document, but not a live writer's", async () => {
    mkdirSync(join(root, "123"));
    const stale = join(root, "123", "6-e.pdf.part-dead01");
    const live = join(root, "123", "6-e.pdf.part-live02");
    const other = join(root, "123", "7-f.pdf.part-dead03");
    for (const f of [stale, live, other]) writeFileSync(f, "partial");
    const hourAgo = new Date(Date.now() - 60 * 60_000);
    utimesSync(stale, hourAgo, hourAgo);
    utimesSync(other, hourAgo, hourAgo);
    await docs.store("123/6-e.pdf", chunks(Buffer.from("whole")), 5);
    expect(readdirSync(join(root, "123")).sort()).toEqual(["6-e.pdf", "6-e.pdf.part-live02", "7-f.pdf.part-dead03"]);
  });

  it("sweeps only temporary files: a finished document stays, even an old one whose name begins with this one's, and a failed download keeps the previous version", async () => {
    mkdirSync(join(root, "123"));
    const previous = join(root, "123", "6"); // document 6 without a file name, stored an hour ago
    const neighbour = join(root, "123", "60-x.pdf");
    writeFileSync(previous, "previous");
    writeFileSync(neighbour, "neighbour");
    const hourAgo = new Date(Date.now() - 60 * 60_000);
    utimesSync(previous, hourAgo, hourAgo);
    utimesSync(neighbour, hourAgo, hourAgo);
    await expect(docs.store("123/6", chunks(Buffer.from("short")), 6)).rejects.toBeInstanceOf(SizeMismatchError);
    expect(readdirSync(join(root, "123")).sort()).toEqual(["6", "60-x.pdf"]);
    expect(readFileSync(previous, "utf8")).toBe("previous");
  });

  it("a temporary file written to minutes ago may be a slow download's: kept; one untouched for over ten minutes is swept", async () => {
    mkdirSync(join(root, "123"));
    const slow = join(root, "123", "8-g.pdf.part-slow01");
    const dead = join(root, "123", "8-g.pdf.part-dead02");
    writeFileSync(slow, "partial");
    writeFileSync(dead, "partial");
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
    utimesSync(slow, minutesAgo(5), minutesAgo(5));
    utimesSync(dead, minutesAgo(11), minutesAgo(11));
    await docs.store("123/8-g.pdf", chunks(Buffer.from("whole")), 5);
    expect(readdirSync(join(root, "123")).sort()).toEqual(["8-g.pdf", "8-g.pdf.part-slow01"]);
  });

  it("workers storing the same document at once sweep the same leftovers without tripping over each other", async () => {
    mkdirSync(join(root, "123"));
    const hourAgo = new Date(Date.now() - 60 * 60_000);
    for (let i = 0; i < 300; i++) {
      const f = join(root, "123", `9-h.pdf.part-dead${String(i).padStart(3, "0")}`);
      writeFileSync(f, "partial");
      utimesSync(f, hourAgo, hourAgo);
    }
    const body = Buffer.from("the same document");
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => docs.store("123/9-h.pdf", chunks(body, 4), body.length)));
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    expect(readdirSync(join(root, "123"))).toEqual(["9-h.pdf"]);
    expect(readFileSync(join(root, "123", "9-h.pdf")).equals(body)).toBe(true);
  });

  it("refuses a path that escapes the folder", () => {
    expect(() => docs.absolute("../outside")).toThrow(/escapes/);
  });
});

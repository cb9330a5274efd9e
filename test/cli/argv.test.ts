/**
 * argv → what the command does with it, in-process: every option's effect on the event built
 * (under --dry-run --json, so nothing is sent), and commander's own errors → exit 2.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";

// In-process runs share one process.env, which loading env files writes to: each run gets its own
// empty working directory (no .env.local or .env of the repository), and the env is restored after.
const savedEnv = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
  Object.assign(process.env, savedEnv);
});

async function run(args: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c) => (out += c));
  stderr.on("data", (c) => (err += c));
  const stdin = new PassThrough();
  stdin.end();
  const code = await main(["node", "ayida-jobs", ...args], { stdout, stderr, stdin, cwd: mkdtempSync(join(tmpdir(), "ayida-argv-")) });
  return { code, out, err };
}

describe("argv → events", () => {
  it.each([
    [["detail", "1"], [{ bdns: "1" }]],
    [["detail", "1", "2", "3"], [{ bdns: "1" }, { bdns: "2" }, { bdns: "3" }]],
    [["detail", "7", "7"], [{ bdns: "7" }]],
    [["detail", "000123", "123"], [{ bdns: "123" }]],
    [["--json", "detail", "1"], [{ bdns: "1" }]],
    [["detail", "--run-id", "r-9", "1"], [{ bdns: "1", runId: "r-9" }]],
    [["sync", "convocatorias"], [{}]],
    [["sync", "convocatorias", "--from", "2026-01-01"], [{ from: "2026-01-01" }]],
    [["sync", "convocatorias", "--to", "2026-01-07"], [{ to: "2026-01-07" }]],
    [["sync", "convocatorias", "--full"], [{ full: true }]],
    [["document", "123456", "doc-789"], [{ bdns: "123456", documentId: "doc-789" }]],
  ])("%j", async (args, expected) => {
    const r = await run([...args, "--dry-run", "--json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.dryRun).toBe(true);
    expect(doc.events.map((e: { data: unknown }) => e.data)).toEqual(expected.map((d) => expect.objectContaining(d)));
  });

  it.each([
    [["detail", "1", "--run-id"], /option '--run-id <id>' argument missing/],
    [["document", "1"], /missing required argument 'documentId'/],
    [["sync"], /missing required argument 'dataset'/],
    [["sync", "convocatorias", "extra"], /too many arguments/],
    [["--env-file"], /option '--env-file <path>' argument missing/],
  ])("%j → exit 2", async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it("--json makes usage errors a JSON document too", async () => {
    const r = await run(["--json", "document", "1"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out)).toMatchObject({ ok: false, error: { code: "USAGE", message: expect.stringContaining("documentId") } });
  });
});

import type { Command } from "commander";
import type { SourcedCode } from "../../contracts/build.js";
import type { CliContext } from "../context.js";
import { UsageError } from "../errors.js";
import { decodeTextFile } from "../text-file.js";
import { SEND_ENV_HELP, addSendOptions, loadSendPath, type SendCommandOptions } from "./send-options.js";

export function registerDetail(program: Command, ctx: CliContext): void {
  const command = program
    .command("detail")
    .description("request the detail of convocatorias (one convocatorias/detail.requested per BDNS code)")
    .argument("[bdns...]", "BDNS codes: 1–10 digits, not 0; leading zeros are dropped (000123 is 123)")
    .option("-f, --file <path>", "read codes from a file, one per line ('-' for stdin; blank lines and # comments ignored)");
  addSendOptions(command, "events")
    .addHelpText(
      "after",
      `
All codes are validated before anything is sent: one bad code and nothing is sent (the first 10
problems are shown, with a count; --json lists them all). Events go out in batches of 500, one request
each; a failure says which were sent. Each result line carries the runId (also under -q).

Examples:
  $ ayida-jobs detail 123456
  $ ayida-jobs detail 123456 654321 --run-id "$CI_PIPELINE_ID"
  $ ayida-jobs detail 123456 --wait                # until it and its documents are stored
  $ ayida-jobs detail --file codes.txt
  $ cut -f1 export.tsv | ayida-jobs detail --file - --json
  $ ayida-jobs detail 123456 --dry-run --json | jq .events[0]
${SEND_ENV_HELP}`,
    )
    .action(async (codes: string[], o: SendCommandOptions & { file?: string }) => {
      ctx.state.command = "detail";
      const { build, emit } = await loadSendPath();
      const run = build.newRunContext({ runId: o.runId });
      ctx.state.runId = run.runId;
      const all: SourcedCode[] = codes.map((code, i) => ({ code, source: `bdns (argument ${i + 1})` }));
      if (o.file !== undefined) all.push(...(await readCodes(ctx, o.file)));
      if (all.length === 0) throw new UsageError("bdns: no BDNS code given; pass codes as arguments or with --file");
      const events = build.buildDetailRequests(all, run);
      const duplicates = all.length - events.length;
      if (duplicates > 0) ctx.out.info(`${duplicates} duplicate code(s) ignored`);
      await emit(ctx, "detail", events, run.runId, { dryRun: Boolean(o.dryRun), timeout: o.timeout, wait: o });
    });
}

/** One code per line; blank lines and `#` comments skipped; each code remembers its line for errors. */
export async function readCodes(ctx: CliContext, file: string): Promise<SourcedCode[]> {
  const name = file === "-" ? "stdin" : file;
  let bytes: Buffer;
  try {
    // node:fs/promises only when a file is read: it brings streams and readline, which no other start needs.
    bytes = file === "-" ? await readStream(ctx.stdin) : await (await import("node:fs/promises")).readFile(file);
  } catch (err) {
    throw new UsageError(`--file: cannot read ${name}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const text = decodeTextFile(bytes, "--file", name);
  const codes: SourcedCode[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, "").trim();
    if (line) codes.push({ code: line, source: `bdns (line ${i + 1} of ${name})` });
  });
  return codes;
}

async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === "string" ? Buffer.from(c) : c);
  return Buffer.concat(chunks);
}

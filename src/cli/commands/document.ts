import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { SEND_ENV_HELP, addSendOptions, loadSendPath, type SendCommandOptions } from "./send-options.js";

export function registerDocument(program: Command, ctx: CliContext): void {
  const command = program
    .command("document")
    .description("request storage of one document of a convocatoria (sends documents/storage.requested)")
    .argument("<bdns>", "BDNS code of the convocatoria (1–10 digits, not 0; leading zeros are dropped)")
    .argument("<documentId>", "document id (1–64 letters, digits, '.', '_', '-')");
  addSendOptions(command, "event")
    .addHelpText(
      "after",
      `
Examples:
  $ ayida-jobs document 123456 doc-789
  $ ayida-jobs document 929816 1462210 --json
${SEND_ENV_HELP}`,
    )
    .action(async (bdns: string, documentId: string, o: SendCommandOptions) => {
      ctx.state.command = "document";
      const { build, emit } = await loadSendPath();
      const run = build.newRunContext({ runId: o.runId });
      ctx.state.runId = run.runId;
      await emit(ctx, "document", [build.buildDocumentRequest(bdns, documentId, run)], run.runId, { dryRun: Boolean(o.dryRun), timeout: o.timeout, wait: o });
    });
}

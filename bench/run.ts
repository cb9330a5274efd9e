/**
 * `npm run bench [section…]`: the speed and memory targets of the issues, measured against
 * baselines taken in the same run. Sections: cli, jobs, server, datasets, budget, documents (a 200 MB
 * document into the folder and into S3), store-reads (the portal's reads at volume), engine (the pipeline
 * on the real Inngest Dev Server: it needs the Dev Server binary, as the engine suite does). Exit 1 when
 * a target is missed.
 */
import os from "node:os";
import { benchCli } from "./cli.js";
import { benchBudget, budgetWorker, serveBudgetBdns } from "./budget.js";
import { benchEngine } from "./engine.js";
import { benchJobs, serveFakeBdns } from "./jobs.js";
import { benchDocuments, serveFakeS3, storeBigDocument } from "./documents.js";
import { benchServer } from "./server.js";
import { benchDatasets, serveFakeDatasets } from "./datasets.js";
import { benchStoreReads } from "./store-reads.js";

const sections: Record<string, () => Promise<boolean>> = { cli: () => benchCli(), jobs: () => benchJobs(), server: () => benchServer(), datasets: () => benchDatasets(), budget: () => benchBudget(), engine: () => benchEngine(), documents: () => benchDocuments(), "store-reads": () => benchStoreReads() };

async function main(wanted: string[]): Promise<void> {
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`);
  let ok = true;
  for (const name of wanted) {
    const run = sections[name];
    if (!run) throw new Error(`unknown bench section ${name}; known: ${Object.keys(sections).join(", ")}`);
    console.log(`\n## ${name}`);
    ok = (await run()) && ok;
  }
  process.exitCode = ok ? 0 : 1;
}

// The bench re-runs itself as a child to serve a fake BDNS from another process (see jobs.ts), and as
// serve-like workers sharing one budget (budget.ts).
if (process.argv[2] === "--serve-fake-bdns") await serveFakeBdns(process.argv[3] ?? "");
else if (process.argv[2] === "--serve-fake-s3") await serveFakeS3(process.argv[3] ?? "");
else if (process.argv[2] === "--store-big-document") await storeBigDocument(process.argv[3] ?? "{}");
else if (process.argv[2] === "--serve-fake-datasets") await serveFakeDatasets(process.argv[3] ?? "");
else if (process.argv[2] === "--budget-bdns") await serveBudgetBdns();
else if (process.argv[2] === "--budget-worker") await budgetWorker(process.argv[3] ?? "{}");
else await main(process.argv.length > 2 ? process.argv.slice(2) : Object.keys(sections));

/** Process entry (dist/cli.js): run main and set the exit code without cutting output short. */
import { main } from "./main.js";

process.exitCode = await main();

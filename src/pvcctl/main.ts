/**
 * The `pvcctl` command. Each subsystem registers its own command group; this file only lists them
 * and turns errors into one line and an exit code (0 ok, 1 failure, 2 usage error).
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { ErrorCodes, isPvcError } from "../errors.ts";
import { registerResourceCommands } from "./commands/resources.ts";
import { registerSchemaCommands } from "./commands/schemas.ts";
import { registerServeCommands } from "./commands/serve.ts";
import { registerSimCommands } from "./commands/sim.ts";
import { registerStackCommands } from "./commands/stack.ts";

/** The version people install: package.json's, read at run time (there is no build step to stamp it). */
const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const program = new Command("pvcctl")
  .description("declarative control plane for PVC")
  .version(version, "-V, --version", "print the version of pvcctl")
  .option("-v, --verbose", "print stack traces with errors")
  // Before the register calls: subcommands inherit it, and we choose the exit codes below.
  .exitOverride();

// A reader that stops early (`pvcctl get … | head`) closes the pipe: that ends the command, quietly,
// as it does for other Unix tools, instead of an unhandled EPIPE and a stack trace.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

registerStackCommands(program);
registerServeCommands(program);
registerSimCommands(program);
registerResourceCommands(program);
registerSchemaCommands(program);

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  if (isPvcError(err, ErrorCodes.CONFIG_INVALID)) return 2;
  return 1;
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Commander has already printed its own usage message.
  if (!(err instanceof CommanderError)) {
    const verbose =
      program.opts().verbose === true || process.argv.includes("-v") || process.argv.includes("--verbose");
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`pvcctl: ${message}\n`);
    if (verbose) {
      for (let e: unknown = err; e instanceof Error; e = e.cause) process.stderr.write(`${e.stack}\n`);
    }
  }
  process.exitCode = exitCodeFor(err);
}

/**
 * `pvcctl schemas --out DIR`: writes the kinds' JSON Schemas (the envelope, one file per kind, and
 * resource.json for a document of any kind) where an editor can use them; prints each path written.
 * A manifest then names its schema: `# yaml-language-server: $schema=DIR/resource.json`
 * (src/resources/editor-schemas.ts).
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { ANY_KIND_FILE, writeSchemaFiles } from "../../resources/editor-schemas.ts";

export function registerSchemaCommands(program: Command): void {
  program
    .command("schemas")
    .description("write the kinds' JSON Schemas (for editors) into a folder")
    .requiredOption("--out <dir>", "folder to write them into (created if missing)")
    .action((options: { out: string }) => {
      const dir = resolve(options.out);
      for (const path of writeSchemaFiles(dir)) process.stdout.write(`${path}\n`);
      process.stderr.write(
        `manifests name it with: # yaml-language-server: $schema=${resolve(dir, ANY_KIND_FILE)}\n`,
      );
    });
}

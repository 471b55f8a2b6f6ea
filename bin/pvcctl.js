#!/usr/bin/env node
import { createHash } from "node:crypto";
// Entry point of `pvcctl`. The sources are TypeScript with no build step to remember: at start,
// this runs them as a bundle esbuild made of them (src/pvcctl/main.ts and what it imports), kept
// in .build/pvcctl-<fingerprint>/ and made again (0.1-0.2 s) when a source file changed. Why not
// tsx at run time, as before: its loader thread and per-module transforms cost ~0.4 s at every
// start (CI spawns pvcctl ~150 times) and 20-30 MiB in a long-running `pvcctl serve` (issue 16).
// The bundle sits two folders below the project, as src/<x>/ files do, so their
// `new URL("../../schemas/", import.meta.url)` resolve the same. Falls back to tsx when the
// bundle cannot be made (a read-only checkout, no esbuild) or with PVCCTL_TSX=1.
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const SOURCES = ["src", "api", "controllers"];

/** A hash of every source file's path, size and modification time. */
function fingerprint() {
  const hash = createHash("sha256");
  for (const dir of SOURCES) {
    for (const rel of readdirSync(join(root, dir), { recursive: true }).sort()) {
      if (!/\.(ts|js|json)$/.test(rel)) continue;
      const s = statSync(join(root, dir, rel));
      hash.update(`${dir}/${rel}\0${s.size}\0${s.mtimeMs}\n`);
    }
  }
  hash.update(statSync(join(root, "package-lock.json"), { throwIfNoEntry: false })?.mtimeMs.toString() ?? "");
  return hash.digest("hex").slice(0, 16);
}

/** The bundle's entry file, made if missing; undefined when it cannot be made. */
async function bundle() {
  const build = join(root, ".build");
  const dir = join(build, `pvcctl-${fingerprint()}`);
  const entry = join(dir, "main.js");
  if (statSync(entry, { throwIfNoEntry: false })) return entry;
  const esbuild = await import("esbuild");
  // Made aside, then renamed: processes starting together never see half a bundle.
  const tmp = join(build, `tmp-${process.pid}-${Date.now()}`);
  mkdirSync(tmp, { recursive: true });
  try {
    await esbuild.build({
      entryPoints: [join(root, "src/pvcctl/main.ts")],
      outdir: tmp,
      bundle: true,
      splitting: true, // commands load their heavy parts (server, GitOps, stack) when they run
      format: "esm",
      platform: "node",
      target: "node20",
      packages: "external",
      sourcemap: "linked",
      keepNames: true,
      logLevel: "error",
    });
    // esbuild's service process would otherwise live as long as this one (a whole `serve`).
    await esbuild.stop();
    try {
      renameSync(tmp, dir);
    } catch {
      // Another process made it first.
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  // Bundles of older sources, unused for a day.
  for (const old of readdirSync(build)) {
    const path = join(build, old);
    if (path !== dir && Date.now() - statSync(path).mtimeMs > 86_400_000)
      rmSync(path, { recursive: true, force: true });
  }
  return statSync(entry, { throwIfNoEntry: false }) ? entry : undefined;
}

let entry;
if (process.env.PVCCTL_TSX !== "1") {
  try {
    entry = await bundle();
  } catch {
    entry = undefined;
  }
}
if (entry) {
  // TypeScript positions in stack traces when they are asked for.
  if (process.argv.includes("--verbose") || process.argv.includes("-v")) process.setSourceMapsEnabled(true);
  await import(pathToFileURL(entry).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/pvcctl/main.ts");
}

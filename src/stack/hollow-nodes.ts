/**
 * Hollow nodes: `pvcctl sim run` (src/sim) plays PVC node daemons against the stack's ZooKeeper, so
 * the reconciler sees registered nodes. We only start it, wait for its ready file and read it back.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Daemon } from "./process.ts";
import { spawnDaemon, waitFor } from "./process.ts";
import { parseNodeSpec } from "./settings.ts";
import type { StackPaths } from "./state.ts";
import { logFile, rmIfExists } from "./state.ts";

const PVCCTL = fileURLToPath(new URL("../../bin/pvcctl.js", import.meta.url));

/** `zkConnect`: every ZooKeeper server, as the stack's PVC_ZK_CONNECT says. */
export function simArgs(paths: StackPaths, zkConnect: string, nodes: string): string[] {
  return [PVCCTL, "sim", "run", "--zk", zkConnect, "--nodes", nodes, "--ready-file", paths.simReady];
}

export async function startHollowNodes(paths: StackPaths, zkConnect: string, nodes: string): Promise<Daemon> {
  // A ready file left from an earlier run would make us report ready before this sim registered anything.
  rmIfExists(paths.simReady);
  return spawnDaemon({
    command: process.execPath,
    args: simArgs(paths, zkConnect, nodes),
    log: logFile(paths, "sim"),
    cwd: paths.dir,
  });
}

export async function waitHollowNodes(paths: StackPaths, check: () => void): Promise<void> {
  await waitFor(
    "hollow nodes (sim run)",
    { timeoutMs: 20_000, log: logFile(paths, "sim"), check },
    async () => {
      try {
        readFileSync(paths.simReady);
        return true;
      } catch {
        return undefined;
      }
    },
  );
}

/**
 * Node names from the ready file. Its format belongs to src/sim, so accept JSON (`{"nodes":[...]}`,
 * names or objects with `name`, or a bare array) or whitespace/comma separated names, and fall back
 * to the spec the sim was started with.
 */
export function hollowNodeNames(readyText: string | null, spec: string | null): string[] {
  if (readyText?.trim()) {
    try {
      const parsed = JSON.parse(readyText) as unknown;
      const list = Array.isArray(parsed) ? parsed : (parsed as { nodes?: unknown })?.nodes;
      if (Array.isArray(list)) {
        const names = list
          .map((n) => (typeof n === "string" ? n : (n as { name?: unknown })?.name))
          .filter((n): n is string => typeof n === "string");
        if (names.length > 0) return names;
      }
    } catch {
      const words = readyText.split(/[\s,]+/).filter((w) => /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(w));
      if (words.length > 0) return words;
    }
  }
  return spec ? parseNodeSpec(spec).map((n) => n.name) : [];
}

export function readHollowNodeNames(paths: StackPaths, spec: string | null): string[] {
  let text: string | null = null;
  try {
    text = readFileSync(paths.simReady, "utf8");
  } catch {
    // Not ready (yet); the spec still says which nodes were asked for.
  }
  return hollowNodeNames(text, spec);
}

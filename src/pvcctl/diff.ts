/**
 * `pvcctl diff`: what an apply would change, per object, as a unified diff of the fields a
 * manifest owns — spec, labels, annotations — with defaults filled in on both sides (the live
 * object is stored validated; the manifest is validated here with the server's own rules), so
 * that applying the same manifest twice shows nothing.
 */
import { createTwoFilesPatch } from "diff";
import { SERVER_ANNOTATIONS } from "../resources/annotations.ts";
import type { Resource } from "../resources/types.ts";
import { toYaml } from "./format.ts";

/** The part of an object a manifest owns, in a stable shape. */
export function ownedView(r: Resource): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  const labels = r.metadata.labels ?? {};
  // The server's own annotations are not the manifest's to set (an apply keeps them).
  const annotations = Object.fromEntries(
    Object.entries(r.metadata.annotations ?? {}).filter(([k]) => !SERVER_ANNOTATIONS.includes(k)),
  );
  if (Object.keys(labels).length > 0) metadata.labels = sortKeys(labels);
  if (Object.keys(annotations).length > 0) metadata.annotations = sortKeys(annotations);
  return { ...(Object.keys(metadata).length > 0 ? { metadata } : {}), spec: r.spec ?? {} };
}

function sortKeys(m: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const RED = "\u001b[31m";
const GREEN = "\u001b[32m";
const CYAN = "\u001b[36m";
const BOLD = "\u001b[1m";
const RESET = "\u001b[0m";

export function colorize(patch: string): string {
  return patch
    .split("\n")
    .map((l) => {
      if (l.startsWith("---") || l.startsWith("+++")) return `${BOLD}${l}${RESET}`;
      if (l.startsWith("@@")) return `${CYAN}${l}${RESET}`;
      if (l.startsWith("-")) return `${RED}${l}${RESET}`;
      if (l.startsWith("+")) return `${GREEN}${l}${RESET}`;
      return l;
    })
    .join("\n");
}

/**
 * The diff of one object (`live` null: it would be created), or "" when the apply would change
 * nothing it owns. `label` names it in the headers, e.g. `network/lan`.
 */
export function objectDiff(
  label: string,
  live: Resource | null,
  desired: Resource,
  options: { color?: boolean } = {},
): string {
  const before = live ? toYaml(ownedView(live)) : "";
  const after = toYaml(ownedView(desired));
  if (before === after) return "";
  const patch = createTwoFilesPatch(
    live ? `${label} (live)` : "/dev/null",
    `${label} (manifest)`,
    before,
    after,
    undefined,
    undefined,
    { context: 3 },
  );
  // Drop the "Index:"/"====" preamble: the --- and +++ lines say it all.
  const lines = patch.split("\n");
  const start = lines.findIndex((l) => l.startsWith("--- "));
  const text = `${lines.slice(Math.max(0, start)).join("\n").trimEnd()}\n`;
  return options.color ? colorize(text) : text;
}

/**
 * The YAML alias bomb of issue 12 (item 4): nine levels of ten aliases to the level below, about
 * 600 bytes standing for 10^9 strings. Loaded without a limit it is a cheap DAG, but everything
 * that walks it as a tree (an error message quoting the value) took 41 s and 1.5 GB.
 */
export const BOMB_NAME = "bomb";

/** The levels, as the items of a block sequence (`- &a0 [...]`, `- &a1 [*a0, ...]`, …). */
export function bombRows(indent: string, levels = 9, fanout = 10): string[] {
  const rows = [`${indent}- &a0 [${Array(fanout).fill('"lol"').join(", ")}]`];
  for (let i = 1; i < levels; i++)
    rows.push(
      `${indent}- &a${i} [${Array(fanout)
        .fill(`*a${i - 1}`)
        .join(", ")}]`,
    );
  return rows;
}

/** A Network whose `spec.description` is the bomb (a bad field: its value is quoted in the error). */
export function aliasBomb(): string {
  return [
    "apiVersion: pvc.parallelvirtualcluster.org/v1",
    "kind: Network",
    "metadata:",
    `  name: ${BOMB_NAME}`,
    "spec:",
    "  vni: 4242",
    "  type: bridged",
    "  description:",
    ...bombRows("    "),
    "",
  ].join("\n");
}

/** Line (1-based) of level `i` (`&a<i>`) in aliasBomb(). */
export const bombLevelLine = (i: number) => 9 + i;

/** The level where the default budget (src/resources/yaml.ts) runs out: its aliases are refused. */
export const REFUSED_LEVEL = 4;

/** A document whose `key` holds the bomb, first in the file (level i on line 2 + i). */
export function bombUnder(key: string): string {
  return [`${key}:`, ...bombRows("  "), ""].join("\n");
}

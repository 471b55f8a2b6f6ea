/**
 * The Node versions package.json's `engines` admits run every package the lock file installs:
 * the oldest of them satisfies each locked package's own `engines.node`. Otherwise `npm ci`
 * warns (EBADENGINE) and the package may not work there; issue 13 found cookie@2.0.2 (Node ≥ 22)
 * under `engines: >=20`. The lock file is what `npm ci` installs, so it is what is checked.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import semver from "semver";

const read = (file: string) => JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), "utf8"));

interface LockedPackage {
  version?: string;
  engines?: { node?: string } | string[];
}

test("the oldest Node that engines admits satisfies every locked package's engines.node", () => {
  const range: string = read("package.json").engines.node;
  const oldest = semver.minVersion(range);
  assert.ok(oldest, `engines.node ${JSON.stringify(range)} admits no version`);
  const lock = read("package-lock.json") as { packages: Record<string, LockedPackage> };
  const unmet: string[] = [];
  for (const [path, pkg] of Object.entries(lock.packages)) {
    // Very old packages wrote engines as an array of strings; npm ignores those.
    const wants = Array.isArray(pkg.engines) ? undefined : pkg.engines?.node;
    if (path === "" || wants === undefined) continue;
    if (!semver.satisfies(oldest, wants)) {
      unmet.push(`${path.replace(/^.*node_modules\//, "")}@${pkg.version} wants node ${wants}`);
    }
  }
  assert.deepEqual(unmet, [], `engines.node is ${range} (from ${oldest.version})`);
});

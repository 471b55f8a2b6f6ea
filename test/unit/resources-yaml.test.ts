/**
 * User YAML is read through one function (src/resources/yaml.ts) that refuses alias bombs and
 * self-containing aliases before any value is built: manifests (`pvcctl apply|diff -f`, the GitOps
 * folder), the folder's settings, the server config and the CLI context file. Ordinary anchors
 * still load exactly as js-yaml loads them.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadAll, YAML11_SCHEMA, YAMLException } from "js-yaml";
import { parseConfig } from "../../src/config.ts";
import { isPvcError } from "../../src/errors.ts";
import { readFolderSettings, SETTINGS_FILE } from "../../src/gitops/settings.ts";
import { formatProblem, parseManifests, readManifests } from "../../src/manifests/manifests.ts";
import { resolveConnection } from "../../src/pvcctl/config.ts";
import { loadUserYaml, parseUserYaml } from "../../src/resources/yaml.ts";
import { aliasBomb, BOMB_NAME, bombLevelLine, bombUnder, REFUSED_LEVEL } from "../helpers/yaml-bomb.ts";

const REFUSAL = /aliases expand this document past the limit of 100000 characters \(at \*a3\)/;
/** The bomb took 41 s; refused, it takes milliseconds. A bound that only the bug can reach. */
const GENEROUS_MS = 5_000;

async function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "yaml-bomb-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("the alias bomb is refused before a value is built, at the alias that passes the budget", () => {
  assert.throws(
    () => parseUserYaml(aliasBomb(), { filename: "bomb.yaml" }),
    (err: unknown) =>
      err instanceof YAMLException &&
      REFUSAL.test(err.reason) &&
      err.mark?.line === bombLevelLine(REFUSED_LEVEL) - 1,
  );
});

test("an alias inside the node it names is refused (the value would contain itself)", () => {
  for (const text of ["a: &a [1, *a]\n", "a: &a {b: {c: *a}}\n", "- &x [&y [*x]]\n"]) {
    assert.throws(
      () => parseUserYaml(text),
      (err: unknown) => err instanceof YAMLException && /is inside the node it names/.test(err.reason),
      text,
    );
  }
});

test("ordinary anchors load exactly as js-yaml loads them", () => {
  const text =
    "labels: &l {tier: web, team: ops}\na: {labels: *l}\nb: [*l, *l, &s plain]\nc: *s\n---\n---\nq: &q 1\nr: *q\n";
  assert.deepEqual(parseUserYaml(text).documents, loadAll(text));
  // Merge keys, as PVC's pvc-api.yaml may use them (YAML 1.1): copied, not refused.
  const merged = loadUserYaml("base: &b {host: h, port: 2}\nderived:\n  <<: *b\n  user: u\n", {
    schema: YAML11_SCHEMA,
  });
  assert.deepEqual(merged, { base: { host: "h", port: 2 }, derived: { host: "h", port: 2, user: "u" } });
  // The same anchor redefined: an alias names the latest one, and only its size counts.
  const big = "x".repeat(60_000);
  assert.deepEqual(loadUserYaml(`a: &a ${big}\nb: &a small\nc: [*a, *a, *a]\n`), {
    a: big,
    b: "small",
    c: ["small", "small", "small"],
  });
});

test("a single large value may be aliased within the budget, not past it", () => {
  const value = "v".repeat(30_000);
  assert.equal((loadUserYaml(`a: &a ${value}\nb: [*a, *a, *a]\n`) as { b: string[] }).b.length, 3);
  assert.throws(() => loadUserYaml(`a: &a ${value}\nb: [*a, *a, *a, *a]\n`), /aliases expand this document/);
});

test("apply/diff manifests: the bomb is one problem of its file, with its line, quickly", async () => {
  const started = Date.now();
  const { docs, problems } = parseManifests("bomb.yaml", aliasBomb());
  assert.equal(docs.length, 0);
  assert.equal(problems.length, 1, JSON.stringify(problems.map((p) => p.message)));
  const line = formatProblem(problems[0]);
  assert.ok(line.startsWith(`bomb.yaml:${bombLevelLine(REFUSED_LEVEL)}: not valid YAML: `), line);
  assert.match(line, REFUSAL);
  assert.ok(!line.includes(BOMB_NAME) || line.length < 300, "the value is not quoted");
  // A file read from a folder, as `pvcctl apply -f DIR` and the GitOps folder read it.
  await inTempDir(async (dir) => {
    await writeFile(join(dir, "bomb.yaml"), aliasBomb());
    const set = await readManifests([dir]);
    assert.deepEqual(
      set.problems.map((p) => [p.file, p.line]),
      [[join(dir, "bomb.yaml"), bombLevelLine(REFUSED_LEVEL)]],
    );
  });
  assert.ok(Date.now() - started < GENEROUS_MS, `took ${Date.now() - started} ms`);
});

test("a self-containing alias in a manifest is a problem of its file", () => {
  const text =
    "apiVersion: pvc.parallelvirtualcluster.org/v1\nkind: Network\nmetadata:\n  name: loop\nspec:\n  vni: 4243\n  type: bridged\n  description: &d [*d]\n";
  const { problems } = parseManifests("loop.yaml", text);
  assert.deepEqual(problems.map(formatProblem), [
    "loop.yaml:8: not valid YAML: alias *d is inside the node it names: a value cannot contain itself",
  ]);
});

test("the GitOps settings file, the server config and the CLI context file refuse the bomb", async () => {
  await inTempDir(async (dir) => {
    const line = 2 + REFUSED_LEVEL;
    await writeFile(join(dir, SETTINGS_FILE), bombUnder("ignore"));
    await assert.rejects(
      readFolderSettings(dir),
      (err: unknown) =>
        isPvcError(err, "CONFIG_INVALID") &&
        err.message.startsWith(`${SETTINGS_FILE}:${line}: not valid YAML: `) &&
        REFUSAL.test(err.message),
    );

    assert.throws(
      () => parseConfig(bombUnder("pvc"), "pvc-api.yaml", dir),
      (err: unknown) => isPvcError(err, "CONFIG_INVALID") && REFUSAL.test(err.message),
    );

    const context = join(dir, "config.yaml");
    await writeFile(context, bombUnder("contexts"));
    assert.throws(
      () => resolveConnection({}, { PVCCTL_CONFIG: context }),
      (err: unknown) => isPvcError(err) && err.message.includes(context) && REFUSAL.test(err.message),
    );
  });
});

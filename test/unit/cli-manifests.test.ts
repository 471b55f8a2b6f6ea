import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { formatProblem, parseManifests, readManifests } from "../../src/manifests/manifests.ts";
import { yamlPositions } from "../../src/manifests/yaml-positions.ts";

const API = "apiVersion: pvc.parallelvirtualcluster.org/v1";

test("positions: mapping keys, sequence items and documents map to their lines", () => {
  const src = "# c\na: 1\nb:\n  - x: 2\n    y: [1, 2]\n---\nfoo: bar\n";
  const [d1, d2] = yamlPositions(src);
  const line = (offset: number | undefined) => src.slice(0, offset).split("\n").length;
  assert.equal(line(d1.offsets.get("/a")), 2);
  assert.equal(line(d1.offsets.get("/b/0")), 4);
  assert.equal(line(d1.offsets.get("/b/0/y")), 5);
  assert.equal(line(d1.offsets.get("/b/0/y/1")), 5);
  assert.equal(line(d2.start), 7);
});

test("every problem names file, document, line, object, field and value", () => {
  const text = `${API}\nkind: Network\nmetadata:\n  name: n\nspec:\n  vni: 10\n  type: managed\n  ipv4:\n    network: 10.0.0.0/24\n    gateway: 10.1.0.1\n---\n${API}\nkind: Bogus\nmetadata:\n  name: x\n`;
  const { docs, problems } = parseManifests("f.yaml", text);
  assert.equal(docs.length, 0);
  assert.deepEqual(problems.map(formatProblem), [
    'f.yaml:10: document 1 (Network "n"): /spec/ipv4/gateway: must be a host address inside 10.0.0.0/24 (got "10.1.0.1")',
    'f.yaml:13: document 2 (Bogus "x"): /kind: is not a known kind; known kinds: Node, CephPool, Network, ProvisionerScript, SystemTemplate, UserdataTemplate, CephVolume, NetworkTemplate, CephSnapshot, StorageTemplate, ProvisionerProfile, VirtualMachine, GitOpsSync (got "Bogus")',
  ]);
});

test("bad YAML is one problem of the file, with its line", () => {
  const { problems } = parseManifests("y.yaml", "a: 1\nb: [\n");
  assert.equal(problems.length, 1);
  assert.match(formatProblem(problems[0]), /^y\.yaml:3: not valid YAML/);
});

test("valid documents come back validated, with defaults; empty documents are skipped", () => {
  const text = `---\n${API}\nkind: Network\nmetadata:\n  name: lan\nspec:\n  vni: 10\n  type: bridged\n---\n`;
  const { docs, problems } = parseManifests("ok.yaml", text);
  assert.deepEqual(problems, []);
  assert.equal(docs.length, 1);
  assert.equal(docs[0].key, "Network/lan");
  assert.equal(docs[0].index, 1);
  assert.equal(docs[0].line, 2);
  assert.equal(docs[0].resource.spec.domain, "lan.local");
});

test("folders are read recursively in order, hidden entries skipped, duplicates reported", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cli-manifests-"));
  try {
    const ud = (n: string) => `${API}\nkind: UserdataTemplate\nmetadata:\n  name: ${n}\nspec:\n  data: ""\n`;
    await mkdir(join(dir, "sub"));
    await mkdir(join(dir, ".git"));
    await writeFile(join(dir, "b.yaml"), ud("one"));
    await writeFile(join(dir, "sub", "a.yml"), ud("two"));
    await writeFile(join(dir, ".git", "x.yaml"), ud("hidden"));
    await writeFile(join(dir, "a.yaml"), ud("one"));
    await writeFile(join(dir, "notes.txt"), "not a manifest");
    const set = await readManifests([dir]);
    assert.deepEqual(
      set.files.map((f) => f.slice(dir.length + 1)),
      ["a.yaml", "b.yaml", "sub/a.yml"],
    );
    assert.equal(set.problems.length, 1);
    assert.match(
      formatProblem(set.problems[0]),
      /b\.yaml:1: document 1 \(UserdataTemplate "one"\): \/metadata\/name: is declared twice: also in .*a\.yaml document 1/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { loadAll } from "js-yaml";
import { KINDS, lookupKind } from "../../src/resources/kinds.ts";
import type { Resource } from "../../src/resources/types.ts";
import { validateResource } from "../../src/resources/validate.ts";

const DIR = new URL("../../manifests/examples/", import.meta.url);

function yamlFiles(dir: URL): URL[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return yamlFiles(new URL(`${entry.name}/`, dir));
    return /\.ya?ml$/.test(entry.name) ? [new URL(entry.name, dir)] : [];
  });
}

function docsIn(dir: URL): { file: string; doc: unknown }[] {
  return yamlFiles(dir).flatMap((url) =>
    loadAll(readFileSync(url, "utf8"))
      .filter((doc) => doc !== null && doc !== undefined)
      .map((doc) => ({ file: url.pathname.slice(dir.pathname.length), doc })),
  );
}

const docs = docsIn(DIR);

test("every example document validates", () => {
  assert.ok(docs.length > 0);
  for (const { file, doc } of docs) {
    assert.doesNotThrow(() => validateResource(doc), `${file}: ${(doc as Resource).metadata?.name}`);
  }
});

test("there is at least one example of every kind", () => {
  const kinds = new Set(docs.map(({ doc }) => (doc as Resource).kind));
  // GitOpsSync is written by the GitOps watcher only: a manifest of it would be refused.
  for (const info of KINDS)
    if (info.kind !== "GitOpsSync") assert.ok(kinds.has(info.kind), `no example of ${info.kind}`);
});

test("examples name only objects that exist in the examples (or none at all)", () => {
  const present = new Set(
    docs.map(({ doc }) => `${(doc as Resource).kind}/${(doc as Resource).metadata.name}`),
  );
  const networkVnis = new Set(
    docs
      .filter(({ doc }) => (doc as Resource).kind === "Network")
      .map(({ doc }) => (doc as Resource).spec.vni),
  );
  for (const { file, doc } of docs) {
    const resource = validateResource(doc);
    const info = lookupKind(resource.kind);
    assert.ok(info);
    for (const ref of info.references(resource as unknown as Record<string, unknown>)) {
      assert.ok(
        present.has(`${ref.kind}/${ref.name}`),
        `${file}: ${resource.metadata.name} names missing ${ref.kind}/${ref.name}`,
      );
    }
    if (resource.kind === "NetworkTemplate") {
      for (const net of resource.spec.networks as { vni: number }[]) {
        assert.ok(networkVnis.has(net.vni), `${file}: no Network with vni ${net.vni}`);
      }
    }
  }
});

test("validation of the examples is idempotent and leaves the input alone", () => {
  for (const { doc } of docs) {
    const before = structuredClone(doc);
    const once = validateResource(doc);
    assert.deepEqual(doc, before);
    const twice = validateResource(once);
    assert.equal(JSON.stringify(twice), JSON.stringify(once));
  }
});

test("manifests/examples holds kinds users create, and Nodes: `pvcctl apply -f manifests/examples` can succeed", () => {
  // A Node is never created by users, but applying one changes an existing node's requests:
  // the examples' nodes are the local stack's (hv1-hv3), registered by the Node controller.
  for (const { file, doc } of docs) {
    const kind = (doc as Resource).kind;
    if (kind === "Node") {
      assert.match((doc as Resource).metadata.name, /^hv[123]$/, `${file}: not a node of the local stack`);
      continue;
    }
    assert.ok(lookupKind(kind)?.userCreatable, `${file}: ${kind} objects are created by the cluster`);
  }
});

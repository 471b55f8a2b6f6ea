/**
 * The README's tour, as a new user runs it (issue 13): `pvcctl apply -f manifests/examples`
 * succeeds (exit 0, every object created) and `pvcctl diff -f manifests/examples` is then empty.
 * A kind only the cluster creates (Node, docs/examples/node.yaml) is refused by apply as kubectl
 * refuses what it cannot create (exit 1, the server's reason), and diff says so rather than
 * showing a creation that apply could not make.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { networkController } from "../../controllers/network/controller.ts";
import { removeRoot, startTestApp, type TestApp, testConfig } from "../helpers/api-app.ts";
import { uniqueRoot } from "../helpers/env.ts";
import { pvcctl, show } from "./cli-helpers.ts";

describe("pvcctl on the shipped examples", () => {
  const root = uniqueRoot("cliexamples");
  let t: TestApp;
  let env: Record<string, string>;
  const run = (...args: string[]) => pvcctl(args, env);

  before(async () => {
    // Only the Network controller: the Ceph kinds' would create the examples' pools in the shared Ceph.
    t = await startTestApp(
      testConfig(`${root}/store`, (c) => {
        c.reconciler.pvcRoot = `${root}/pvc`;
        c.reconciler.logLevel = "warn";
      }),
      { kindControllers: [networkController] },
    );
    await t.app.zk.mkdirp(`${root}/pvc/networks`);
    env = { PVCCTL_SERVER: t.app.url };
  });
  after(async () => {
    await t?.app.close();
    await removeRoot(root);
  });

  test("apply -f manifests/examples: exit 0, every object created, in dependency order", async () => {
    const r = await run("apply", "-f", "manifests/examples");
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stderr, "", show(r));
    const lines = r.stdout.trim().split("\n");
    assert.ok(lines.length >= 10, show(r));
    for (const l of lines) assert.match(l, / created$/, show(r));
    const at = (what: string) => lines.findIndex((l) => l.startsWith(`${what}/`));
    assert.ok(at("cephpool") < at("cephvolume") && at("cephvolume") < at("cephsnapshot"), show(r));
    assert.ok(at("provisionerprofile") < at("virtualmachine"), show(r));
  });

  test("diff -f manifests/examples afterwards: nothing, exit 0 even with --exit-code", async () => {
    const r = await run("diff", "--exit-code", "-f", "manifests/examples");
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, "", show(r));
    assert.equal(r.stderr, "", show(r));
  });

  test("a Node manifest: apply is refused with the server's reason; diff says so, shows no creation", async () => {
    const applied = await run("apply", "-f", "docs/examples/node.yaml");
    assert.equal(applied.code, 1, show(applied));
    assert.match(applied.stderr, /node\/hv1 failed: .*created by the cluster/, show(applied));
    assert.match(applied.stderr, /^pvcctl: 1 of 1 object failed$/m, show(applied));
    const diffed = await run("diff", "-f", "docs/examples/node.yaml");
    assert.equal(diffed.code, 1, show(diffed));
    assert.equal(diffed.stdout, "", show(diffed));
    assert.match(
      diffed.stderr,
      /^node\/hv1: does not exist, and Node objects are created by the cluster: apply would be refused \(.*node\.yaml document 1, line \d+\)$/m,
      show(diffed),
    );
    assert.match(diffed.stderr, /pvcctl: apply would be refused for 1 object \(node\/hv1\)/, show(diffed));
  });
});

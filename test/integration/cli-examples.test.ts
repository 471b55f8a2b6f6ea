/**
 * The README's tour, as a new user runs it (issues 13 and 14): on a cluster with the local stack's
 * nodes hv1-hv3 (hollow nodes, registered as Node objects by their controller),
 * `pvcctl apply -f manifests/examples` succeeds (exit 0: every object created, the Nodes
 * configured) and `pvcctl diff -f manifests/examples` is then empty. A Node that does not exist
 * (only the cluster creates them) is refused by apply as kubectl refuses what it cannot create
 * (exit 1, the server's reason), and diff says so rather than showing a creation apply could not make.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { networkController } from "../../controllers/network/controller.ts";
import { nodeController } from "../../controllers/node/controller.ts";
import { NodeCluster } from "../helpers/node-cluster.ts";
import { pvcctl, show } from "./cli-helpers.ts";

describe("pvcctl on the shipped examples", () => {
  const c = new NodeCluster("cliexamples");
  let env: Record<string, string>;
  const run = (...args: string[]) => pvcctl(args, env);

  before(async () => {
    // Networks and Nodes only: the Ceph kinds' controllers would create the examples' pools in the shared Ceph.
    await c.start([networkController, nodeController]);
    await c.zk.mkdirp(c.keys.networks());
    await c.nodesReady();
    env = { PVCCTL_SERVER: c.url };
  });
  after(() => c.stop());

  test("apply -f manifests/examples: exit 0, every object created (Nodes configured), in dependency order", async () => {
    const primary = await c.zk.get(c.keys.primaryNode());
    const r = await run("apply", "-f", "manifests/examples");
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stderr, "", show(r));
    const lines = r.stdout.trim().split("\n");
    assert.ok(lines.length >= 10, show(r));
    for (const l of lines) assert.match(l, l.startsWith("node/") ? / configured$/ : / created$/, show(r));
    assert.deepEqual(
      lines.filter((l) => l.startsWith("node/")),
      ["node/hv1 configured", "node/hv2 configured", "node/hv3 configured"],
    );
    // The Nodes' requests match the cluster as it is: carried out with nothing written.
    await c.nodesReady();
    assert.equal((await c.zk.get(c.keys.primaryNode())).stat.mzxid, primary.stat.mzxid);
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

  test("a Node that does not exist: apply is refused with the server's reason; diff says so, shows no creation", async () => {
    const hv9 =
      "apiVersion: pvc.parallelvirtualcluster.org/v1\nkind: Node\nmetadata:\n  name: hv9\nspec:\n  domainState: flush\n";
    const applied = await pvcctl(["apply", "-f", "-"], env, hv9);
    assert.equal(applied.code, 1, show(applied));
    assert.match(applied.stderr, /node\/hv9 failed: .*created by the cluster/, show(applied));
    assert.match(applied.stderr, /^pvcctl: 1 of 1 object failed$/m, show(applied));
    const diffed = await pvcctl(["diff", "-f", "-"], env, hv9);
    assert.equal(diffed.code, 1, show(diffed));
    assert.equal(diffed.stdout, "", show(diffed));
    assert.match(
      diffed.stderr,
      /^node\/hv9: does not exist, and Node objects are created by the cluster: apply would be refused \(.* document 1, line \d+\)$/m,
      show(diffed),
    );
    assert.match(diffed.stderr, /pvcctl: apply would be refused for 1 object \(node\/hv9\)/, show(diffed));
  });
});

/**
 * PvcReader: the facades' typed reads of PVC's keys, on an in-memory stand-in for ZooKeeper. What
 * v0.6 answered for missing keys (nothing, not an error), OSDs in numeric order, unreadable stats
 * as `{}`, and paths under the configured root only.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ErrorCodes, PvcError } from "../../src/errors.ts";
import { PvcKeys } from "../../src/pvc/keys.ts";
import { type PvcReadClient, PvcReader } from "../../src/pvc/reader.ts";
import type { ZkStat } from "../../src/zk/types.ts";

/** The keys as ZooKeeper would hold them (every parent present), and the paths asked for. */
function standIn(keys: Record<string, string>): { zk: PvcReadClient; asked: string[] } {
  const asked: string[] = [];
  const stat = {} as ZkStat;
  const noNode = (path: string) => new PvcError(ErrorCodes.ZK_NO_NODE, `no node ${path}`);
  const zk: PvcReadClient = {
    exists: async (path) => {
      asked.push(path);
      return path in keys ? stat : null;
    },
    tryGet: async (path) => {
      asked.push(path);
      return path in keys ? { data: keys[path], stat } : null;
    },
    children: async (path) => {
      asked.push(path);
      if (!(path in keys)) throw noNode(path);
      return Object.keys(keys)
        .filter((k) => k.startsWith(`${path}/`) && !k.slice(path.length + 1).includes("/"))
        .map((k) => k.slice(path.length + 1));
    },
  };
  return { zk, asked };
}

describe("PvcReader", () => {
  const root = "/t";
  const keys = {
    "/t/primary_node": "hv1",
    "/t/nodes": "",
    "/t/nodes/hv1": "",
    "/t/networks": "",
    "/t/networks/100": "",
    "/t/ceph": "  cluster:\n    health: HEALTH_OK\n",
    "/t/ceph/osds": "",
    "/t/ceph/osds/10": "",
    "/t/ceph/osds/10/node": "hv2",
    "/t/ceph/osds/10/device": "/dev/sdc",
    "/t/ceph/osds/10/stats": '{"up":1,"in":0}',
    "/t/ceph/osds/2": "",
    "/t/ceph/osds/2/stats": "not json",
    "/t/ceph/pools": "",
    "/t/ceph/pools/vms": "",
    "/t/ceph/pools/base": "",
    "/t/ceph/volumes": "",
    "/t/ceph/volumes/vms": "",
    "/t/ceph/volumes/vms/disk0": "",
    "/t/ceph/volumes/vms/disk0/stats": '{"size":1024}',
  };

  test("reads what is there, typed", async () => {
    const { zk, asked } = standIn(keys);
    const r = new PvcReader(zk, new PvcKeys(root));
    assert.equal(await r.primaryNode(), "hv1");
    assert.equal(await r.nodeExists("hv1"), true);
    assert.equal(await r.networkExists(100), true);
    assert.equal(await r.cephStatusText(), keys["/t/ceph"]);
    assert.deepEqual(await r.osdIds(), ["2", "10"], "numeric order, not text order");
    assert.deepEqual(await r.osdStats("10"), { up: 1, in: 0 });
    assert.deepEqual(await r.osdPlacement("10"), { node: "hv2", device: "/dev/sdc" });
    assert.deepEqual(await r.poolNames(), ["base", "vms"]);
    assert.equal(await r.poolExists("vms"), true);
    assert.deepEqual(await r.volumeNames("vms"), ["disk0"]);
    assert.equal(await r.volumeExists("vms", "disk0"), true);
    assert.deepEqual(await r.volumeStats("vms", "disk0"), { size: 1024 });
    assert.ok(
      asked.every((p) => p.startsWith(`${root}/`)),
      `every path under the root: ${asked.join(" ")}`,
    );
  });

  test("missing keys read as nothing, as v0.6 answered; unreadable stats as {}", async () => {
    const { zk } = standIn(keys);
    const r = new PvcReader(zk, new PvcKeys(root));
    assert.equal(await r.nodeExists("hv9"), false);
    assert.equal(await r.networkExists(200), false);
    assert.equal(await r.cephRadosDfText(), "");
    assert.deepEqual(await r.osdStats("2"), {}, "not JSON");
    assert.deepEqual(await r.osdStats("7"), {}, "missing");
    assert.deepEqual(await r.osdPlacement("2"), { node: undefined, device: undefined });
    assert.deepEqual(await r.volumeNames("base"), [], "a pool without a volumes parent");
    assert.deepEqual(await r.snapshotVolumes("vms"), []);
    assert.deepEqual(await r.snapshotNames("vms", "disk0"), []);
    assert.equal(await r.volumeExists("vms", "disk1"), false);
    const empty = new PvcReader(standIn({}).zk, new PvcKeys(root));
    assert.equal(await empty.primaryNode(), "");
    assert.deepEqual(await empty.osdIds(), []);
    assert.deepEqual(await empty.poolNames(), []);
  });

  test("a name that is no path segment is refused before any read", async () => {
    const { zk, asked } = standIn(keys);
    const r = new PvcReader(zk, new PvcKeys(root));
    await assert.rejects(r.volumeExists("vms", "a/../../nodes"), (err: unknown) => {
      return err instanceof PvcError && err.code === ErrorCodes.INVALID_NAME;
    });
    assert.deepEqual(asked, []);
  });
});

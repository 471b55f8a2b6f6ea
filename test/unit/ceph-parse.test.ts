import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  parseDf,
  parseHealth,
  parseLockLs,
  parseOsdDf,
  parseOsdDump,
  parseOsdTree,
  parsePoolGet,
  parsePoolLsDetail,
  parseRadosDf,
  parseRbdInfo,
  parseRbdLs,
  parseSnapLs,
  parseStatus,
} from "../../src/ceph/parse.ts";

// Output captured from Ceph 16.2.15 (one-node test cluster), trimmed to the fields read plus a few.
const j = (s: string): unknown => JSON.parse(s);

describe("ceph JSON parsers", () => {
  it("health with a warning", () => {
    const h = parseHealth(
      "ceph health",
      j(
        '{"status":"HEALTH_WARN","checks":{"OSDMAP_FLAGS":{"severity":"HEALTH_WARN","summary":{"message":"noout flag(s) set","count":5},"muted":false}},"mutes":[]}',
      ),
    );
    assert.equal(h.status, "HEALTH_WARN");
    assert.deepEqual(h.checks.OSDMAP_FLAGS, {
      severity: "HEALTH_WARN",
      summary: "noout flag(s) set",
      muted: false,
    });
  });

  it("status", () => {
    const s = parseStatus(
      "ceph status",
      j(
        '\n{"fsid":"783e0a8d","health":{"status":"HEALTH_OK","checks":{},"mutes":[]},"quorum_names":["a"],"osdmap":{"epoch":15,"num_osds":1,"num_up_osds":1,"num_in_osds":1,"num_remapped_pgs":0},"pgmap":{"pgs_by_state":[{"state_name":"active+clean","count":8}],"num_pgs":8,"num_pools":1,"num_objects":3,"data_bytes":0,"bytes_used":304300032,"bytes_avail":10433118208,"bytes_total":10737418240},"mgrmap":{"available":true}}',
      ),
    );
    assert.equal(s.health.status, "HEALTH_OK");
    assert.deepEqual(s.pgsByState, [{ state: "active+clean", count: 8 }]);
    assert.equal(s.bytesTotal, 10737418240);
    assert.equal(s.mgrAvailable, true);
  });

  it("df and rados df", () => {
    const d = parseDf(
      "ceph df",
      j(
        '{"stats":{"total_bytes":10737418240,"total_avail_bytes":10433118208,"total_used_bytes":304300032,"total_used_raw_bytes":304300032},"pools":[{"name":"tp","id":1,"stats":{"stored":0,"objects":0,"kb_used":0,"bytes_used":0,"percent_used":0,"max_avail":9896247296}}]}',
      ),
    );
    assert.equal(d.pools[0].maxAvail, 9896247296);
    const r = parseRadosDf(
      "rados df",
      j(
        '{"pools":[{"name":"tp","id":1,"size_bytes":0,"size_kb":0,"num_objects":0,"num_object_clones":0,"num_object_copies":0,"num_objects_missing_on_primary":0,"num_objects_unfound":0,"num_objects_degraded":0,"read_ops":0,"read_bytes":0,"write_ops":0,"write_bytes":0}],"total_objects":0,"total_used":297168,"total_avail":10188592,"total_space":10485760}',
      ),
    );
    assert.equal(r.totalSpaceKb, 10485760);
    assert.equal(r.pools[0].name, "tp");
  });

  it("osd tree, dump, df", () => {
    const t = parseOsdTree(
      "ceph osd tree",
      j(
        '{"nodes":[{"id":-1,"name":"default","type":"root","type_id":11,"children":[-3]},{"id":-3,"name":"vm","type":"host","type_id":1,"pool_weights":{},"children":[0]},{"id":0,"device_class":"hdd","name":"osd.0","type":"osd","type_id":0,"crush_weight":0.0097,"depth":2,"pool_weights":{},"exists":1,"status":"up","reweight":1,"primary_affinity":1}],"stray":[]}',
      ),
    );
    assert.deepEqual(
      t.nodes.map((n) => [n.id, n.type, n.status]),
      [
        [-1, "root", undefined],
        [-3, "host", undefined],
        [0, "osd", "up"],
      ],
    );
    const d = parseOsdDump(
      "ceph osd dump",
      j(
        '{"epoch":15,"flags":"noout,sortbitwise","flags_set":["noout","sortbitwise"],"pools":[],"osds":[{"osd":0,"uuid":"96df","up":1,"in":0,"weight":0,"public_addr":"127.0.0.1:27403/4975","state":["exists","up"]}]}',
      ),
    );
    assert.deepEqual(d.flags, ["noout", "sortbitwise"]);
    assert.equal(d.osds[0].up, true);
    assert.equal(d.osds[0].in, false);
    const f = parseOsdDf(
      "ceph osd df",
      j(
        '{"nodes":[{"id":0,"name":"osd.0","type":"osd","kb":10485760,"kb_used":297168,"kb_avail":10188592,"utilization":2.83,"var":1,"pgs":8,"status":"up"}],"stray":[],"summary":{"total_kb":10485760,"total_kb_used":297168,"total_kb_avail":10188592}}',
      ),
    );
    assert.equal(f.nodes[0].pgs, 8);
  });

  it("pool ls detail and pool get", () => {
    const [p] = parsePoolLsDetail(
      "ceph osd pool ls detail",
      j(
        '[{"pool_id":1,"pool_name":"tp","size":1,"min_size":1,"pg_autoscale_mode":"off","pg_num":8,"pg_placement_num":8,"pg_placement_num_target":16,"pg_num_target":16,"pg_num_pending":8,"application_metadata":{"rbd":{}}}]',
      ),
    );
    assert.equal(p.pgNum, 8);
    assert.equal(p.pgNumTarget, 16);
    assert.deepEqual(p.applicationMetadata, { rbd: {} });
    assert.equal(parsePoolGet("ceph osd pool get", j('{"pool":"tp","pool_id":1,"pg_num":8}'), "pg_num"), 8);
    assert.equal(
      parsePoolGet("ceph osd pool get", j('{"pool":"tp","pool_id":3,"nodelete":true}'), "nodelete"),
      true,
    );
  });

  it("rbd info, ls -l, snap ls, lock ls", () => {
    const i = parseRbdInfo(
      "rbd info",
      j(
        '{"name":"v1","id":"102235592b0a","size":1073741824,"objects":256,"order":22,"object_size":4194304,"snapshot_count":1,"block_name_prefix":"rbd_data.102235592b0a","format":2,"features":["layering","exclusive-lock"],"op_features":[],"flags":[]}',
      ),
    );
    assert.equal(i.size, 1073741824);
    assert.deepEqual(i.features, ["layering", "exclusive-lock"]);
    const ls = parseRbdLs(
      "rbd ls",
      j(
        '[{"image":"v1","id":"1022","size":1073741824,"format":2,"lock_type":"exclusive"},{"image":"v1","id":"1022","snapshot":"s1","snapshot_id":4,"size":1073741824,"format":2,"protected":"false"}]',
      ),
    );
    assert.deepEqual(
      ls.map((e) => [e.image, e.snapshot, e.lockType]),
      [
        ["v1", undefined, "exclusive"],
        ["v1", "s1", undefined],
      ],
    );
    const [s] = parseSnapLs(
      "rbd snap ls",
      j(
        '[{"id":4,"name":"s1","size":1073741824,"protected":"false","timestamp":"Thu Nov 26 17:34:55 2026"}]',
      ),
    );
    assert.equal(s.protected, false);
    const [l] = parseLockLs(
      "rbd lock ls",
      j('[{"id":"mylock","locker":"client.4349","address":"127.0.0.1:0/3214695405"}]'),
    );
    assert.equal(l.locker, "client.4349");
  });

  it("fails loudly on a changed shape, naming command and field", () => {
    assert.throws(() => parseRbdInfo("rbd info vms/x", j('{"name":"x","size":"big"}')), {
      code: "CEPH_BAD_OUTPUT",
      message: "rbd info vms/x: unexpected JSON: field size is not a number",
    });
    assert.throws(() => parseHealth("ceph health", j('{"status":"HEALTH_MAYBE"}')), {
      code: "CEPH_BAD_OUTPUT",
    });
    assert.throws(() => parseRbdLs("rbd ls", j("{}")), { code: "CEPH_BAD_OUTPUT" });
  });
});

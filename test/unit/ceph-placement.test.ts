/**
 * How many copies a CRUSH rule can place apart (src/ceph/placement.ts), from the JSON of `ceph osd
 * crush rule dump` and `ceph osd tree` as the local stack and a PVC-shaped cluster print them, and
 * the pool defaults the mon runs with (`ceph config show mon.X`).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseCrushRules, parseOsdTree, parsePoolDefaults } from "../../src/ceph/parse.ts";
import { placement, ruleFor, undersized } from "../../src/ceph/placement.ts";

/** The local stack's only rule (`osd crush chooseleaf type = 0`), printed by Pacific. */
const STACK_RULES = [
  {
    rule_id: 0,
    rule_name: "replicated_rule",
    ruleset: 0,
    type: 1,
    min_size: 1,
    max_size: 10,
    steps: [
      { op: "take", item: -1, item_name: "default" },
      { op: "choose_firstn", num: 0, type: "osd" },
      { op: "emit" },
    ],
  },
];
const STACK_TREE = {
  nodes: [
    { id: -1, name: "default", type: "root", type_id: 11, children: [-3] },
    { id: -3, name: "vm", type: "host", type_id: 1, children: [0] },
    {
      id: 0,
      device_class: "hdd",
      name: "osd.0",
      type: "osd",
      crush_weight: 0.0098,
      status: "up",
      reweight: 1,
    },
  ],
  stray: [],
};

/** PVC's shape: hosts as failure domains; hv3's only OSD is out, hv2 has an ssd and an hdd. */
const HOST_RULES = [
  {
    rule_id: 0,
    rule_name: "replicated_rule",
    type: 1,
    steps: [
      { op: "take", item: -1, item_name: "default" },
      { op: "chooseleaf_firstn", num: 0, type: "host" },
      { op: "emit" },
    ],
  },
  {
    rule_id: 1,
    rule_name: "ssd_only",
    type: 1,
    steps: [
      { op: "take", item: -2, item_name: "default~ssd" },
      { op: "chooseleaf_firstn", num: 0, type: "host" },
      { op: "emit" },
    ],
  },
];
const osd = (id: number, cls: string, reweight = 1) => ({
  id,
  name: `osd.${id}`,
  type: "osd",
  device_class: cls,
  crush_weight: 1,
  reweight,
  status: "up",
});
const HOST_TREE = {
  nodes: [
    { id: -1, name: "default", type: "root", children: [-3, -5, -7] },
    { id: -3, name: "hv1", type: "host", children: [0, 1] },
    { id: -5, name: "hv2", type: "host", children: [2, 3] },
    { id: -7, name: "hv3", type: "host", children: [4] },
    osd(0, "ssd"),
    osd(1, "ssd"),
    osd(2, "ssd"),
    osd(3, "hdd"),
    osd(4, "ssd", 0),
  ],
};

describe("CRUSH placement", () => {
  test("the one-OSD stack: one failure domain (osd)", () => {
    const rules = parseCrushRules("ceph osd crush rule dump", STACK_RULES);
    const rule = ruleFor(rules);
    assert.equal(rule?.name, "replicated_rule");
    assert.deepEqual(placement(parseOsdTree("ceph osd tree", STACK_TREE), rule as NonNullable<typeof rule>), {
      failureDomain: "osd",
      domains: 1,
      osdsIn: 1,
    });
  });

  test("hosts as failure domains: a host whose OSDs are all out does not count; a device class narrows the tree", () => {
    const rules = parseCrushRules("x", HOST_RULES);
    const tree = parseOsdTree("x", HOST_TREE);
    assert.deepEqual(placement(tree, ruleFor(rules, 0) as NonNullable<ReturnType<typeof ruleFor>>), {
      failureDomain: "host",
      domains: 2,
      osdsIn: 4,
    });
    assert.deepEqual(placement(tree, ruleFor(rules, 1) as NonNullable<ReturnType<typeof ruleFor>>), {
      failureDomain: "host",
      domains: 2,
      osdsIn: 3,
    });
    assert.equal(ruleFor(rules, 7), undefined, "a pool naming a rule that is gone: not judged");
  });

  test("rules with several choose steps are not judged", () => {
    const [rule] = parseCrushRules("x", [
      {
        rule_id: 3,
        rule_name: "racks",
        type: 1,
        steps: [
          { op: "take", item_name: "default" },
          { op: "choose_firstn", num: 2, type: "rack" },
          { op: "chooseleaf_firstn", num: 2, type: "host" },
          { op: "emit" },
        ],
      },
    ]);
    assert.equal(placement(parseOsdTree("x", HOST_TREE), rule), undefined);
  });

  test("undersized: min_size above the domains is refused, copies above them only degraded", () => {
    const one = { failureDomain: "osd", domains: 1, osdsIn: 1 };
    const refused = undersized("p3", 3, 2, one);
    assert.equal(refused?.refuse, true);
    assert.match(
      refused?.message ?? "",
      /^pool p3 wants 3 copies \(at least 2 to serve I\/O\) but the cluster has 1 OSD in:/,
    );
    assert.match(refused?.message ?? "", /lower spec\.replication to at most 1/);
    assert.deepEqual(undersized("p2", 2, 1, one), {
      refuse: false,
      message: "degraded: 2 copies wanted but the cluster has 1 OSD in; I/O works with 1",
    });
    assert.equal(undersized("p1", 1, 1, one), undefined);
    assert.equal(undersized("px", 3, 2, undefined), undefined, "unknown placement refuses nothing");
    const hosts = undersized("vms", 3, 3, { failureDomain: "host", domains: 2, osdsIn: 4 });
    assert.match(
      hosts?.message ?? "",
      /2 hosts with an OSD in \(4 OSDs in; its CRUSH rule puts each copy on another host\)/,
    );
  });
});

describe("pool defaults of the running mon", () => {
  test("the stack's ceph.conf values; Ceph's defaults (3, min 0 = size - floor(size/2)) when not listed", () => {
    const shown = [
      { name: "osd_pool_default_min_size", value: "1", source: "file" },
      { name: "osd_pool_default_size", value: "1", source: "file" },
      { name: "osd_pool_default_pg_num", value: "8", source: "file" },
    ];
    assert.deepEqual(parsePoolDefaults("ceph config show mon.a", shown), { size: 1, minSize: 1 });
    assert.deepEqual(parsePoolDefaults("ceph config show mon.a", []), { size: 3, minSize: 2 });
    assert.deepEqual(parsePoolDefaults("x", [{ name: "osd_pool_default_size", value: "4" }]), {
      size: 4,
      minSize: 2,
    });
    assert.throws(() => parsePoolDefaults("x", [{ name: "osd_pool_default_size", value: "many" }]), {
      code: "CEPH_BAD_OUTPUT",
    });
  });
});

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { NODE_CHILD_KEYS, PvcKeys } from "../../src/pvc/keys.ts";
import { nodeStats, pyFloat, registrationKeys, staticData } from "../../src/sim/node-keys.ts";
import type { HollowNodeSpec } from "../../src/sim/spec.ts";

const spec: HollowNodeSpec = { name: "hv1", mode: "coordinator", memMiB: 32768, vcpus: 16 };

describe("hollow node keys", () => {
  test("staticdata is 'vcpus kernel os arch'", () => {
    assert.equal(
      staticData(spec, { kernel: "5.10.0", os: "GNU/Linux", arch: "x86_64" }),
      "16 5.10.0 GNU/Linux x86_64",
    );
  });

  test("cpuload prints like Python's str(float)", () => {
    assert.equal(pyFloat(0), "0.0");
    assert.equal(pyFloat(2), "2.0");
    assert.equal(pyFloat(0.25), "0.25");
    assert.equal(pyFloat(1 / 3), "0.33");
  });

  test("stats sum the listed domains; domainscount counts what libvirt runs", () => {
    const running = new Map([
      ["a", { memMiB: 1024, vcpus: 1 }],
      ["b", { memMiB: 2048, vcpus: 2 }],
    ]);
    const s = nodeStats(spec, ["a", "b", "ghost"], (u) => running.get(u), 3);
    assert.equal(s.memalloc, 3072);
    assert.equal(s.vcpualloc, 3);
    assert.equal(s.domainscount, 3);
    assert.equal(s.runningdomains, "a b ghost");
    assert.equal(s.memtotal, 32768);
    assert.equal(s.memused + s.memfree, s.memtotal);
    assert.ok(s.memused >= s.memalloc);
  });

  test("registration writes the node and every one of its keys, parent first", () => {
    const keys = new PvcKeys("/r");
    const kv = registrationKeys(keys, {
      spec,
      stats: nodeStats(spec, [], () => undefined, 0),
      now: 1700000000,
    });
    const map = new Map(kv);
    assert.equal(kv[0][0], "/r/nodes/hv1");
    assert.equal(map.get("/r/nodes/hv1"), "coordinator");
    assert.deepEqual(
      kv
        .slice(1)
        .map(([p]) => p.slice("/r/nodes/hv1/".length))
        .sort(),
      [...NODE_CHILD_KEYS].sort(),
    );
    assert.equal(map.get("/r/nodes/hv1/daemonstate"), "init");
    assert.equal(map.get("/r/nodes/hv1/routerstate"), "secondary");
    assert.equal(map.get("/r/nodes/hv1/domainstate"), "ready");
    assert.equal(map.get("/r/nodes/hv1/keepalive"), "1700000000");
    assert.equal(map.get("/r/nodes/hv1/runningdomains"), "");
    const hv = new Map(
      registrationKeys(keys, {
        spec: { ...spec, mode: "hypervisor" },
        stats: nodeStats(spec, [], () => undefined, 0),
        now: 0,
      }),
    );
    assert.equal(hv.get("/r/nodes/hv1/routerstate"), "client");
  });
});

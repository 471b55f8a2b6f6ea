import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type CandidateNode, parseNodeLimit, selectTargetNode } from "../../src/sim/placement.ts";

function node(name: string, over: Partial<CandidateNode> = {}): CandidateNode {
  return {
    name,
    daemonState: "run",
    domainState: "ready",
    memUsed: 2048,
    memFree: 30720,
    memAlloc: 0,
    vcpuAlloc: 0,
    cpuLoad: 0,
    domainsCount: 0,
    ...over,
  };
}

const req = { selector: "mem", nodeLimit: "", currentNode: "hv1" };

describe("selectTargetNode", () => {
  test("mem: the most memory not allocated to VMs", () => {
    const nodes = [node("hv1"), node("hv2", { memAlloc: 8192 }), node("hv3", { memAlloc: 4096 })];
    assert.equal(selectTargetNode(nodes, req), "hv3");
  });

  test("never the VM's current node; only run + ready nodes", () => {
    const nodes = [
      node("hv1"),
      node("hv2", { daemonState: "init" }),
      node("hv3", { domainState: "flush" }),
      node("hv4", { domainState: "flushed" }),
      node("hv5", { daemonState: "stop" }),
    ];
    assert.equal(selectTargetNode(nodes, req), null);
    assert.equal(selectTargetNode([...nodes, node("hv6", { memAlloc: 30000 })], req), "hv6");
  });

  test("node_limit restricts the candidates", () => {
    const nodes = [node("hv1"), node("hv2"), node("hv3", { memAlloc: 9999 })];
    assert.equal(selectTargetNode(nodes, { ...req, nodeLimit: "hv1,hv3" }), "hv3");
    assert.deepEqual(parseNodeLimit(" hv1, ,hv3,"), ["hv1", "hv3"]);
  });

  test("vcpus, vms, load: the least of each; ties go to the first name", () => {
    const nodes = [
      node("hv1"),
      node("hv3", { vcpuAlloc: 4, domainsCount: 1, cpuLoad: 0.5 }),
      node("hv2", { vcpuAlloc: 8, domainsCount: 3, cpuLoad: 0.2 }),
      node("hv4", { vcpuAlloc: 4, domainsCount: 2, cpuLoad: 2 }),
    ];
    assert.equal(selectTargetNode(nodes, { ...req, selector: "vcpus" }), "hv3");
    assert.equal(selectTargetNode(nodes, { ...req, selector: "vms" }), "hv3");
    assert.equal(selectTargetNode(nodes, { ...req, selector: "load" }), "hv2");
  });

  test("'' and 'None' use the cluster default; an unknown selector finds nothing, as in PVC", () => {
    const nodes = [node("hv2", { vcpuAlloc: 8 }), node("hv3", { vcpuAlloc: 2, memAlloc: 8192 })];
    assert.equal(selectTargetNode(nodes, { ...req, selector: "" }), "hv2");
    assert.equal(selectTargetNode(nodes, { ...req, selector: "None", defaultSelector: "vcpus" }), "hv3");
    assert.equal(selectTargetNode(nodes, { ...req, selector: "cheapest" }), null);
  });

  test("mem: a node with nothing left to allocate is no target", () => {
    assert.equal(selectTargetNode([node("hv2", { memAlloc: 32768 })], req), null);
  });
});

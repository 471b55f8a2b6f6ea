/**
 * `pvcctl get vm` while VMs are provisioned from a profile: PHASE and PROGRESS columns from
 * status.provisioning (a failure says in which phase); a list of VMs none of which is provisioned
 * keeps its columns as they were.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { resourceTable } from "../../src/pvcctl/format.ts";
import type { Resource } from "../../src/resources/types.ts";

const vm = (name: string, status: Record<string, unknown> = {}): Resource => ({
  apiVersion: "pvc.parallelvirtualcluster.org/v1",
  kind: "VirtualMachine",
  metadata: { name, generation: 1 },
  spec: { profile: "small-web", runState: "start" },
  status,
});

test("provisioning VMs: their phase and current/total; a VM defined from XML shows -", () => {
  const lines = resourceTable("VirtualMachine", [
    vm("web1", { provisioning: { state: "RUNNING", phase: "install", current: 4, total: 8, taskId: "u1" } }),
    vm("web2", { provisioning: { state: "FAILURE", phase: "install", current: 4, total: 8, taskId: "u2" } }),
    vm("web3", { provisioning: { state: "SUCCESS", phase: "done", current: 8, total: 8, taskId: "u3" } }),
    vm("db1", { state: "start", node: "hv2" }),
  ]).split("\n");
  assert.match(lines[0], /^NAME +READY +REASON +AGE +RUNSTATE +STATE +NODE +PHASE +PROGRESS$/);
  assert.match(lines[1], /^web1 +- +- +- +start +- +- +install +4\/8$/);
  assert.match(lines[2], /^web2 +- +- +- +start +- +- +failed in install +4\/8$/);
  assert.match(lines[3], /^web3 +- +- +- +start +- +- +done +8\/8$/);
  assert.match(lines[4], /^db1 +- +- +- +start +start +hv2 +- +-$/);
});

test("no VM provisioned: no PHASE or PROGRESS column", () => {
  const table = resourceTable("VirtualMachine", [vm("db1", { state: "start", node: "hv2" })]);
  assert.equal(
    table.split("\n")[0].trim().split(/ +/).join(" "),
    "NAME READY REASON AGE RUNSTATE STATE NODE",
  );
});

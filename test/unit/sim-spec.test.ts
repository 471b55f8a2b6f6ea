import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ErrorCodes, isPvcError } from "../../src/errors.ts";
import { DEFAULT_NODE_MEM_MIB, DEFAULT_NODE_VCPUS, parseNodeSpec } from "../../src/sim/spec.ts";

describe("parseNodeSpec", () => {
  test("name:mode with defaults, and name:mode:memMiB:vcpus", () => {
    assert.deepEqual(parseNodeSpec("hv1:coordinator, hv2:hypervisor:65536:32,hv3:hypervisor:8192"), [
      { name: "hv1", mode: "coordinator", memMiB: DEFAULT_NODE_MEM_MIB, vcpus: DEFAULT_NODE_VCPUS },
      { name: "hv2", mode: "hypervisor", memMiB: 65536, vcpus: 32 },
      { name: "hv3", mode: "hypervisor", memMiB: 8192, vcpus: DEFAULT_NODE_VCPUS },
    ]);
  });

  for (const [spec, why] of [
    ["", "empty"],
    ["hv1", "no mode"],
    ["hv1:leader", "unknown mode"],
    ["hv1:coordinator,hv1:hypervisor", "duplicate"],
    ["hv/1:coordinator", "bad name"],
    ["hv1:coordinator:0", "zero memory"],
    ["hv1:coordinator:1024:x", "bad vcpus"],
    ["hv1:coordinator:1024:4:extra", "too many fields"],
  ]) {
    test(`rejects ${why} (${JSON.stringify(spec)}) with CONFIG_INVALID`, () => {
      assert.throws(
        () => parseNodeSpec(spec),
        (err) => isPvcError(err, ErrorCodes.CONFIG_INVALID),
      );
    });
  }
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSize, rbdSizeArg } from "../../src/ceph/size.ts";
import { isPvcError } from "../../src/errors.ts";

describe("ceph size", () => {
  it("parses bytes and binary units", () => {
    const cases: [string | number | bigint, bigint][] = [
      ["1073741824", 1073741824n],
      ["0", 0n],
      ["512B", 512n],
      ["512K", 512n * 1024n],
      ["4096M", 4096n * 1024n ** 2n],
      ["20G", 20n * 1024n ** 3n],
      ["1T", 1024n ** 4n],
      ["2P", 2n * 1024n ** 5n],
      ["20g", 20n * 1024n ** 3n],
      [1073741824, 1073741824n],
      [5n, 5n],
    ];
    for (const [input, bytes] of cases) assert.equal(parseSize(input), bytes, `parseSize(${String(input)})`);
  });

  it("keeps precision beyond 2^53", () => {
    assert.equal(parseSize("9007199254740993"), 9007199254740993n);
  });

  it("rejects anything else with a message naming the value", () => {
    for (const input of [
      "",
      "G",
      "1.5G",
      "10GB",
      "10 G",
      " 10G",
      "10G ",
      "-1",
      "-1G",
      "1e9",
      "0x10",
      "10X",
      "10Gi",
    ]) {
      assert.throws(
        () => parseSize(input),
        (err: unknown) => isPvcError(err, "CEPH_EINVAL") && err.message.includes(JSON.stringify(input)),
        `parseSize(${JSON.stringify(input)})`,
      );
    }
    for (const input of [-1, 1.5, Number.NaN, -1n]) {
      assert.throws(
        () => parseSize(input),
        (err: unknown) => isPvcError(err, "CEPH_EINVAL"),
      );
    }
  });

  it("formats rbd --size with an explicit B suffix (a bare number would mean MiB)", () => {
    assert.equal(rbdSizeArg(1073741824), "1073741824B");
    assert.equal(rbdSizeArg(2n ** 60n), "1152921504606846976B");
    for (const input of [0, -1, 1.5, 0n, Number.MAX_SAFE_INTEGER + 2]) {
      assert.throws(
        () => rbdSizeArg(input),
        (err: unknown) => isPvcError(err, "CEPH_EINVAL"),
      );
    }
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  MAX_NAME_LENGTH,
  validateLocker,
  validateLockId,
  validateOsdFlag,
  validateOsdId,
  validatePoolName,
  validatePoolValue,
  validatePoolVariable,
  validateSnapshotName,
  validateVolumeName,
} from "../../src/ceph/names.ts";
import { isPvcError } from "../../src/errors.ts";

function rejectsName(fn: () => unknown, field: string, value: unknown): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isPvcError(err, "INVALID_NAME"), `expected INVALID_NAME, got ${String(err)}`);
    assert.equal(err.details?.field, field);
    assert.deepEqual(err.details?.value, value);
    assert.match(err.message, new RegExp(`invalid ${field} name`));
    return true;
  });
}

describe("ceph names", () => {
  it("accepts PVC-style names", () => {
    for (const name of ["vms", "web1_sda", "a", "_x", "pool-1", "v1.2", "a+b", "0", "Disk_0-backup.2024"]) {
      assert.equal(validatePoolName(name), name);
      assert.equal(validateVolumeName(name), name);
      assert.equal(validateSnapshotName(name), name);
    }
    assert.equal(validateVolumeName("x".repeat(MAX_NAME_LENGTH)), "x".repeat(MAX_NAME_LENGTH));
  });

  it("rejects dangerous or malformed names, naming field and value", () => {
    const bad = [
      "",
      "-rf",
      "--yes-i-really-mean-it",
      ".",
      "..",
      ".mgr",
      "a;b",
      "a/b",
      "a@b",
      "a b",
      " a",
      "a\tb",
      "a\nb",
      "a\u0000b",
      "$(x)",
      "`x`",
      "a|b",
      "a&b",
      "a>b",
      "a<b",
      "a'b",
      'a"b',
      "a\\b",
      "a*",
      "a?",
      "a!",
      "{a}",
      "a,b",
      "a:b",
      "ä",
      "x".repeat(MAX_NAME_LENGTH + 1),
    ];
    for (const name of bad) {
      rejectsName(() => validatePoolName(name), "pool", name);
      rejectsName(() => validateVolumeName(name), "volume", name);
      rejectsName(() => validateSnapshotName(name), "snapshot", name);
    }
    rejectsName(() => validatePoolName(undefined), "pool", undefined);
    rejectsName(() => validateVolumeName(42), "volume", 42);
  });

  it("validates OSD ids", () => {
    assert.equal(validateOsdId(0), 0);
    assert.equal(validateOsdId(17), 17);
    for (const id of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "0", null]) {
      rejectsName(() => validateOsdId(id), "osd id", id);
    }
  });

  it("validates OSD flags against the allow-list", () => {
    for (const flag of [
      "noout",
      "noin",
      "nodown",
      "noup",
      "noscrub",
      "nodeep-scrub",
      "norebalance",
      "pause",
    ]) {
      assert.equal(validateOsdFlag(flag), flag);
    }
    for (const flag of ["full", "pglog_hardlimit", "bogus", "", "noout;rm", "NOOUT", "-noout"]) {
      rejectsName(() => validateOsdFlag(flag), "osd flag", flag);
    }
  });

  it("validates pool variables and values", () => {
    assert.equal(validatePoolVariable("pg_num"), "pg_num");
    assert.equal(validatePoolVariable("nodeep-scrub"), "nodeep-scrub");
    for (const v of ["", "PG_NUM", "-x", "pg num", "a;b"])
      rejectsName(() => validatePoolVariable(v), "pool variable", v);
    assert.equal(validatePoolValue(64), "64");
    assert.equal(validatePoolValue(true), "true");
    assert.equal(validatePoolValue("0.5"), "0.5");
    assert.equal(validatePoolValue("on"), "on");
    for (const v of [-1, "-1", "", "a b", "$(x)", Number.NaN])
      rejectsName(() => validatePoolValue(v), "pool value", v);
  });

  it("validates lock ids and lockers", () => {
    assert.equal(validateLockId("auto 139855523344000"), "auto 139855523344000");
    for (const v of ["", "-x", "a\nb", "x".repeat(257)]) rejectsName(() => validateLockId(v), "lock id", v);
    assert.equal(validateLocker("client.4123"), "client.4123");
    for (const v of ["client.", "osd.0", "client.1;x", "-client.1"])
      rejectsName(() => validateLocker(v), "locker", v);
  });
});

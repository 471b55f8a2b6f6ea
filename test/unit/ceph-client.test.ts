import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CephClient } from "../../src/ceph/client.ts";
import type { OsdFlag } from "../../src/ceph/names.ts";
import type { CallStat } from "../../src/ceph/run.ts";
import { isPvcError } from "../../src/errors.ts";

/**
 * Proof that bad arguments never reach a process: the client's binaries point at paths that do not
 * exist, and onCall counts every spawn attempt (the runner reports failed spawns too, as the
 * positive control shows).
 */
function client(): { c: CephClient; calls: CallStat[] } {
  const calls: CallStat[] = [];
  const bogus = "/nonexistent/never-run";
  const c = new CephClient({
    conf: "/nonexistent/ceph.conf",
    binaries: { ceph: `${bogus}/ceph`, rbd: `${bogus}/rbd`, rados: `${bogus}/rados` },
    onCall: (s) => calls.push(s),
  });
  return { c, calls };
}

const BAD_NAMES = ["-rf", "a;b", "a/b", "a@b", "a b", "$(x)", "", "..", ".", "a\nb", "`id`", "a|b", "--size"];

describe("CephClient argument validation", () => {
  it("positive control: a valid call does reach the (bogus) binary and is counted", async () => {
    const { c, calls } = client();
    await assert.rejects(c.rbdInfo("vms", "web1_sda"), { code: "CEPH_COMMAND_FAILED" });
    assert.equal(calls.length, 1);
    assert.equal(calls[0].cmd, "rbd info vms/web1_sda");
    assert.equal(calls[0].ok, false);
  });

  it("rejects bad pool/volume/snapshot names with INVALID_NAME before spawning anything", async () => {
    const { c, calls } = client();
    const ops: [string, (bad: string) => Promise<unknown>][] = [
      ["pool", (b) => c.poolCreate(b, 8)],
      ["pool", (b) => c.poolGet(b, "pg_num")],
      ["pool", (b) => c.poolSet(b, "pg_num", 16)],
      ["pool", (b) => c.poolApplicationEnable(b, "rbd")],
      ["application", (b) => c.poolApplicationEnable("vms", b)],
      ["pool", (b) => c.rbdPoolInit(b)],
      ["pool", (b) => c.poolRm(b)],
      ["pool", (b) => c.rbdCreate(b, "v", 1024)],
      ["volume", (b) => c.rbdCreate("vms", b, 1024)],
      ["volume", (b) => c.rbdInfo("vms", b)],
      ["pool", (b) => c.rbdLs(b)],
      ["volume", (b) => c.rbdResize("vms", b, 1024)],
      ["volume", (b) => c.rbdRename("vms", b, "ok")],
      ["volume", (b) => c.rbdRename("vms", "ok", b)],
      ["pool", (b) => c.rbdCopy("vms", "v", b, "v")],
      ["volume", (b) => c.rbdCopy("vms", "v", "vms", b)],
      ["volume", (b) => c.rbdRm("vms", b)],
      ["snapshot", (b) => c.snapCreate("vms", "v", b)],
      ["volume", (b) => c.snapLs("vms", b)],
      ["snapshot", (b) => c.snapRm("vms", "v", b)],
      ["volume", (b) => c.lockLs("vms", b)],
      ["volume", (b) => c.lockRm("vms", b, "auto 1", "client.1")],
    ];
    for (const [field, op] of ops) {
      for (const bad of BAD_NAMES) {
        await assert.rejects(op(bad), (err: unknown) => {
          assert.ok(isPvcError(err, "INVALID_NAME"), `${field} ${JSON.stringify(bad)}: got ${String(err)}`);
          assert.equal(err.details?.field, field);
          assert.equal(err.details?.value, bad);
          return true;
        });
      }
    }
    assert.equal(calls.length, 0, "no process was spawned");
  });

  it("rejects bad OSD ids, flags, pool variables/values, lock ids, sizes and pg counts before spawning", async () => {
    const { c, calls } = client();
    const expectations: [Promise<unknown>, string][] = [
      [c.osdIn(-1), "INVALID_NAME"],
      [c.osdOut(1.5), "INVALID_NAME"],
      [c.osdIn("0" as unknown as number), "INVALID_NAME"],
      [c.osdSet("bogus" as OsdFlag), "INVALID_NAME"],
      [c.osdUnset("noout;reboot" as OsdFlag), "INVALID_NAME"],
      [c.poolGet("vms", "-x"), "INVALID_NAME"],
      [c.poolGet("vms", "all"), "CEPH_EINVAL"],
      [c.poolSet("vms", "size", "-1"), "INVALID_NAME"],
      [c.poolSet("vms", "size", "1 --yes-i-really-mean-it"), "INVALID_NAME"],
      [c.lockRm("vms", "v", "-x", "client.1"), "INVALID_NAME"],
      [c.lockRm("vms", "v", "auto 1", "client.1 x"), "INVALID_NAME"],
      [c.rbdCreate("vms", "v", 0), "CEPH_EINVAL"],
      [c.rbdCreate("vms", "v", 1.5), "CEPH_EINVAL"],
      [c.rbdResize("vms", "v", -1), "CEPH_EINVAL"],
      [c.poolCreate("vms", 0), "CEPH_EINVAL"],
      [c.poolCreate("vms", 100000), "CEPH_EINVAL"],
      [c.poolCreate("vms", 8, { size: 0 }), "CEPH_EINVAL"],
      [c.poolCreate("vms", 8, { size: 3, minSize: 1.5 }), "CEPH_EINVAL"],
    ];
    for (const [p, code] of expectations) await assert.rejects(p, { code });
    assert.equal(calls.length, 0, "no process was spawned");
  });
});

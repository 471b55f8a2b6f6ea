/**
 * The pure parts of the storage facade and the Ceph controllers: the exact commands OSD add and
 * remove would run, the pre-flight that refuses them before anything runs, PVC's size and replcfg
 * formats, and the parsers of the CephCluster loop.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { deviceProblem, parseWeight } from "../../api/v1/storage/osd.ts";
import { parseReplcfg } from "../../api/v1/storage/pool.ts";
import { formatBytesToHuman } from "../../api/v1/storage/volume.ts";
import { parseOsdStatusTable } from "../../controllers/ceph/cluster.ts";
import { createdAfterIntent } from "../../controllers/ceph/common.ts";
import {
  type HostFacts,
  osdAddCommands,
  osdRemoveCommands,
  preflight,
} from "../../controllers/ceph/osd-commands.ts";
import { poolDrift } from "../../controllers/ceph/pool.ts";
import { imagePrints } from "../../controllers/ceph/volume.ts";
import { failureError } from "../../src/ceph/run.ts";
import { ErrorCodes } from "../../src/errors.ts";

const host = (over: Partial<HostFacts> = {}): HostFacts => ({
  hostname: "hv1",
  exists: () => true,
  isBlockDevice: () => true,
  hasProgram: () => true,
  ...over,
});

describe("OSD add/remove commands", () => {
  test("add runs PVC's ceph-volume sequence on the device, then places the OSD with its weight", () => {
    assert.deepEqual(osdAddCommands("hv1", "/dev/sdb", 1.5), [
      ["ceph-volume", "lvm", "zap", "--destroy", "/dev/sdb"],
      ["ceph-volume", "lvm", "prepare", "--bluestore", "--data", "/dev/sdb"],
      ["ceph-volume", "lvm", "list", "/dev/sdb", "--format", "json"],
      ["ceph-volume", "lvm", "activate", "--bluestore", "{id}", "{fsid}"],
      ["ceph", "osd", "crush", "add", "osd.{id}", "1.5", "root=default", "host=hv1"],
      ["systemctl", "status", "ceph-osd@{id}"],
    ]);
  });

  test("remove sets the OSD out, stops it, zaps its device and purges it", () => {
    assert.deepEqual(osdRemoveCommands(3, "/dev/sdc"), [
      ["ceph", "osd", "out", "3"],
      ["systemctl", "stop", "ceph-osd@3"],
      ["ceph-volume", "lvm", "zap", "--destroy", "/dev/sdc"],
      ["ceph", "osd", "purge", "3", "--yes-i-really-mean-it"],
    ]);
  });

  test("pre-flight names the first command that cannot run, and why", () => {
    const add = osdAddCommands("hv1", "/dev/sdb", 1);
    assert.equal(preflight("hv1", "/dev/sdb", add, host()), undefined);
    assert.deepEqual(preflight("hv2", "/dev/sdb", add, host()), {
      command: add[0],
      why: "it must run on node hv2, and this API host is hv1",
    });
    assert.match(
      preflight("hv1", "/dev/sdb", add, host({ isBlockDevice: () => false }))?.why ?? "",
      /not a block device/,
    );
    assert.match(
      preflight("hv1", "/dev/sdb", add, host({ exists: (p) => p !== "/dev/mapper/control" }))?.why ?? "",
      /device-mapper/,
    );
    const remove = osdRemoveCommands(0, "/dev/sdb");
    const noSystemd = preflight(
      "hv1",
      "/dev/sdb",
      remove,
      host({ exists: (p) => p !== "/run/systemd/system" }),
    );
    assert.deepEqual(noSystemd?.command, ["systemctl", "stop", "ceph-osd@0"]);
    assert.match(
      preflight("hv1", "/dev/sdb", remove, host({ hasProgram: (p) => p !== "ceph-volume" }))?.why ?? "",
      /ceph-volume is not installed/,
    );
  });

  test("devices and weights are validated as values, never passed through", () => {
    assert.equal(deviceProblem("/dev/sdb"), undefined);
    assert.equal(deviceProblem("/dev/disk/by-id/ata-X_123"), undefined);
    for (const bad of [
      "sdb",
      "/dev/../etc/passwd",
      "/dev/sdb;reboot",
      "/dev/sd b",
      "/etc/passwd",
      "-/dev/sdb",
    ])
      assert.ok(deviceProblem(bad), bad);
    assert.equal(parseWeight("1.0"), 1);
    assert.equal(parseWeight("0.5"), 0.5);
    for (const bad of ["0", "-1", "1e3", "abc", ""]) assert.equal(parseWeight(bad), undefined, bad);
  });
});

describe("PVC formats", () => {
  test("format_bytes_tohuman: the smallest unit that keeps at most 4 digits", () => {
    assert.equal(formatBytesToHuman(64 * 1024 ** 2), "64M");
    assert.equal(formatBytesToHuman(8 * 1024 ** 2), "8192K");
    assert.equal(formatBytesToHuman(1024 ** 3), "1024M");
    assert.equal(formatBytesToHuman(20 * 1024 ** 3), "20G");
    assert.equal(formatBytesToHuman(512), "512B");
  });

  test("replcfg", () => {
    assert.deepEqual(parseReplcfg("copies=3,mincopies=2"), { copies: 3, minCopies: 2 });
    assert.match(String(parseReplcfg("copies=3")), /must give both/);
    assert.match(String(parseReplcfg("copies=x,mincopies=1")), /not valid/);
  });
});

describe("Ceph controller helpers", () => {
  test("an intent owns only what Ceph created after it (second resolution, small skew)", () => {
    const at = "2026-11-26T18:00:10.500Z";
    assert.equal(createdAfterIntent(Date.parse("2026-11-26T18:00:10Z"), at), true);
    assert.equal(createdAfterIntent(Date.parse("2026-11-26T18:00:20Z"), at), true);
    assert.equal(createdAfterIntent(Date.parse("2026-11-26T17:59:00Z"), at), false);
    assert.equal(createdAfterIntent(Number.NaN, at), undefined);
  });

  test("a librbd admin-socket log line does not make a missing image look like EEXIST", () => {
    const stderr =
      "2026-11-26T18:08:48.293+0000 7fc66b552380 -1 asok(0x55c) AdminSocketConfigObs::init: failed: AdminSocket::bind_and_listen: failed to bind the UNIX domain socket to '/x.asok': (17) File exists\n\nrbd: error opening image lost: (2) No such file or directory\n";
    const err = failureError("rbd info p/lost", 2, stderr);
    assert.equal(err.code, ErrorCodes.CEPH_ENOENT);
  });

  test("pool drift compares pg_num_target, size, min_size and the rbd application", () => {
    const spec = {
      pgs: 16,
      replication: { copies: 1, minCopies: 1 },
      application: "rbd" as const,
      deletionPolicy: "Delete" as const,
    };
    const detail = {
      id: 1,
      name: "p",
      size: 1,
      minSize: 1,
      pgNum: 8,
      pgNumTarget: 16,
      pgpNum: 8,
      pgpNumTarget: 16,
      pgAutoscaleMode: "off",
      applicationMetadata: { rbd: {} },
      raw: {},
    };
    assert.deepEqual(poolDrift(spec, detail), [], "pg_num lagging behind its target is not drift");
    assert.deepEqual(poolDrift(spec, { ...detail, pgNumTarget: 17, applicationMetadata: {} }), [
      "pg_num_target 17 (want 16)",
      "application rbd not enabled",
    ]);
  });

  test("rbd ls -l entries fold into one print per image", () => {
    const prints = imagePrints([
      { image: "a", size: 10, format: 2, raw: { id: "1a" } },
      { image: "a", snapshot: "s1", size: 10, format: 2, raw: { id: "1a" } },
      { image: "b", size: 20, format: 2, raw: { id: "2b" } },
    ]);
    assert.deepEqual(Object.fromEntries(prints), {
      a: { id: "1a", size: 10, snaps: 1 },
      b: { id: "2b", size: 20, snaps: 0 },
    });
  });

  test("ceph osd status table rows", () => {
    const text =
      "ID  HOST   USED  AVAIL  WR OPS  WR DATA  RD OPS  RD DATA  STATE      \n 0  vm     290M  9949M     10       43      50      881   exists,up  \n";
    assert.deepEqual(Object.fromEntries(parseOsdStatusTable(text)), {
      "0": {
        node: "vm",
        used: "290M",
        avail: "9949M",
        wr_ops: "10",
        wr_data: "43",
        rd_ops: "50",
        rd_data: "881",
        state: "exists,up",
      },
    });
  });
});

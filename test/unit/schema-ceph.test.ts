import assert from "node:assert/strict";
import { test } from "node:test";
import { validateResource } from "../../src/resources/validate.ts";
import { invalid } from "../helpers/validation.ts";

const API = "pvc.parallelvirtualcluster.org/v1";

const doc = (kind: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: API,
  kind,
  metadata: { name },
  spec,
});

test("CephPool: defaults are PVC's copies=3,mincopies=2; minCopies follows Ceph's rule for other sizes", () => {
  assert.deepEqual(validateResource(doc("CephPool", "vms", { pgs: 256 })).spec, {
    pgs: 256,
    replication: { copies: 3, minCopies: 2 },
    application: "rbd",
    deletionPolicy: "Delete",
  });
  assert.deepEqual(
    validateResource(doc("CephPool", "p", { pgs: 8, replication: { copies: 1 } })).spec.replication,
    {
      copies: 1,
      minCopies: 1,
    },
  );
  assert.deepEqual(
    validateResource(doc("CephPool", "p", { pgs: 8, replication: { copies: 2 } })).spec.replication,
    {
      copies: 2,
      minCopies: 1,
    },
  );
});

test("CephPool: pool names, pgs, replication and the deletion confirmation", () => {
  invalid(
    doc("CephPool", "vm.pool", { pgs: 0, replication: { copies: 2, minCopies: 3 }, application: "cephfs" }),
    [
      ["/metadata/name", "vm.pool", /pool name/],
      ["/spec/pgs", 0, /must be >= 1/],
      ["/spec/replication/minCopies", 3, /must not exceed copies \(2\)/],
      ["/spec/application", "cephfs", /must be rbd/],
    ],
  );
  invalid(doc("CephPool", "-vms", {}), [
    ["/metadata/name", "-vms", /pool name/],
    ["/spec/pgs", undefined, /is required/],
  ]);
  assert.doesNotThrow(() =>
    validateResource(doc("CephPool", "vms", { pgs: 8, confirmDeleteWithVolumes: "vms" })),
  );
  invalid(
    doc("CephPool", "vms", {
      pgs: 8,
      confirmDeleteWithVolumes: "yes_i_really_mean_it",
      deletionPolicy: "Destroy",
    }),
    [
      ["/spec/confirmDeleteWithVolumes", "yes_i_really_mean_it", /pool's own name \("vms"\)/],
      ["/spec/deletionPolicy", "Destroy", /Delete .* or Retain/],
    ],
  );
});

test("CephVolume: name is <pool>.<volume>; spec.name defaults from it; size normalized to bytes", () => {
  const out = validateResource(doc("CephVolume", "vms.web1_sda", { pool: "vms", size: "20G" }));
  assert.deepEqual(out.spec, {
    pool: "vms",
    name: "web1_sda",
    size: 20 * 1024 ** 3,
    allowShrink: false,
    onExternalDelete: "report",
    deletionPolicy: "Delete",
  });
  // Dots are allowed in the volume part: the pool part never has one.
  assert.equal(
    validateResource(doc("CephVolume", "vms.db.example.com_sda", { pool: "vms", size: 4096 })).spec.name,
    "db.example.com_sda",
  );
  assert.equal(
    validateResource(doc("CephVolume", "vms.x", { pool: "vms", size: "4096M" })).spec.size,
    4096 * 1024 ** 2,
  );
  assert.equal(
    validateResource(doc("CephVolume", "vms.x", { pool: "vms", size: "1t" })).spec.size,
    1024 ** 4,
  );
});

test("CephVolume: name, pool and spec.name must agree", () => {
  invalid(doc("CephVolume", "vms.web1_sda", { pool: "images", size: "1G" }), [
    ["/metadata/name", "vms.web1_sda", /must be images\.<volume>/],
  ]);
  invalid(doc("CephVolume", "vms.web1_sda", { pool: "vms", name: "web1_sdb", size: "1G" }), [
    ["/metadata/name", "vms.web1_sda", /must be "vms\.web1_sdb"/],
  ]);
  invalid(doc("CephVolume", "web1_sda", { pool: "vms", size: "1G" }), [
    ["/metadata/name", "web1_sda", /<pool>\.<volume>/],
  ]);
  invalid(doc("CephVolume", "vms.-bad", { pool: "vms", size: "1G" }), [
    ["/metadata/name", "vms.-bad", /<pool>\.<volume>/],
  ]);
  invalid(doc("CephVolume", `vms.${"a".repeat(97)}`, { pool: "vms", size: "1G" }), [
    ["/metadata/name", `vms.${"a".repeat(97)}`, /at most 96/],
  ]);
});

test("CephVolume: size must parse, be positive, a multiple of 512, and is required without a source", () => {
  invalid(doc("CephVolume", "vms.a", { pool: "vms", size: "20GB" }), [["/spec/size", "20GB", /unit letter/]]);
  invalid(doc("CephVolume", "vms.a", { pool: "vms", size: "1.5G" }), [["/spec/size", "1.5G", /unit letter/]]);
  invalid(doc("CephVolume", "vms.a", { pool: "vms", size: 0 }), [["/spec/size", 0, /positive/]]);
  invalid(doc("CephVolume", "vms.a", { pool: "vms", size: "0G" }), [["/spec/size", "0G", /larger than 0/]]);
  invalid(doc("CephVolume", "vms.a", { pool: "vms", size: 1000 }), [["/spec/size", 1000, /multiple of 512/]]);
  invalid(doc("CephVolume", "vms.a", { pool: "vms", size: "99999999999P" }), [
    ["/spec/size", "99999999999P", /too large/],
  ]);
  invalid(doc("CephVolume", "vms.a", { pool: "vms" }), [
    ["/spec/size", undefined, /required unless spec\.source/],
  ]);
  invalid(
    doc("CephVolume", "vms.a", { pool: "vms", size: 512, onExternalDelete: "ignore", allowshrink: true }),
    [
      ["/spec/onExternalDelete", "ignore", /report .* or recreate/],
      ["/spec/allowshrink", true, /did you mean "allowShrink"/],
    ],
  );
});

test("CephVolume: a clone needs no size; its source pool defaults to spec.pool; it cannot clone itself", () => {
  const out = validateResource(
    doc("CephVolume", "vms.web2_sda", { pool: "vms", source: { volume: "web1_sda" } }),
  );
  assert.deepEqual(out.spec.source, { pool: "vms", volume: "web1_sda" });
  assert.equal(out.spec.size, undefined);
  invalid(doc("CephVolume", "vms.a", { pool: "vms", source: { volume: "a" } }), [
    ["/spec/source/volume", "a", /another volume/],
  ]);
  invalid(doc("CephVolume", "vms.a", { pool: "vms", source: { pool: "images", volume: "b@c" } }), [
    ["/spec/source/volume", "b@c", /RBD-safe/],
  ]);
});

test("CephSnapshot: name is <pool>.<volume>@<snapshot> and must agree with the spec", () => {
  const out = validateResource(
    doc("CephSnapshot", "vms.web1_sda@nightly-1", { pool: "vms", volume: "web1_sda" }),
  );
  assert.deepEqual(out.spec, {
    pool: "vms",
    volume: "web1_sda",
    name: "nightly-1",
    deletionPolicy: "Delete",
  });
  invalid(doc("CephSnapshot", "vms.web1_sda@nightly", { pool: "vms", volume: "web1_sdb" }), [
    ["/metadata/name", "vms.web1_sda@nightly", /must be vms\.web1_sdb@<snapshot>/],
  ]);
  invalid(doc("CephSnapshot", "vms.web1_sda@nightly", { pool: "vms", volume: "web1_sda", name: "weekly" }), [
    ["/metadata/name", "vms.web1_sda@nightly", /"vms\.web1_sda@weekly"/],
  ]);
  invalid(doc("CephSnapshot", "vms.web1_sda", { pool: "vms" }), [
    ["/metadata/name", "vms.web1_sda", /<pool>\.<volume>@<snapshot>/],
    ["/spec/volume", undefined, /is required/],
  ]);
});

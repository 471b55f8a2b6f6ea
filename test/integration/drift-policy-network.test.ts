/**
 * `spec.driftPolicy` on a Network, on the real ZooKeeper: a DHCP reservation and an ACL added
 * behind the controller's back (as PVC's own CLI does) are removed under Repair (the default) and
 * kept under Report, where the resource shows Drifted naming them and a DriftDetected event, and
 * nothing is written until the spec changes or the policy goes back to Repair.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { networkController } from "../../controllers/network/controller.ts";
import type { Resource } from "../../src/resources/types.ts";
import { type Harness, startHarness } from "../helpers/controllers.ts";

const API = "pvc.parallelvirtualcluster.org/v1";

function network(name: string, vni: number, extra: Record<string, unknown> = {}): Resource {
  return {
    apiVersion: API,
    kind: "Network",
    metadata: { name },
    spec: {
      vni,
      type: "managed",
      domain: `${name}.example.org`,
      ipv4: {
        network: `10.${vni % 250}.0.0/24`,
        gateway: `10.${vni % 250}.0.1`,
        dhcp: { start: `10.${vni % 250}.0.100`, end: `10.${vni % 250}.0.200` },
      },
      ...extra,
    },
  };
}

const condition = (r: Resource<unknown> | null, type: string) =>
  (r?.status?.conditions ?? []).find((c) => c.type === type);
const readyFor = (r: Resource<unknown> | null) =>
  condition(r, "Ready")?.status === "True" &&
  condition(r, "Ready")?.observedGeneration === r?.metadata.generation;

describe("driftPolicy on a Network", () => {
  let h: Harness;
  async function until(what: string, cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  /** Adds a reservation and an inbound ACL the way PVC's CLI writes them, straight into ZooKeeper. */
  async function addBehindTheBack(vni: number): Promise<{ reservation: string; acl: string }> {
    const reservation = `${h.pvc.dhcp4Reservations(vni)}/52:54:00:de:ad:01`;
    await h.zk.multi([
      { op: "create", path: reservation, data: "52:54:00:de:ad:01" },
      { op: "create", path: `${reservation}/ipaddr`, data: `10.${vni % 250}.0.50` },
      { op: "create", path: `${reservation}/hostname`, data: "sneaky" },
    ]);
    const acl = `${h.pvc.networkKey(vni, "firewall_rules/in")}/allow-sneaky`;
    await h.zk.multi([
      { op: "create", path: acl, data: "" },
      { op: "create", path: `${acl}/order`, data: "0" },
      { op: "create", path: `${acl}/rule`, data: "tcp dport 2222 counter accept" },
    ]);
    return { reservation, acl };
  }

  before(async () => {
    h = await startHarness("drift-policy", [networkController]);
  });
  after(async () => {
    await h.close();
  });

  test("Repair (the default): a reservation and an ACL added out of band are removed", async () => {
    await h.store.create(network("repaired", 3301));
    await h.waitFor("Network", "repaired", readyFor);
    const { reservation, acl } = await addBehindTheBack(3301);
    await until("both removed", async () => !(await h.zk.exists(reservation)) && !(await h.zk.exists(acl)));
    const events = await h.events.list("networks", "repaired");
    assert.ok(
      events.some((e) => e.reason === "DriftRepaired"),
      JSON.stringify(events),
    );
    assert.equal(condition(await h.store.tryGet("Network", "repaired"), "Drifted"), undefined);
  });

  test("Report: they are kept, Drifted names them, an event says so, nothing is written", async () => {
    await h.store.create(network("reported", 3302, { driftPolicy: "Report" }));
    await h.waitFor("Network", "reported", readyFor);
    const { reservation, acl } = await addBehindTheBack(3302);
    const seen = await h.waitFor("Network", "reported", (r) =>
      /allow-sneaky/.test(String(condition(r, "Drifted")?.message)),
    );
    const drifted = condition(seen, "Drifted");
    assert.match(String(drifted?.message), /driftPolicy Report/);
    assert.match(String(drifted?.message), /dhcp4_reservations\/52:54:00:de:ad:01/);
    assert.match(String(drifted?.message), /firewall_rules\/in\/allow-sneaky/);
    assert.match(
      String(drifted?.message),
      /^2 owned items differ/,
      "each subtree is named once, by its root",
    );
    assert.deepEqual(seen?.status?.drift, [reservation, acl]);
    assert.ok(readyFor(seen), "still Ready: the network works as it is");
    const events = await h.events.list("networks", "reported");
    assert.ok(
      events.some((e) => e.reason === "DriftDetected"),
      JSON.stringify(events),
    );
    assert.ok(!events.some((e) => e.reason === "DriftRepaired"), JSON.stringify(events));
    // Nothing is written: the keys stay, also across a resync, and the status does not churn.
    const mzxid = (await h.zk.exists(h.pvc.network(3302)))?.pzxid;
    const statusBefore = seen?.metadata.resourceVersion;
    await h.controllers[0].resyncNow();
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(await h.zk.exists(reservation), "the reservation is kept");
    assert.ok(await h.zk.exists(`${acl}/rule`), "the ACL is kept");
    assert.equal((await h.zk.exists(h.pvc.network(3302)))?.pzxid, mzxid, "no key under the network changed");
    assert.equal((await h.store.tryGet("Network", "reported"))?.metadata.resourceVersion, statusBefore);
  });

  test("Report, then back to Repair: the spec's version is restored and Drifted goes", async () => {
    await h.store.patch("Network", "reported", { spec: { driftPolicy: "Repair" } });
    const reservation = `${h.pvc.dhcp4Reservations(3302)}/52:54:00:de:ad:01`;
    await until("the reservation removed", async () => !(await h.zk.exists(reservation)));
    const after = await h.waitFor("Network", "reported", (r) => readyFor(r) && !condition(r, "Drifted"));
    assert.equal(condition(after, "Drifted"), undefined);
  });

  test("Report: a spec change is converged as usual (which ends the drift)", async () => {
    await h.store.create(network("respec", 3303, { driftPolicy: "Report" }));
    await h.waitFor("Network", "respec", readyFor);
    const { acl } = await addBehindTheBack(3303);
    await h.waitFor("Network", "respec", (r) =>
      /allow-sneaky/.test(String(condition(r, "Drifted")?.message)),
    );
    await h.store.patch("Network", "respec", { spec: { domain: "respec.corp.example" } });
    await until(
      "the new domain written",
      async () => (await h.zk.get(h.pvc.networkKey(3303, "domain"))).data === "respec.corp.example",
    );
    await until("the ACL removed with the new generation", async () => !(await h.zk.exists(acl)));
    const after = await h.waitFor("Network", "respec", (r) => readyFor(r) && !condition(r, "Drifted"));
    assert.equal(condition(after, "Drifted"), undefined);
    assert.equal(after?.status?.drift, undefined);
  });
});

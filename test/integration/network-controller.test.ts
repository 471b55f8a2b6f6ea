/**
 * The Network controller on the real ZooKeeper: PVC's keys exactly as PVC writes them, drift
 * repair, leases left alone, claims, moves, deletion, and zero writes once converged.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { isDeepStrictEqual } from "node:util";
import { NETWORK_FINALIZER, networkController } from "../../controllers/network/controller.ts";
import type { Resource } from "../../src/resources/types.ts";
import { type Harness, startHarness } from "../helpers/controllers.ts";

const API = "pvc.parallelvirtualcluster.org/v1";

function network(name: string, spec: Record<string, unknown>): Resource {
  return { apiVersion: API, kind: "Network", metadata: { name }, spec };
}

const isReady = (r: Resource | null) =>
  r?.status?.observedGeneration === r?.metadata.generation &&
  (r?.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

const stalledWith = (reason: string) => (r: Resource | null) =>
  (r?.status?.conditions ?? []).some(
    (c) => c.type === "Stalled" && c.status === "True" && c.reason === reason,
  );

describe("Network controller", () => {
  let h: Harness;
  /** The subtree under /networks/<vni>, relative paths → values. */
  async function tree(vni: number): Promise<Record<string, string>> {
    const base = h.pvc.network(vni);
    const out: Record<string, string> = {};
    for (const p of await h.zk.listTree(base)) out[p.slice(base.length) || "/"] = (await h.zk.get(p)).data;
    return out;
  }
  async function until(what: string, cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  before(async () => {
    h = await startHarness("netctl", [networkController]);
  });
  after(async () => {
    await h.close();
  });

  test("a managed network becomes exactly PVC's keys, and Ready with its vni", async () => {
    await h.store.create(
      network("prod", {
        vni: 1200,
        type: "managed",
        domain: "prod.example.org",
        nameServers: ["10.12.0.1"],
        ipv4: {
          network: "10.12.0.0/24",
          gateway: "10.12.0.1",
          dhcp: { start: "10.12.0.100", end: "10.12.0.199" },
        },
        ipv6: { network: "fd00:12::/64" },
        dhcpReservations: [{ mac: "52:54:00:AA:BB:01", ip: "10.12.0.10", hostname: "web1" }],
        acls: {
          in: [
            { description: "allow-ssh", rule: "tcp dport 22 counter accept" },
            { description: "allow-http", rule: "tcp dport 80 counter accept" },
          ],
          out: [{ description: "allow-all", rule: "counter accept" }],
        },
      }),
    );
    const ready = await h.waitFor("Network", "prod", isReady);
    assert.equal(ready?.status?.vni, 1200);
    assert.match(String(ready?.status?.conditions?.find((c) => c.type === "Ready")?.message), /vni 1200/);
    assert.deepEqual(ready?.metadata.finalizers, [NETWORK_FINALIZER]);
    assert.deepEqual(await tree(1200), {
      "/": "prod",
      "/nettype": "managed",
      "/domain": "prod.example.org",
      "/name_servers": "10.12.0.1",
      "/ip6_network": "fd00:12::/64",
      "/ip6_gateway": "fd00:12::1",
      "/dhcp6_flag": "True",
      "/ip4_network": "10.12.0.0/24",
      "/ip4_gateway": "10.12.0.1",
      "/dhcp4_flag": "True",
      "/dhcp4_start": "10.12.0.100",
      "/dhcp4_end": "10.12.0.199",
      "/dhcp4_leases": "",
      "/dhcp4_reservations": "",
      "/dhcp4_reservations/52:54:00:aa:bb:01": "static",
      "/dhcp4_reservations/52:54:00:aa:bb:01/hostname": "web1",
      "/dhcp4_reservations/52:54:00:aa:bb:01/ipaddr": "10.12.0.10",
      "/firewall_rules": "",
      "/firewall_rules/in": "",
      "/firewall_rules/in/allow-ssh": "",
      "/firewall_rules/in/allow-ssh/rule": "tcp dport 22 counter accept",
      "/firewall_rules/in/allow-ssh/order": "0",
      "/firewall_rules/in/allow-http": "",
      "/firewall_rules/in/allow-http/rule": "tcp dport 80 counter accept",
      "/firewall_rules/in/allow-http/order": "1",
      "/firewall_rules/out": "",
      "/firewall_rules/out/allow-all": "",
      "/firewall_rules/out/allow-all/rule": "counter accept",
      "/firewall_rules/out/allow-all/order": "0",
    });
  });

  test("out-of-band edits and deletes of owned keys are repaired; unknown reservations and ACLs removed", async () => {
    const before = await tree(1200);
    const base = h.pvc.network(1200);
    await h.zk.set(`${base}/ip4_gateway`, "10.12.0.254");
    await h.zk.deleteRecursive(`${base}/dhcp4_reservations/52:54:00:aa:bb:01`);
    await h.zk.delete(`${base}/domain`);
    await h.zk.mkdirp(`${base}/firewall_rules/in/sneaky`);
    await h.zk.create(`${base}/firewall_rules/in/sneaky/rule`, "counter drop");
    await until("repair", async () => isDeepStrictEqual(await tree(1200), before));
    const events = await h.events.list("networks", "prod");
    assert.ok(
      events.some((e) => e.reason === "DriftRepaired"),
      JSON.stringify(events),
    );
  });

  test("dynamic leases written as dnsmasq would are shown in status and never touched", async () => {
    const lease = `${h.pvc.dhcp4Leases(1200)}/52:54:00:de:ad:01`;
    await h.zk.create(lease, "");
    await h.zk.create(`${lease}/hostname`, "guest1");
    await h.zk.create(`${lease}/ipaddr`, "10.12.0.150");
    await h.zk.create(`${lease}/expiry`, "1764000000");
    await h.zk.create(`${lease}/clientid`, "ff:00");
    const expected = [
      {
        mac: "52:54:00:de:ad:01",
        ip: "10.12.0.150",
        hostname: "guest1",
        expiry: "1764000000",
        clientId: "ff:00",
      },
    ];
    await h.waitFor("Network", "prod", (n) => isDeepStrictEqual(n?.status?.dhcpLeases, expected));
    await new Promise((res) => setTimeout(res, 300));
    assert.equal((await h.zk.get(`${lease}/ipaddr`)).data, "10.12.0.150", "the lease is untouched");
  });

  test("a converged network costs zero writes across 10 resyncs", async () => {
    const base = h.pvc.network(1200);
    const snapshot = async () => {
      const out: string[] = [];
      for (const p of await h.zk.listTree(base)) out.push(`${p}@${(await h.zk.exists(p))?.mzxid}`);
      return out.join("\n");
    };
    await new Promise((res) => setTimeout(res, 300)); // let the lease update settle
    const rv = (await h.store.get("Network", "prod")).metadata.resourceVersion;
    const keys = await snapshot();
    const controller = h.controllers[0];
    for (let i = 0; i < 10; i++) {
      controller.resync(() => ["prod"]);
      await controller.enqueue("prod");
    }
    assert.equal(
      (await h.store.get("Network", "prod")).metadata.resourceVersion,
      rv,
      "no status or spec write",
    );
    assert.equal(await snapshot(), keys, "no PVC key written");
  });

  test("a spec change converges in one step; a vni change moves the keys", async () => {
    const cur = await h.store.get("Network", "prod");
    await h.store.update({ ...cur, spec: { ...cur.spec, vni: 1201, acls: { in: [], out: [] } } });
    await h.waitFor("Network", "prod", (r) => isReady(r) && r?.status?.vni === 1201);
    assert.equal(await h.zk.exists(h.pvc.network(1200)), null, "old vni's keys removed");
    const moved = await tree(1201);
    assert.equal(moved["/ip4_gateway"], "10.12.0.1");
    assert.equal(moved["/firewall_rules/in/allow-ssh"], undefined);
  });

  test("bridged: the managed-only fields are ignored, written empty as PVC does, and the status says so", async () => {
    await h.store.create(
      network("vlan300", {
        vni: 300,
        type: "bridged",
        ipv4: { network: "10.30.0.0/24", gateway: "10.30.0.1" },
      }),
    );
    const r = await h.waitFor("Network", "vlan300", isReady);
    assert.deepEqual(r?.status?.ignoredFields, ["ipv4"]);
    assert.match(String(r?.status?.conditions?.[0]?.message), /ignores ipv4/);
    const t = await tree(300);
    assert.equal(t["/nettype"], "bridged");
    assert.equal(t["/domain"], "vlan300.local");
    assert.equal(t["/ip4_network"], "");
    assert.equal(t["/dhcp4_flag"], "False");
    assert.equal(t["/dhcp6_flag"], "False");
  });

  test("a second network with a used vni or description is Stalled and writes nothing", async () => {
    await h.store.create(network("dup-vni", { vni: 300, type: "bridged", description: "other" }));
    const r = await h.waitFor("Network", "dup-vni", stalledWith("VniInUse"));
    assert.match(String(r?.status?.conditions?.find((c) => c.type === "Stalled")?.message), /vlan300/);
    assert.equal((await h.zk.get(h.pvc.network(300))).data, "vlan300", "the holder's keys are untouched");
    await h.store.create(network("dup-desc", { vni: 301, type: "bridged", description: "vlan300" }));
    await h.waitFor("Network", "dup-desc", stalledWith("DescriptionInUse"));
    assert.equal(await h.zk.exists(h.pvc.network(301)), null);
  });

  test("a description a PVC network no resource declares holds: Stalled, then Ready once that network goes", async () => {
    // A network made by PVC's own tools, outside any resource.
    await h.zk.mkdirp(h.pvc.network(320));
    await h.zk.set(h.pvc.network(320), "legacy");
    await h.store.create(network("wants-legacy", { vni: 321, type: "bridged", description: "legacy" }));
    const r = await h.waitFor("Network", "wants-legacy", stalledWith("DescriptionInUse"));
    assert.match(
      String(r?.status?.conditions?.find((c) => c.type === "Stalled")?.message),
      /PVC network 320, which no resource manages/,
    );
    assert.equal(await h.zk.exists(h.pvc.network(321)), null, "nothing written while Stalled");
    // Removing it out of band wakes the resource (no resync runs in this harness).
    await h.zk.deleteRecursive(h.pvc.network(320));
    await h.waitFor("Network", "wants-legacy", isReady);
    assert.equal((await h.zk.get(h.pvc.network(321))).data, "legacy");
    await h.store.delete("Network", "wants-legacy");
    await h.waitFor("Network", "wants-legacy", (x) => x === null);
  });

  test("deleting a network removes its subtree, then the object", async () => {
    await h.store.delete("Network", "dup-vni");
    await h.store.delete("Network", "dup-desc");
    await h.waitFor("Network", "dup-vni", (r) => r === null);
    assert.ok(
      await h.zk.exists(h.pvc.network(300)),
      "a stalled network's delete does not touch the holder's keys",
    );
    await h.store.delete("Network", "vlan300");
    await h.waitFor("Network", "vlan300", (r) => r === null);
    assert.equal(await h.zk.exists(h.pvc.network(300)), null);
    await h.store.delete("Network", "prod");
    await h.waitFor("Network", "prod", (r) => r === null);
    assert.equal(await h.zk.exists(h.pvc.network(1201)), null, "leases and all");
  });
});

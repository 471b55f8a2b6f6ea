/**
 * Every /api/v1/network endpoint over real HTTP, on the real app (store, informers, Network
 * controller) and the real ZooKeeper: status codes, PVC's messages, and exactly which PVC keys
 * exist afterwards — nothing half-written when a request is refused.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { isDeepStrictEqual } from "node:util";
import { networkController } from "../../controllers/network/controller.ts";
import type { ZkClient } from "../../src/zk/client.ts";
import { expectV1, GROUP_PATH, testConfig, until, useTestApp, v1Call } from "../helpers/api-app.ts";
import { uniqueRoot } from "../helpers/env.ts";

describe("/api/v1/network facade", () => {
  const root = uniqueRoot("netfacade");
  const pvcRoot = `${root}/pvc`;
  const t = useTestApp(
    root,
    () =>
      testConfig(`${root}/store`, (c) => {
        c.reconciler.pvcRoot = pvcRoot;
        c.reconciler.facadeWaitTimeoutMs = 10_000;
      }),
    { kindControllers: [networkController] },
  );
  let zk: ZkClient;

  const call = (
    method: string,
    path: string,
    values: Record<string, string | string[]> = {},
    asForm = false,
  ) => v1Call(t.app.url, method, path, values, asForm);

  /** PVC's keys under /networks, relative path → value. */
  async function keys(): Promise<Record<string, string>> {
    const base = `${pvcRoot}/networks`;
    const out: Record<string, string> = {};
    for (const p of await zk.listTree(base))
      if (p !== base) out[p.slice(base.length)] = (await zk.get(p)).data;
    return out;
  }

  async function networkNames(): Promise<string[]> {
    const res = await fetch(`${t.app.url}${GROUP_PATH}/networks`);
    const list = (await res.json()) as { items: Array<{ metadata: { name: string } }> };
    return list.items.map((i) => i.metadata.name).sort();
  }

  before(async () => {
    zk = t.app.zk;
    await zk.mkdirp(`${pvcRoot}/networks`);
  });

  test("POST refuses bad input with 510 and PVC's message, writing nothing", async () => {
    const good = { vni: "100", description: "prod", nettype: "managed" };
    const cases: Array<[Record<string, string>, RegExp | string]> = [
      [{ description: "x", nettype: "managed" }, "ERROR: A VNI must be specified for the virtual network."],
      [{ vni: "100", nettype: "managed" }, "ERROR: A description must be specified for the virtual network."],
      [{ vni: "100", description: "x" }, "ERROR: A nettype must be specified for the virtual network."],
      [{ ...good, nettype: "vxlan" }, "ERROR: A valid nettype must be specified: 'managed' or 'bridged'."],
      [{ ...good, vni: "abc" }, /VNI 'abc' is not a valid VNI/],
      [{ ...good, nettype: "bridged", vni: "5000" }, /vni must be 1-4094 .*\(got 5000\)/],
      [{ ...good, vni: "16777216" }, /vni .*\(got 16777216\)/],
      [{ ...good, description: "has space" }, /description .*\(got "has space"\)/],
      [
        { ...good, ip4_network: "10.0.0.0/33", ip4_gateway: "10.0.0.1" },
        /ipv4\/network .*\(got "10.0.0.0\/33"\)/,
      ],
      [
        { ...good, ip4_network: "10.0.0.0/24", ip4_gateway: "10.9.9.1" },
        /ipv4\/gateway must be a host address inside 10.0.0.0\/24 \(got "10.9.9.1"\)/,
      ],
      [
        {
          ...good,
          ip4_network: "10.0.0.0/24",
          ip4_gateway: "10.0.0.1",
          dhcp4: "",
          dhcp4_start: "10.0.1.10",
          dhcp4_end: "10.0.0.20",
        },
        /ipv4\/dhcp\/start must be a host address inside 10.0.0.0\/24 \(got "10.0.1.10"\)/,
      ],
      [
        {
          ...good,
          ip4_network: "10.0.0.0/24",
          ip4_gateway: "10.0.0.1",
          dhcp4: "",
          dhcp4_start: "10.0.0.50",
          dhcp4_end: "10.0.0.20",
        },
        /ipv4\/dhcp\/end must not be before the start 10.0.0.50/,
      ],
      [
        { ...good, ip4_network: "10.0.0.0/24", ip4_gateway: "10.0.0.1", dhcp4: "" },
        "ERROR: DHCPv4 start and end addresses are required for a DHCPv4-enabled network.",
      ],
      [{ ...good, ip6_network: "fd00::/200" }, /ipv6\/network .*\(got "fd00::\/200"\)/],
    ];
    for (const [values, message] of cases) {
      expectV1(await call("POST", "/network", values), 510, message);
      // Form bodies are read the same way as query values.
      expectV1(await call("POST", "/network", values, true), 510, message);
    }
    assert.deepEqual(await keys(), {}, "no PVC key written by a refused request");
    assert.deepEqual(await networkNames(), [], "no resource left behind");
  });

  test("POST adds a network: PVC's keys, a Network resource, PVC's message", async () => {
    const r = await call("POST", "/network", {
      vni: "100",
      description: "prod",
      nettype: "managed",
      domain: "prod.example.org",
      name_server: ["10.1.0.1", "10.1.0.2"],
      ip4_network: "10.1.0.0/24",
      ip4_gateway: "10.1.0.1",
      dhcp4: "",
      dhcp4_start: "10.1.0.100",
      dhcp4_end: "10.1.0.199",
      ip6_network: "fd00:1::/64",
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { message: "Network 'prod' added successfully!" });
    assert.deepEqual(await networkNames(), ["prod"]);
    const k = await keys();
    assert.equal(k["/100"], "prod");
    assert.equal(k["/100/name_servers"], "10.1.0.1,10.1.0.2");
    assert.equal(k["/100/ip6_gateway"], "fd00:1::1");
    assert.equal(k["/100/dhcp4_flag"], "True");
    assert.equal(k["/100/dhcp4_start"], "10.1.0.100");
    const bridged = await call(
      "POST",
      "/network",
      { vni: "200", description: "vlan200", nettype: "bridged" },
      true,
    );
    assert.equal(bridged.status, 200, JSON.stringify(bridged.body));
  });

  test("POST refuses a duplicate vni or description", async () => {
    const before = await keys();
    expectV1(
      await call("POST", "/network", { vni: "100", description: "other", nettype: "managed" }),
      510,
      "ERROR: A network with VNI '100' already exists!",
    );
    expectV1(
      await call("POST", "/network", { vni: "101", description: "prod", nettype: "managed" }),
      510,
      "ERROR: A network with description 'prod' already exists!",
    );
    assert.deepEqual(await keys(), before);
    assert.deepEqual(await networkNames(), ["prod", "vlan200"]);
  });

  test("GET lists with PVC's shape, fuzzy limit, exact element lookups, clear errors", async () => {
    const all = await call("GET", "/network");
    assert.equal(all.status, 200);
    assert.deepEqual(all.body, [
      {
        vni: "100",
        description: "prod",
        type: "managed",
        domain: "prod.example.org",
        name_servers: ["10.1.0.1", "10.1.0.2"],
        ip6: { network: "fd00:1::/64", gateway: "fd00:1::1", dhcp_flag: "True" },
        ip4: {
          network: "10.1.0.0/24",
          gateway: "10.1.0.1",
          dhcp_flag: "True",
          dhcp_start: "10.1.0.100",
          dhcp_end: "10.1.0.199",
        },
      },
      {
        vni: "200",
        description: "vlan200",
        type: "bridged",
        domain: "vlan200.local",
        name_servers: [],
        ip6: { network: "", gateway: "", dhcp_flag: "False" },
        ip4: { network: "", gateway: "", dhcp_flag: "False", dhcp_start: "", dhcp_end: "" },
      },
    ]);
    assert.deepEqual(
      ((await call("GET", "/network", { limit: "rod" })).body as Array<{ vni: string }>).map((n) => n.vni),
      ["100"],
    );
    assert.deepEqual(
      ((await call("GET", "/network", { limit: "^20" })).body as Array<{ vni: string }>).map((n) => n.vni),
      ["200"],
    );
    expectV1(await call("GET", "/network", { limit: "^nothing$" }), 404, "Network not found.");
    expectV1(
      await call("GET", "/network", { limit: "(" }),
      400,
      /^Regex Error: limit "\(" is not a valid regular expression/,
    );
    assert.equal(((await call("GET", "/network/100")).body as unknown[]).length, 1);
    assert.equal(((await call("GET", "/network/prod")).body as Array<{ vni: string }>)[0].vni, "100");
    expectV1(await call("GET", "/network/pro"), 404, "Network not found."); // exact, not fuzzy
  });

  test("PUT changes only the values given; bad values and unknown networks are refused", async () => {
    const r = await call("PUT", "/network/100", { domain: "new.example.org" });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { message: "Network '100' modified successfully!" });
    await until("domain", async () => (await keys())["/100/domain"] === "new.example.org");
    assert.equal((await keys())["/100/ip4_gateway"], "10.1.0.1", "untouched values stay");
    const before = await keys();
    expectV1(
      await call("PUT", "/network/100", { ip4_gateway: "10.2.0.1" }),
      510,
      /ipv4\/gateway must be a host address inside 10.1.0.0\/24/,
    );
    expectV1(
      await call("PUT", "/network/nope", { domain: "x.org" }),
      510,
      "ERROR: Could not find network 'nope' in the cluster!",
    );
    assert.deepEqual(await keys(), before, "a refused PUT writes nothing");
    const v6 = await call("PUT", "/network/prod", { ip6_network: "fd00:2::/64" });
    assert.equal(v6.status, 200, JSON.stringify(v6.body));
    assert.equal(
      (await keys())["/100/ip6_gateway"],
      "fd00:2::1",
      "a new IPv6 network regenerates the gateway, as PVC does",
    );
  });

  test("leases: add, list (static and dynamic), get by both spellings, delete; each bad input refused", async () => {
    const added = await call("POST", "/network/100/lease", {
      macaddress: "52:54:00:AA:00:01",
      ipaddress: "10.1.0.10",
      hostname: "web1",
    });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.deepEqual(added.body, { message: "DHCP reservation '52:54:00:aa:00:01' added successfully!" });
    assert.equal((await keys())["/100/dhcp4_reservations/52:54:00:aa:00:01/ipaddr"], "10.1.0.10");
    const before = await keys();
    expectV1(
      await call("POST", "/network/100/lease", { ipaddress: "10.1.0.11" }),
      510,
      "ERROR: A MAC address must be specified for the lease.",
    );
    expectV1(
      await call("POST", "/network/100/lease", { macaddress: "52:54:00:aa:00:02" }),
      510,
      "ERROR: An IP address must be specified for the lease.",
    );
    expectV1(
      await call("POST", "/network/100/lease", { macaddress: "52-54-00-aa-00-02", ipaddress: "10.1.0.11" }),
      510,
      "ERROR: MAC address '52-54-00-aa-00-02' is not valid! Always use ':' as a separator.",
    );
    expectV1(
      await call("POST", "/network/100/lease", { macaddress: "52:54:00:aa:00:02", ipaddress: "10.1.0.999" }),
      510,
      "ERROR: IP address '10.1.0.999' is not valid!",
    );
    expectV1(
      await call("POST", "/network/100/lease", { macaddress: "52:54:00:aa:00:02", ipaddress: "10.9.0.11" }),
      510,
      /dhcpReservations\/1\/ip must be a host address inside 10.1.0.0\/24 \(got "10.9.0.11"\)/,
    );
    expectV1(
      await call("POST", "/network/100/lease", { macaddress: "52:54:00:aa:00:01", ipaddress: "10.1.0.12" }),
      510,
      "ERROR: A reservation with MAC '52:54:00:aa:00:01' already exists!",
    );
    expectV1(
      await call("POST", "/network/nope/lease", { macaddress: "52:54:00:aa:00:02", ipaddress: "10.1.0.11" }),
      510,
      "ERROR: Could not find network 'nope' in the cluster!",
    );
    assert.deepEqual(await keys(), before, "refused lease requests write nothing");

    // A dynamic lease, as dnsmasq writes it, shows up beside the static one.
    const dyn = `${pvcRoot}/networks/100/dhcp4_leases/52:54:00:bb:00:01`;
    await zk.create(dyn, "");
    await zk.create(`${dyn}/hostname`, "guest");
    await zk.create(`${dyn}/ipaddr`, "10.1.0.150");
    await zk.create(`${dyn}/expiry`, "1764000000");
    await zk.create(`${dyn}/clientid`, "01:52");
    const both = [
      { hostname: "web1", ip4_address: "10.1.0.10", mac_address: "52:54:00:aa:00:01", timestamp: "static" },
      {
        hostname: "guest",
        ip4_address: "10.1.0.150",
        mac_address: "52:54:00:bb:00:01",
        timestamp: "1764000000",
      },
    ];
    // dnsmasq's keys arrive one by one; the list shows the lease as it stands, then complete.
    await until("dynamic lease in the list", async () =>
      isDeepStrictEqual((await call("GET", "/network/100/lease")).body, both),
    );
    assert.equal(((await call("GET", "/network/100/lease", { static: "" })).body as unknown[]).length, 1);
    assert.equal(((await call("GET", "/network/100/lease", { limit: "bb" })).body as unknown[]).length, 1);
    expectV1(await call("GET", "/network/100/lease", { limit: "[" }), 400, /Regex Error/);
    assert.equal(((await call("GET", "/network/100/lease/52:54:00:aa:00:01")).body as unknown[]).length, 1);
    assert.equal(((await call("GET", "/network/prod/dhcp/52:54:00:bb:00:01")).body as unknown[]).length, 1);
    expectV1(await call("GET", "/network/100/lease/52:54:00:ff:ff:ff"), 404, "Lease not found.");

    expectV1(
      await call("DELETE", "/network/100/lease/52:54:00:ff:ff:ff"),
      510,
      "ERROR: No DHCP reservation exists matching '52:54:00:ff:ff:ff'!",
    );
    const removed = await call("DELETE", "/network/100/dhcp/52:54:00:aa:00:01");
    assert.deepEqual(removed.body, { message: "DHCP reservation '52:54:00:aa:00:01' removed successfully!" });
    const after = await keys();
    assert.equal(after["/100/dhcp4_reservations/52:54:00:aa:00:01"], undefined);
    assert.equal(
      after["/100/dhcp4_leases/52:54:00:bb:00:01/ipaddr"],
      "10.1.0.150",
      "the dynamic lease is untouched",
    );
  });

  test("ACLs: add with order, list by direction, get, delete with contiguous order; bad input refused", async () => {
    const add = (description: string, rule: string, order?: string) =>
      call("POST", "/network/100/acl", { description, direction: "in", rule, ...(order ? { order } : {}) });
    assert.deepEqual((await add("ssh", "tcp dport 22 counter accept")).body, {
      message: "Firewall rule 'ssh' added successfully!",
    });
    assert.equal((await add("http", "tcp dport 80 counter accept")).status, 200);
    assert.equal((await add("first", "counter log", "0")).status, 200);
    assert.equal(
      (
        await call("POST", "/network/100/acl", {
          description: "egress",
          direction: "out",
          rule: "counter accept",
        })
      ).status,
      200,
    );
    let k = await keys();
    assert.deepEqual(
      ["first", "ssh", "http"].map((d) => k[`/100/firewall_rules/in/${d}/order`]),
      ["0", "1", "2"],
    );
    const before = await keys();
    expectV1(
      await call("POST", "/network/100/acl", { direction: "in", rule: "x" }),
      510,
      "ERROR: A description must be provided.",
    );
    expectV1(
      await call("POST", "/network/100/acl", { description: "y", rule: "x" }),
      510,
      "ERROR: A direction must be specified for the ACL.",
    );
    expectV1(
      await call("POST", "/network/100/acl", { description: "y", direction: "sideways", rule: "x" }),
      510,
      "ERROR: Direction must be either 'in' or 'out'.",
    );
    expectV1(
      await call("POST", "/network/100/acl", { description: "y", direction: "in" }),
      510,
      "ERROR: A valid NFT rule line must be specified for the ACL.",
    );
    expectV1(
      await add("ssh", "tcp dport 22 counter drop"),
      510,
      "ERROR: A rule with description 'ssh' already exists!",
    );
    expectV1(await add("bad desc", "counter"), 510, /acls\/in\/3\/description .*\(got "bad desc"\)/);
    assert.deepEqual(await keys(), before, "refused ACL requests write nothing");

    assert.deepEqual((await call("GET", "/network/100/acl", { direction: "in" })).body, [
      { direction: "in", order: 0, description: "first", rule: "counter log" },
      { direction: "in", order: 1, description: "ssh", rule: "tcp dport 22 counter accept" },
      { direction: "in", order: 2, description: "http", rule: "tcp dport 80 counter accept" },
    ]);
    assert.equal(((await call("GET", "/network/100/acl")).body as unknown[]).length, 4);
    assert.equal(((await call("GET", "/network/100/acl", { limit: "^ht" })).body as unknown[]).length, 1);
    expectV1(
      await call("GET", "/network/100/acl", { direction: "up" }),
      400,
      "ERROR: Direction must be either 'in' or 'out'; for both, do not specify a direction.",
    );
    assert.deepEqual((await call("GET", "/network/100/acl/egress")).body, [
      { direction: "out", order: 0, description: "egress", rule: "counter accept" },
    ]);
    assert.deepEqual(
      (await call("GET", "/network/100/acl/nothing")).body,
      [],
      "an unknown ACL is an empty document",
    );

    expectV1(
      await call("DELETE", "/network/100/acl/ssh"),
      510,
      "ERROR: A direction must be specified for the ACL.",
    );
    expectV1(
      await call("DELETE", "/network/100/acl/nope", { direction: "in" }),
      510,
      "ERROR: No firewall rule exists matching description 'nope'!",
    );
    assert.deepEqual((await call("DELETE", "/network/100/acl/first", { direction: "in" })).body, {
      message: "Firewall rule 'first' removed successfully!",
    });
    k = await keys();
    assert.equal(k["/100/firewall_rules/in/first"], undefined);
    assert.deepEqual(
      [k["/100/firewall_rules/in/ssh/order"], k["/100/firewall_rules/in/http/order"]],
      ["0", "1"],
      "orders renumbered",
    );
  });

  test("a facade write is a change to the Network resource", async () => {
    const res = await fetch(`${t.app.url}${GROUP_PATH}/networks/prod`);
    const net = (await res.json()) as {
      spec: { domain: string; acls: { in: Array<{ description: string }> } };
    };
    assert.equal(net.spec.domain, "new.example.org");
    assert.deepEqual(
      net.spec.acls.in.map((a) => a.description),
      ["ssh", "http"],
    );
  });

  test("/metrics counts the Network controller's reconciles and drift repairs, and its queue", async () => {
    // Drift behind the controller's back, then read the counters over HTTP.
    await zk.set(`${pvcRoot}/networks/100/domain`, "drifted.example.org");
    await until("repair", async () => (await keys())["/100/domain"] === "new.example.org");
    let text = "";
    await until("the repair counted", async () => {
      text = await (await fetch(`${t.app.url}/metrics`)).text();
      return /^pvc_drift_repairs_total\{kind="Network"\} [1-9]/m.test(text);
    });
    assert.match(text, /^pvc_reconcile_total\{kind="Network",result="success"\} [1-9]\d*$/m);
    assert.match(text, /^pvc_reconcile_duration_seconds_count\{kind="Network"\} [1-9]/m);
    assert.match(text, /^pvc_workqueue_depth\{kind="Network"\} \d+$/m);
    assert.match(text, /^pvc_zookeeper_call_duration_seconds_count\{op="multi",result="ok"\} [1-9]/m);
  });

  test("DELETE removes the network and its keys; unknown networks are refused", async () => {
    assert.deepEqual((await call("DELETE", "/network/prod")).body, {
      message: "Network 'prod' removed successfully!",
    });
    assert.deepEqual((await call("DELETE", "/network/200")).body, {
      message: "Network 'vlan200' removed successfully!",
    });
    expectV1(
      await call("DELETE", "/network/prod"),
      510,
      "ERROR: Could not find network 'prod' in the cluster!",
    );
    assert.deepEqual(await keys(), {});
    assert.deepEqual(await networkNames(), []);
    expectV1(await call("GET", "/network"), 404, "Network not found.");
  });
});

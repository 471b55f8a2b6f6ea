import assert from "node:assert/strict";
import { test } from "node:test";
import { validateResource } from "../../src/resources/validate.ts";
import { invalid } from "../helpers/validation.ts";

const API = "pvc.parallelvirtualcluster.org/v1";

function network(spec: Record<string, unknown>, name = "lan"): Record<string, unknown> {
  return { apiVersion: API, kind: "Network", metadata: { name }, spec };
}

const managed = {
  vni: 10000,
  type: "managed",
  ipv4: {
    network: "10.100.0.0/24",
    gateway: "10.100.0.1",
    dhcp: { start: "10.100.0.100", end: "10.100.0.199" },
  },
};

test("a managed network passes and gets PVC's defaults", () => {
  const out = validateResource(
    network({
      ...managed,
      ipv6: { network: "2001:DB8:100:0::/64" },
      dhcpReservations: [{ mac: "52-54-00-AB-CD-EF", ip: "10.100.0.10" }],
    }),
  );
  assert.equal(out.spec.description, "lan");
  assert.equal(out.spec.domain, "lan.local");
  assert.deepEqual(out.spec.nameServers, []);
  assert.deepEqual(out.spec.ipv6, { network: "2001:db8:100::/64", gateway: "2001:db8:100::1", dhcp: true });
  assert.deepEqual(out.spec.dhcpReservations, [{ mac: "52:54:00:ab:cd:ef", ip: "10.100.0.10" }]);
  assert.deepEqual(out.spec.acls, { in: [], out: [] });
});

test("a bridged network passes with just vni and type, and gets no managed-only defaults", () => {
  const out = validateResource(network({ vni: 4094, type: "bridged", description: "vlan4094" }));
  assert.deepEqual(out.spec, {
    vni: 4094,
    description: "vlan4094",
    type: "bridged",
    domain: "vlan4094.local",
    nameServers: [],
  });
});

test("explicit values are kept, not overwritten by defaults", () => {
  const out = validateResource(
    network({
      ...managed,
      description: "upstream",
      domain: "example.net",
      ipv6: { network: "fd00::/64", gateway: "fd00::fe", dhcp: false },
    }),
  );
  assert.equal(out.spec.description, "upstream");
  assert.equal(out.spec.domain, "example.net");
  assert.deepEqual(out.spec.ipv6, { network: "fd00::/64", gateway: "fd00::fe", dhcp: false });
});

test("gateway outside the network, DHCP range reversed and outside, all reported at once", () => {
  invalid(
    network({
      vni: 100,
      type: "managed",
      ipv4: {
        network: "192.168.1.0/24",
        gateway: "10.0.0.1",
        dhcp: { start: "192.168.1.200", end: "192.168.2.10" },
      },
    }),
    [
      ["/spec/ipv4/gateway", "10.0.0.1", /inside 192\.168\.1\.0\/24/],
      ["/spec/ipv4/dhcp/end", "192.168.2.10", /inside/],
    ],
  );
  invalid(
    network({
      vni: 100,
      type: "managed",
      ipv4: {
        network: "192.168.1.0/24",
        gateway: "192.168.1.1",
        dhcp: { start: "192.168.1.200", end: "192.168.1.100" },
      },
    }),
    [["/spec/ipv4/dhcp/end", "192.168.1.100", /not be before the start 192\.168\.1\.200/]],
  );
});

test("gateway inside the DHCP pool, network/broadcast addresses and host bits are refused", () => {
  invalid(
    network({
      vni: 100,
      type: "managed",
      ipv4: {
        network: "10.0.0.0/24",
        gateway: "10.0.0.150",
        dhcp: { start: "10.0.0.100", end: "10.0.0.200" },
      },
    }),
    [["/spec/ipv4/gateway", "10.0.0.150", /outside the DHCP range/]],
  );
  invalid(network({ vni: 100, type: "managed", ipv4: { network: "10.0.0.0/24", gateway: "10.0.0.255" } }), [
    ["/spec/ipv4/gateway", "10.0.0.255", /host address/],
  ]);
  invalid(network({ vni: 100, type: "managed", ipv4: { network: "10.0.0.5/24", gateway: "10.0.0.1" } }), [
    ["/spec/ipv4/network", "10.0.0.5/24", /host bits set; the network is 10\.0\.0\.0\/24/],
  ]);
  invalid(network({ vni: 100, type: "managed", ipv4: { network: "10.0.0.0/33", gateway: "10.0.0.1" } }), [
    ["/spec/ipv4/network", "10.0.0.0/33", /CIDR/],
  ]);
  invalid(network({ vni: 100, type: "managed", ipv6: { network: "2001:db8::1/64" } }), [
    ["/spec/ipv6/network", "2001:db8::1/64", /host bits set; the network is 2001:db8::\/64/],
  ]);
  invalid(
    network({ vni: 100, type: "managed", ipv6: { network: "2001:db8::/64", gateway: "2001:db9::1" } }),
    [["/spec/ipv6/gateway", "2001:db9::1", /inside 2001:db8::\/64/]],
  );
});

test("schema-level errors: missing fields, wrong types, bad formats, unknown fields with a hint", () => {
  invalid(
    network({
      vni: "100",
      ipv4: { network: "10.0.0.0/24", gateway: "010.0.0.1", dhcp: { start: "10.0.0.10" } },
      nameservers: ["1.1.1.1"],
      description: "has space",
    }),
    [
      ["/spec/type", undefined, /is required/],
      ["/spec/vni", "100", /VNI/],
      ["/spec/ipv4/gateway", "010.0.0.1", /IPv4 address/],
      ["/spec/ipv4/dhcp/end", undefined, /is required/],
      ["/spec/nameservers", ["1.1.1.1"], /did you mean "nameServers"/],
      ["/spec/description", "has space", /without whitespace/],
    ],
  );
  invalid(network({ vni: 0, type: "vxlan" }), [
    ["/spec/vni", 0, /VNI/],
    ["/spec/type", "vxlan", /bridged .* or managed/],
  ]);
  invalid(network({ ...managed, ipv4: { network: "10.100.0.0/24" } }), [
    ["/spec/ipv4/gateway", undefined, /is required/],
  ]);
});

test("VNI ranges depend on the type", () => {
  assert.doesNotThrow(() => validateResource(network({ vni: 16777215, type: "managed" })));
  invalid(network({ vni: 4095, type: "bridged" }), [["/spec/vni", 4095, /1-4094/]]);
  invalid(network({ vni: 16777216, type: "managed" }), [["/spec/vni", 16777216, /VNI/]]);
});

test("addressing on a bridged network is accepted and left to the controller to ignore (as PVC does)", () => {
  const doc = validateResource(
    network({
      vni: 200,
      type: "bridged",
      ipv4: { network: "10.0.0.0/24", gateway: "10.0.0.1" },
      acls: { in: [{ description: "x", rule: "counter accept" }] },
    }),
  );
  assert.equal((doc.spec as { type: string }).type, "bridged");
});

test("reservations: MAC format, duplicates after normalization, IP inside the network and not the gateway", () => {
  invalid(
    network({
      ...managed,
      dhcpReservations: [
        { mac: "52:54:00:aa:bb:cc", ip: "10.100.0.10" },
        { mac: "52-54-00-AA-BB-CC", ip: "10.100.0.10" },
        { mac: "52:54:00:aa:bb", ip: "10.100.0.11" },
        { mac: "52:54:00:aa:bb:dd", ip: "10.200.0.11" },
        { mac: "52:54:00:aa:bb:ee", ip: "10.100.0.1", hostname: "bad_host" },
      ],
    }),
    [
      [
        "/spec/dhcpReservations/1/mac",
        "52-54-00-AA-BB-CC",
        /duplicates the MAC of \/spec\/dhcpReservations\/0\/mac/,
      ],
      ["/spec/dhcpReservations/1/ip", "10.100.0.10", /duplicates the address/],
      ["/spec/dhcpReservations/2/mac", "52:54:00:aa:bb", /MAC address/],
      ["/spec/dhcpReservations/3/ip", "10.200.0.11", /inside 10\.100\.0\.0\/24/],
      ["/spec/dhcpReservations/4/ip", "10.100.0.1", /not be the gateway/],
      ["/spec/dhcpReservations/4/hostname", "bad_host", /host name/],
    ],
  );
  invalid(
    network({ vni: 100, type: "managed", dhcpReservations: [{ mac: "52:54:00:aa:bb:cc", ip: "10.0.0.5" }] }),
    [["/spec/dhcpReservations", [{ mac: "52:54:00:aa:bb:cc", ip: "10.0.0.5" }], /needs spec\.ipv4/]],
  );
});

test("ACL descriptions are unique per direction, and may repeat across directions", () => {
  const rule = (description: string) => ({ description, rule: "counter accept" });
  assert.doesNotThrow(() =>
    validateResource(network({ ...managed, acls: { in: [rule("a")], out: [rule("a")] } })),
  );
  invalid(network({ ...managed, acls: { in: [rule("a"), rule("b"), rule("a")], out: [rule("x/y")] } }), [
    ["/spec/acls/in/2/description", "a", /duplicates the description/],
    ["/spec/acls/out/0/description", "x/y", /without whitespace or \//],
  ]);
});

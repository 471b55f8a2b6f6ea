/**
 * Properties of addresses, CIDR blocks and a Network's DHCP rules (src/resources/net.ts,
 * src/resources/kinds/network.ts), against references outside our code: node:net's BlockList for
 * containment, the WHATWG URL parser for canonical IPv6 text, and a plain arithmetic model of PVC's
 * rules for the DHCP range (start and end usable hosts of the network, start ≤ end, the gateway
 * outside the range), checked through the validation every API uses (checkResource).
 */
import assert from "node:assert/strict";
import { BlockList } from "node:net";
import { test } from "node:test";
import fc from "fast-check";
import {
  cidrContains,
  formatIPv4,
  formatIPv6,
  isUsableHost,
  normalizeCidr,
  normalizeIp,
  parseCidr,
  parseIPv4,
  parseIPv6,
} from "../../src/resources/net.ts";
import { checkResource } from "../../src/resources/validate.ts";

const v4 = fc.bigInt({ min: 0n, max: 2n ** 32n - 1n });
const v6 = fc.bigInt({ min: 0n, max: 2n ** 128n - 1n });

test("IPv4 and IPv6: format then parse is the identity", () => {
  fc.assert(fc.property(v4, (v) => assert.equal(parseIPv4(formatIPv4(v)), v)));
  fc.assert(fc.property(v6, (v) => assert.equal(parseIPv6(formatIPv6(v)), v)));
});

/** Some 0 groups, so that `::` compression has runs to choose from. */
const v6Sparse = fc
  .array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
    minLength: 8,
    maxLength: 8,
  })
  .map((groups) => groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n));

test("IPv6 text is canonical (RFC 5952, as WHATWG URL writes it), from any spelling", () => {
  fc.assert(
    fc.property(v6Sparse, fc.boolean(), (v, upper) => {
      // URL writes an IPv4-mapped address in hex; RFC 5952 prefers the dotted quad: left out.
      fc.pre(v >> 32n !== 0xffffn);
      const full = Array.from({ length: 8 }, (_, i) =>
        ((v >> BigInt((7 - i) * 16)) & 0xffffn).toString(16).padStart(4, "0"),
      ).join(":");
      const spelled = upper ? full.toUpperCase() : full;
      const canonical = new URL(`http://[${spelled}]/`).hostname.slice(1, -1);
      assert.equal(normalizeIp(spelled), canonical);
      assert.equal(normalizeIp(canonical), canonical);
    }),
  );
});

test("cidrContains agrees with node:net's BlockList, in both families", () => {
  fc.assert(
    fc.property(v4, fc.integer({ min: 0, max: 32 }), v4, (base, prefix, ip) => {
      const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(32 - prefix);
      const net = formatIPv4(base & mask);
      const list = new BlockList();
      list.addSubnet(net, prefix, "ipv4");
      const addr = formatIPv4(ip);
      assert.equal(
        cidrContains(`${net}/${prefix}`, addr),
        list.check(addr, "ipv4"),
        `${net}/${prefix} ∋ ${addr}`,
      );
      assert.equal(cidrContains(`${net}/${prefix}`, net), true);
    }),
  );
  fc.assert(
    fc.property(v6, fc.integer({ min: 0, max: 128 }), v6, (base, prefix, ip) => {
      const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(128 - prefix);
      const net = formatIPv6(base & mask);
      const list = new BlockList();
      list.addSubnet(net, prefix, "ipv6");
      const addr = formatIPv6(ip);
      assert.equal(
        cidrContains(`${net}/${prefix}`, addr),
        list.check(addr, "ipv6"),
        `${net}/${prefix} ∋ ${addr}`,
      );
    }),
  );
});

test("a block with host bits set is not a network; normalizing one without is idempotent", () => {
  fc.assert(
    fc.property(v4, fc.integer({ min: 0, max: 32 }), (ip, prefix) => {
      const text = `${formatIPv4(ip)}/${prefix}`;
      const cidr = parseCidr(text, 4);
      assert.ok(cidr);
      const hostBits = prefix === 32 ? 0n : ip & ((1n << BigInt(32 - prefix)) - 1n);
      assert.equal(cidr.hostBitsSet, hostBits !== 0n);
      const normal = normalizeCidr(text, 4);
      assert.equal(normal, hostBits !== 0n ? null : text);
      if (normal) assert.equal(normalizeCidr(normal, 4), normal);
    }),
  );
});

/** A managed network in 10.0.0.0/8 and three addresses near it (inside, at its edges, just outside). */
const dhcpCase = fc
  .tuple(fc.integer({ min: 8, max: 30 }), fc.integer({ min: 0, max: 2 ** 24 - 1 }))
  .chain(([prefix, offset]) => {
    const size = 2 ** (32 - prefix);
    const network = 10 * 2 ** 24 + offset - ((10 * 2 ** 24 + offset) % size);
    const near = fc.oneof(
      fc.integer({ min: network, max: network + size - 1 }),
      fc.constantFrom(
        network,
        network + 1,
        network + size - 2,
        network + size - 1,
        network - 1,
        network + size,
      ),
    );
    return fc.record({
      prefix: fc.constant(prefix),
      network: fc.constant(network),
      gateway: near,
      start: near,
      end: near,
    });
  });

const ip4 = (n: number) => formatIPv4(BigInt(n));

test("DHCP rules: the validation refuses exactly what the model refuses, naming the field", () => {
  fc.assert(
    fc.property(dhcpCase, ({ prefix, network, gateway, start, end }) => {
      const size = 2 ** (32 - prefix);
      const usable = (n: number) => n > network && n < network + size - 1;
      const net = `${ip4(network)}/${prefix}`;
      const doc = {
        apiVersion: "pvc.parallelvirtualcluster.org/v1",
        kind: "Network",
        metadata: { name: "p" },
        spec: {
          vni: 100,
          type: "managed",
          description: "p",
          domain: "p.example.net",
          ipv4: { network: net, gateway: ip4(gateway), dhcp: { start: ip4(start), end: ip4(end) } },
        },
      };
      const want = new Set<string>();
      if (!usable(gateway)) want.add("/spec/ipv4/gateway");
      if (!usable(start)) want.add("/spec/ipv4/dhcp/start");
      if (!usable(end)) want.add("/spec/ipv4/dhcp/end");
      if (usable(start) && usable(end)) {
        if (start > end) want.add("/spec/ipv4/dhcp/end");
        else if (gateway >= start && gateway <= end) want.add("/spec/ipv4/gateway");
      }
      const fields = checkResource(doc).fields;
      assert.deepEqual(new Set(fields.map((f) => f.pointer)), want, JSON.stringify(fields));
      // Each refusal names the value it refused.
      for (const f of fields) assert.ok(typeof f.value === "string" && f.message.length > 0);
      // Whatever the model accepts, isUsableHost agrees on.
      assert.equal(isUsableHost(net, ip4(start)), usable(start));
    }),
    { numRuns: 500 },
  );
});

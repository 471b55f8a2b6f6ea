import assert from "node:assert/strict";
import { test } from "node:test";
import {
  cidrContains,
  compareIp,
  firstHostAddress,
  formatIPv6,
  isUsableHost,
  isValidMac,
  normalizeCidr,
  normalizeIp,
  normalizeMac,
  parseCidr,
  parseIPv4,
  parseIPv6,
} from "../../src/resources/net.ts";

test("IPv4 parsing is strict", () => {
  assert.equal(parseIPv4("10.0.0.1"), 0x0a000001n);
  assert.equal(parseIPv4("255.255.255.255"), 0xffffffffn);
  for (const bad of ["010.0.0.1", "10.0.0", "10.0.0.256", " 10.0.0.1", "::1", ""])
    assert.equal(parseIPv4(bad), null, bad);
});

test("IPv6 parsing and RFC 5952 formatting", () => {
  assert.equal(parseIPv6("::"), 0n);
  assert.equal(parseIPv6("::1"), 1n);
  assert.equal(normalizeIp("2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
  assert.equal(normalizeIp("2001:db8:0:1:0:0:0:1"), "2001:db8:0:1::1", "longest zero run wins");
  assert.equal(normalizeIp("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1", "first of equal runs wins");
  assert.equal(
    normalizeIp("2001:db8:1:1:1:1:0:1"),
    "2001:db8:1:1:1:1:0:1",
    "a single zero group is not compressed",
  );
  assert.equal(normalizeIp("::ffff:10.0.0.1"), "::ffff:a00:1");
  assert.equal(formatIPv6((1n << 128n) - 1n), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  for (const bad of ["1::2::3", "fe80::1%eth0", "12345::", "1:2:3:4:5:6:7:8:9", "10.0.0.1"]) {
    assert.equal(parseIPv6(bad), null, bad);
  }
  assert.equal(normalizeIp("10.0.0.1", 6), null);
});

test("CIDR parsing, host bits, containment and usable hosts", () => {
  const net = parseCidr("10.100.0.0/24");
  assert.ok(net);
  assert.equal(net.hostBitsSet, false);
  assert.equal(parseCidr("10.100.0.7/24")?.hostBitsSet, true);
  assert.equal(normalizeCidr("10.100.0.7/24"), null);
  assert.equal(normalizeCidr("2001:DB8:100:0::/64"), "2001:db8:100::/64");
  for (const bad of ["10.0.0.0", "10.0.0.0/33", "10.0.0.0/08", "::/129", "x/24"])
    assert.equal(parseCidr(bad), null, bad);
  assert.ok(cidrContains("10.100.0.0/24", "10.100.0.255"));
  assert.ok(!cidrContains("10.100.0.0/24", "10.100.1.0"));
  assert.ok(!cidrContains("10.100.0.0/24", "::1"), "families never mix");
  assert.ok(isUsableHost("10.100.0.0/24", "10.100.0.1"));
  assert.ok(!isUsableHost("10.100.0.0/24", "10.100.0.0"), "network address");
  assert.ok(!isUsableHost("10.100.0.0/24", "10.100.0.255"), "broadcast address");
  assert.ok(isUsableHost("10.0.0.0/31", "10.0.0.0"), "RFC 3021 point-to-point");
  assert.ok(!isUsableHost("2001:db8::/64", "2001:db8::"), "subnet-router anycast");
  assert.ok(isUsableHost("2001:db8::/64", "2001:db8::ffff:ffff:ffff:ffff"));
  assert.equal(firstHostAddress("2001:db8:100::/64"), "2001:db8:100::1");
  assert.equal(firstHostAddress("10.0.0.0/24"), "10.0.0.1");
  assert.equal(firstHostAddress("10.0.0.1/32"), null);
});

test("compareIp orders addresses numerically", () => {
  assert.ok(compareIp("10.0.0.9", "10.0.0.10") < 0);
  assert.equal(compareIp("2001:db8::1", "2001:DB8:0::1"), 0);
  assert.throws(() => compareIp("x", "10.0.0.1"), TypeError);
});

test("MACs: accepted spellings and the lowercase colon form PVC keys by", () => {
  assert.equal(normalizeMac("52:54:00:AB:cd:EF"), "52:54:00:ab:cd:ef");
  assert.equal(normalizeMac("52-54-00-ab-cd-ef"), "52:54:00:ab:cd:ef");
  for (const bad of ["52:54:00:ab:cd", "52:54-00:ab:cd:ef", "5254.00ab.cdef", "52:54:00:ab:cd:eg"]) {
    assert.equal(isValidMac(bad), false, bad);
    assert.equal(normalizeMac(bad), null, bad);
  }
});

test("spellings a library like ipaddr.js would take (inet_aton forms, octal, zones) are not addresses here", () => {
  for (const bad of [
    "10.1",
    "0x0a.0.0.1",
    "1.2.3.04",
    "::ffff:010.0.0.1",
    "::ffff:0x0a.0.0.1",
    "fe80::1%eth0",
  ]) {
    assert.equal(normalizeIp(bad), null, bad);
  }
  for (const bad of ["010.0.0.0/8", "10.0.0.0/08", "fe80::%eth0/64", "10.0.0.0/+8"])
    assert.equal(parseCidr(bad), null, bad);
});

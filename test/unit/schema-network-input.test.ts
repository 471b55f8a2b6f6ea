/**
 * Network input that used to pass validation and then fail (issue 12, items 7 and 8): a
 * description that cannot make the default domain (a 500 from the defaults), an ACL rule of more
 * than one line (stored verbatim into PVC's nft chain), an ACL description ZooKeeper refuses as a key.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultDomain, isDnsName } from "../../src/resources/kinds/network.ts";
import { validateResource } from "../../src/resources/validate.ts";
import { invalid } from "../helpers/validation.ts";

const API = "pvc.parallelvirtualcluster.org/v1";

function network(spec: Record<string, unknown>, name = "lan"): Record<string, unknown> {
  return { apiVersion: API, kind: "Network", metadata: { name }, spec };
}

const NOT_DNS = /^makes the default domain ".*", which is not a DNS name: a domain must be given$/;

test("a description that is not a DNS label, with no domain, names the description", () => {
  const long = "d".repeat(64);
  for (const description of ["a!", long, "a..b", "trailing."]) {
    const [field] = invalid(network({ vni: 557, type: "bridged", description }), [
      ["/spec/description", description, NOT_DNS],
    ]);
    assert.ok(field.message.includes(JSON.stringify(defaultDomain(description))), field.message);
  }
  // Managed networks get the same default.
  invalid(network({ vni: 558, type: "managed", description: "a!" }), [["/spec/description", "a!", NOT_DNS]]);
});

test("with no description either, the name it defaults from is named", () => {
  invalid(network({ vni: 557, type: "bridged" }, "a+b"), [["/metadata/name", "a+b", NOT_DNS]]);
});

test("the same description with a domain given, or one that makes a DNS name, passes", () => {
  const given = validateResource(
    network({ vni: 557, type: "bridged", description: "a!", domain: "example.org" }),
  );
  assert.equal(given.spec.domain, "example.org");
  const dotted = validateResource(network({ vni: 557, type: "bridged", description: "prod.lan" }));
  assert.equal(dotted.spec.domain, "prod.lan.local");
  const longest = "d".repeat(63);
  assert.equal(
    validateResource(network({ vni: 1, type: "bridged", description: longest })).spec.domain,
    `${longest}.local`,
  );
  assert.equal(isDnsName("a!.local"), false);
  assert.equal(isDnsName("prod.lan.local"), true);
});

const managed = {
  vni: 10000,
  type: "managed",
  ipv4: { network: "10.100.0.0/24", gateway: "10.100.0.1" },
};

const ONE_LINE = /^must be one nftables rule: a single line of printable text/;

test("an ACL rule is one line of printable text", () => {
  for (const rule of [
    "accept\n}\nchain evil {",
    "accept\r",
    "tcp dport 22\taccept",
    "drop\u0000",
    "drop\u2028",
  ]) {
    invalid(network({ ...managed, acls: { in: [{ description: "r1", rule }] } }), [
      ["/spec/acls/in/0/rule", rule, ONE_LINE],
    ]);
  }
  const out = validateResource(
    network({
      ...managed,
      acls: { out: [{ description: "ssh", rule: 'tcp dport 22 ip saddr 10.0.0.0/8 accept comment "é"' }] },
    }),
  );
  assert.equal(
    out.spec.acls && (out.spec.acls as { out: Array<{ rule: string }> }).out[0].rule.endsWith('"é"'),
    true,
  );
});

test("an ACL description is a ZooKeeper key: '.', '..' and control characters are refused", () => {
  for (const description of [".", "..", "a\u0001b", "x😀"]) {
    invalid(network({ ...managed, acls: { in: [{ description, rule: "accept" }] } }), [
      ["/spec/acls/in/0/description", description, /^must not (be|contain)/],
    ]);
  }
});

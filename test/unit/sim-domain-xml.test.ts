import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ErrorCodes, isPvcError } from "../../src/errors.ts";
import { parseDomainResources } from "../../src/sim/domain-xml.ts";

const domain = (inner: string) => `<domain type='kvm'><name>vm1</name>${inner}<devices/></domain>`;

describe("parseDomainResources", () => {
  test("memory in the default unit (KiB) and a plain vcpu count", () => {
    assert.deepEqual(parseDomainResources(domain("<memory>4194304</memory><vcpu>2</vcpu>")), {
      memMiB: 4096,
      vcpus: 2,
    });
  });

  test("memory units, as libvirt defines them", () => {
    const mem = (unit: string, value: number) =>
      parseDomainResources(domain(`<memory unit='${unit}'>${value}</memory>`)).memMiB;
    assert.equal(mem("MiB", 1024), 1024);
    assert.equal(mem("M", 512), 512);
    assert.equal(mem("GiB", 2), 2048);
    assert.equal(mem("G", 1), 1024);
    assert.equal(mem("KiB", 1048576), 1024);
    assert.equal(mem("bytes", 1073741824), 1024);
    assert.equal(mem("GB", 1), 953, "decimal units round down to whole MiB");
  });

  test("currentMemory and vcpu current= are what the running domain has", () => {
    const xml = domain(
      `<memory unit="MiB">8192</memory><currentMemory unit="MiB">4096</currentMemory><vcpu placement="static" current="2">8</vcpu>`,
    );
    assert.deepEqual(parseDomainResources(xml), { memMiB: 4096, vcpus: 2 });
  });

  test("no <vcpu> means 1; <memoryBacking> and comments are not <memory>", () => {
    const xml = domain(
      "<!-- <memory>1</memory> --><memoryBacking><hugepages/></memoryBacking><memory unit='MiB'>1024</memory>",
    );
    assert.deepEqual(parseDomainResources(xml), { memMiB: 1024, vcpus: 1 });
  });

  for (const [xml, why] of [
    ["", "empty"],
    ["<notadomain/>", "no <domain>"],
    [domain("<vcpu>2</vcpu>"), "no <memory>"],
    [domain("<memory unit='furlong'>1</memory>"), "unknown unit"],
    [domain("<memory>lots</memory>"), "non-numeric memory"],
    [domain("<memory>1024</memory><vcpu>0</vcpu>"), "zero vcpus"],
  ]) {
    test(`rejects ${why} with SIM_DOMAIN_XML_INVALID`, () => {
      assert.throws(
        () => parseDomainResources(xml),
        (err) => isPvcError(err, ErrorCodes.SIM_DOMAIN_XML_INVALID),
      );
    });
  }
});

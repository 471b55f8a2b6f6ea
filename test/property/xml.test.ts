/**
 * Properties of libvirt domain XML (src/resources/libvirt-xml.ts over the one reader in
 * domain-xml.ts): reading what buildDomainXml wrote gives back exactly the normalized description,
 * for any description the builder accepts (names, descriptions and paths full of `<&"'>`, quotes,
 * unicode, spaces and line ends; every disk and interface shape); setting a uuid keeps the rest of
 * the description; and any text at all is either read or refused with an XmlError, never another
 * error (the parser meets hostile XML from /api/v1 and manifests).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ErrorCodes, isPvcError } from "../../src/errors.ts";
import { parseXml, XmlError } from "../../src/resources/domain-xml.ts";
import {
  buildDomainXml,
  type DomainSpecInput,
  normalizeDomainSpec,
  readDomainSpec,
  withDomainUuid,
} from "../../src/resources/libvirt-xml.ts";
import { isPoolName, isRbdName } from "../../src/resources/names.ts";

/** Text XML can carry: anything but the control characters XML 1.0 forbids (tab, LF, CR allowed). */
const xmlText = (minLength: number) =>
  fc
    .string({
      unit: fc.oneof(
        {
          weight: 6,
          arbitrary: fc.constantFrom(
            "a",
            "Z",
            "0",
            " ",
            "<",
            ">",
            "&",
            '"',
            "'",
            ";",
            "]]>",
            "&amp;",
            "-",
            "é",
            "名",
            "😀",
            "\u202e",
          ),
        },
        fc.constantFrom("\t", "\n", "\r\n", "\r", "  "),
        { weight: 3, arbitrary: fc.string({ unit: "grapheme", maxLength: 1 }) },
      ),
      minLength,
      maxLength: 40,
    })
    // biome-ignore lint/suspicious/noControlCharactersInRegex: what XML cannot carry
    .filter((s) => s.length >= minLength && !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(s));

/** Without what a name or an attribute cannot keep: `/`, tabs and line ends. */
const clean = (s: string) => s.replace(/[/\t\r\n]/g, "");

const uuid = fc.uuid({ version: 4 });
const target = fc
  .tuple(fc.constantFrom("sd", "vd", "hd", "xvd"), fc.stringMatching(/^[a-z]{1,3}$/))
  .map(([p, s]) => p + s);
const bus = fc.constantFrom("scsi", "virtio", "sata", "ide", "usb") as fc.Arbitrary<"scsi">;
const rbdName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,20}$/);
const monitor = fc.record({
  host: fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain()),
  port: fc.integer({ min: 1, max: 65535 }),
});
const rbdDisk = fc.record(
  {
    kind: fc.constant("rbd" as const),
    pool: rbdName.filter(isPoolName),
    volume: rbdName.filter(isRbdName),
    target,
    bus,
    monitors: fc.array(monitor, { minLength: 1, maxLength: 3 }),
    auth: fc.record({ username: fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/), secretUuid: uuid }),
  },
  { requiredKeys: ["kind", "pool", "volume", "target", "monitors"] },
);
const fileDisk = fc.record(
  {
    kind: fc.constant("file" as const),
    path: fc.oneof({ weight: 4, arbitrary: xmlText(0).map(clean) }, xmlText(0)).map((s) => `/${s}`),
    target,
    bus,
    readOnly: fc.boolean(),
  },
  { requiredKeys: ["kind", "path", "target"] },
);
const iface = fc.record(
  {
    vni: fc.integer({ min: 1, max: 16777215 }),
    mac: fc
      .tuple(
        fc.array(fc.stringMatching(/^[0-9a-fA-F]{2}$/), { minLength: 6, maxLength: 6 }),
        fc.constantFrom(":", "-"),
      )
      .map(([octets, sep]) => octets.join(sep)),
    model: fc.stringMatching(/^[a-z0-9_-]{1,10}$/),
  },
  { requiredKeys: ["vni", "mac"] },
);
const domain: fc.Arbitrary<DomainSpecInput> = fc.record(
  {
    // Mostly names the builder takes; now and then one it must refuse (padded, with a line end).
    name: fc.oneof(
      {
        weight: 4,
        arbitrary: xmlText(1)
          .map(clean)
          .filter((s) => s.trim() === s && s !== ""),
      },
      xmlText(1).filter((s) => !s.includes("/")),
    ),
    uuid,
    description: xmlText(0),
    type: fc.constantFrom("kvm", "qemu") as fc.Arbitrary<"kvm">,
    arch: fc.constantFrom("x86_64", "aarch64", "ppc64le"),
    machine: fc.stringMatching(/^[A-Za-z0-9_.-]{1,16}$/),
    memoryMiB: fc.integer({ min: 1, max: 2 ** 30 }),
    vcpus: fc.integer({ min: 1, max: 4096 }),
    disks: fc.uniqueArray(fc.oneof(rbdDisk, fileDisk), { maxLength: 4, selector: (d) => d.target }),
    interfaces: fc.array(iface, { maxLength: 3 }),
    serial: fc.boolean(),
    vnc: fc.record(
      { listen: fc.oneof(fc.ipV4(), fc.ipV6()), port: fc.integer({ min: 5900, max: 65535 }) },
      { requiredKeys: ["listen"] },
    ),
  },
  { requiredKeys: ["name", "uuid", "memoryMiB", "vcpus"] },
);

/** The XML, or undefined when the builder refuses the description (then naming a field, typed). */
function built(input: DomainSpecInput): string | undefined {
  try {
    return buildDomainXml(input);
  } catch (err) {
    assert.ok(isPvcError(err) && err.code === ErrorCodes.LIBVIRT_DOMAIN_INVALID, String(err));
    assert.match(err.message, /^libvirt domain: [a-zA-Z[\].0-9]+: /);
    return undefined;
  }
}

test("readDomainSpec ∘ buildDomainXml is the normalized description (or the builder refuses it)", () => {
  let accepted = 0;
  fc.assert(
    fc.property(domain, (input) => {
      const xml = built(input);
      if (xml === undefined) return;
      accepted++;
      assert.deepEqual(readDomainSpec(xml), normalizeDomainSpec(input), xml);
    }),
    { numRuns: 500 },
  );
  assert.ok(accepted > 200, `only ${accepted} of 500 descriptions were accepted: the generator misses`);
});

test("withDomainUuid changes the uuid and nothing else of the description", () => {
  fc.assert(
    fc.property(domain, uuid, (input, other) => {
      const xml = built(input);
      if (xml === undefined) return;
      assert.deepEqual(readDomainSpec(withDomainUuid(xml, other)), {
        ...normalizeDomainSpec(input),
        uuid: other,
      });
    }),
    { numRuns: 200 },
  );
});

test("names and paths that would not read back as written are refused, naming the field", () => {
  const base = { uuid: "3e3fce45-4f53-4fa7-bb32-11f34168b82b", memoryMiB: 1, vcpus: 1 };
  for (const name of ["\t", " web", "web ", "a\r\nb", "a\nb", "a/b", "\u00a0"]) {
    assert.throws(() => buildDomainXml({ ...base, name }), /libvirt domain: name: /, JSON.stringify(name));
  }
  for (const path of ["/a\nb", "/a\tb", "/\r\n"]) {
    const disks = [{ kind: "file" as const, path, target: "sda" }];
    assert.throws(
      () => buildDomainXml({ ...base, name: "web", disks }),
      /disks\[0\]\.path: /,
      JSON.stringify(path),
    );
  }
  assert.equal(readDomainSpec(buildDomainXml({ ...base, name: "web 1 ü" })).name, "web 1 ü");
});

/** Fragments of (broken) XML, glued at random: tags, entities, declarations, CDATA, quotes. */
const xmlish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        "<domain>",
        "</domain>",
        "<name>",
        "</name>",
        "<a b='1'>",
        '<a b="1"/>',
        "<a b=1>",
        "</a>",
        "<",
        ">",
        "&",
        "&amp;",
        "&lt;",
        "&#0;",
        "&#x1F600;",
        "&#99999999;",
        "&nope;",
        "<![CDATA[",
        "]]>",
        "<!--",
        "-->",
        "<?xml version='1.0'?>",
        "<!DOCTYPE d [<!ENTITY e 'x'>]>",
        "&e;",
        "<!ENTITY",
        "\u0000",
        "\ufeff",
        " ",
        "\n",
        "'",
        '"',
        "=",
        "/",
        "<memory unit='constructor'>1</memory>",
        "<uuid>",
        "</uuid>",
        "<:a>",
        "<a:b>",
        "<1a>",
      ),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(""));

test("any text is read or refused with an XmlError, never another error", () => {
  fc.assert(
    fc.property(fc.oneof(xmlish, fc.string({ unit: "binary", maxLength: 200 })), (text) => {
      for (const read of [parseXml, readDomainSpec]) {
        try {
          read(text);
        } catch (err) {
          assert.ok(
            err instanceof XmlError,
            `${read.name}(${JSON.stringify(text)}): ${(err as Error).stack}`,
          );
        }
      }
    }),
    { numRuns: 3_000 },
  );
});

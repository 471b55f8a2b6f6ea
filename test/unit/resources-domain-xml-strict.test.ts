import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCodes, isPvcError } from "../../src/errors.ts";
import { MAX_XML_BYTES, parseDomainXml, parseXml, XmlError } from "../../src/resources/domain-xml.ts";

const UUID = "3e3fce45-4f53-4fa7-bb32-11f34168b82b";

/** Asserts an XmlError with the stable code whose message matches. */
function refused(xml: string, reason: RegExp): void {
  assert.throws(
    () => parseXml(xml),
    (err: unknown) => {
      assert.ok(err instanceof XmlError, `${JSON.stringify(xml.slice(0, 80))}: ${String(err)}`);
      assert.ok(isPvcError(err, ErrorCodes.XML_INVALID), "typed with the XML_INVALID code");
      assert.match(err.message, reason);
      return true;
    },
  );
}

test("billion laughs: the entity declarations are refused, nothing is expanded", () => {
  const lol = [
    '<?xml version="1.0"?>',
    "<!DOCTYPE lolz [",
    ' <!ENTITY lol "lol">',
    ...Array.from(
      { length: 9 },
      (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i === 0 ? "" : i};`.repeat(10)}">`,
    ),
    "]>",
    `<domain><name>&lol9;</name><uuid>${UUID}</uuid></domain>`,
  ].join("\n");
  refused(lol, /DOCTYPE and other declarations are not accepted: "<!DOCTYPE" at offset 22/);
});

test("external entities and declarations anywhere are refused; an undeclared entity is unknown", () => {
  refused('<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><domain>&x;</domain>', /DOCTYPE/);
  // The library's validator passes a declaration inside an element; we do not.
  refused('<domain><!ENTITY x "y"><name>&x;</name></domain>', /declarations are not accepted: "<!ENTITY"/);
  refused("<domain><!ELEMENT domain ANY></domain>", /"<!ELEMENT"/);
  refused("<domain><name>&x;</name></domain>", /unknown entity "&x;" in <name>/);
  refused("<domain name='&x;'/>", /unknown entity "&x;" in attribute "name" of <domain>/);
  // Inside a comment or CDATA, such text is only text.
  const ok = parseXml(
    "<domain><!-- <!DOCTYPE x> --><description><![CDATA[<!ENTITY x 'y'>]]></description></domain>",
  );
  assert.equal(ok.children[0].text, "<!ENTITY x 'y'>");
});

test("malformed XML is refused naming the problem and where it is", () => {
  refused(
    "<domain>\n  <name>a</nam>\n</domain>",
    /^end tag <\/nam> does not match <name> \(line 2, column 10\)$/,
  );
  refused("<domain><devices><disk></devices></domain>", /end tag <\/devices> does not match <disk>/);
  refused("<domain><devices><disk>", /element <disk> is not closed/);
  refused("<domain><name>a</name></domain>trailing", /text outside the root element/);
  refused("<domain/>trailing", /text outside the root element/);
  refused("<domain/><domain/>", /a second root element <domain> after <domain>/);
  refused("<domain><name a='1'b='2'/></domain>", /expected whitespace before attribute "b"/);
  refused("<domain><name a/></domain>", /attribute "a" has no value/);
  refused("<domain><name a='x/></domain>", /unterminated attribute value in <name>/);
  refused("<domain a='<'/>", /"<" inside attribute "a" of <domain>/);
  refused("<domain><1name/></domain>", /"1name" is not an element name/);
  refused("<domain>&#0;</domain>", /unknown entity "&#0;"/);
  refused("<domain><!-- open", /unterminated comment at offset 8/);
  refused("<domain><![CDATA[open</domain>", /unterminated CDATA section at offset 8/);
});

test("a document over the size bound is refused before it is read, counted in UTF-8 bytes", () => {
  const filler = (n: number) => `<domain><description>${"x".repeat(n)}</description></domain>`;
  const overhead = filler(0).length;
  assert.equal(parseXml(filler(MAX_XML_BYTES - overhead)).children[0].text.length, MAX_XML_BYTES - overhead);
  refused(filler(MAX_XML_BYTES - overhead + 1), new RegExp(`larger than ${MAX_XML_BYTES} bytes`));
  // Fewer characters than the bound, more bytes: "é" is two bytes.
  refused(filler(Math.ceil(MAX_XML_BYTES / 2)).replaceAll("x", "é"), /larger than/);
  // Nesting thousands deep is refused, not walked.
  refused(`<domain>${"<a>".repeat(5000)}${"</a>".repeat(5000)}</domain>`, /nested deeper than 64 levels/);
});

test("names like __proto__ are kept exactly and pollute nothing", () => {
  const root = parseXml(
    `<domain __proto__="p" constructor="c" toString="t" hasOwnProperty="h">` +
      `<__proto__ polluted="yes"/><constructor>x</constructor><toString/><prototype/></domain>`,
  );
  assert.deepEqual(Object.entries(root.attrs), [
    ["__proto__", "p"],
    ["constructor", "c"],
    ["toString", "t"],
    ["hasOwnProperty", "h"],
  ]);
  assert.equal(Object.getPrototypeOf(root.attrs), null, "attribute maps have no prototype");
  assert.deepEqual(
    root.children.map((c) => c.name),
    ["__proto__", "constructor", "toString", "prototype"],
  );
  assert.equal(root.children[0].attrs.polluted, "yes");
  assert.equal(root.children[1].text, "x");
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.hasOwn(Object.prototype, "polluted"), false);
  // An absent attribute named like a prototype member is absent, not Object's.
  assert.equal(parseXml("<domain/>").attrs.constructor, undefined);
});

test("a domain with Object.prototype-like disk attributes still yields its RBD list", () => {
  const info = parseDomainXml(
    `<domain constructor='x'><name>a</name><uuid>${UUID}</uuid><devices>` +
      `<disk type='network' toString='1'><source protocol='rbd' name='vms/a_sda'/><target dev='sda'/></disk>` +
      "</devices></domain>",
  );
  assert.deepEqual(info.rbdVolumes, ["vms/a_sda"]);
});

/**
 * The project's one XML reader, for libvirt domain definitions the way PVC uses them: PVC parses
 * the XML (`lxml.objectify`), keys the VM by `<uuid>`, names it by `<name>`, and builds `rbdlist`
 * from `<devices><disk type="network"><source protocol="rbd" name="pool/volume">`.
 *
 * Well-formedness and tree building are fast-xml-parser's (its validator, then its parser in
 * preserve-order mode). What it does not do, or does too leniently for input from users, is here:
 * - a size bound before any work (ZooKeeper caps a request at 1 MiB, so no stored domain is larger);
 * - DOCTYPE and every other `<!` declaration refused, so no entity is ever declared (no billion
 *   laughs, no external entities); the library's entity processing is switched off altogether;
 * - entity references decoded here: only XML's five and character references, anything else an
 *   error (the library would leave an unknown `&custom;` in the text as is);
 * - `<` inside an attribute value refused (XML forbids it; the validator lets it through);
 * - element and attribute names kept exactly, with no way to reach `Object.prototype`: the library
 *   would throw on a tag named `__proto__` and rename one named `toString`, so tag names are handed
 *   to it with a `<` in front (no XML name can start so), attribute names with its `@_` prefix, and
 *   our attribute maps have no prototype;
 * - the validator's messages reworded into the ones this project's callers and users already see
 *   (`element <name> is not closed`, `duplicate attribute "a"`…), with line and column.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { ErrorCodes, PvcError } from "../errors.ts";

export interface XmlElement {
  name: string;
  /** Attribute values (entities decoded). A map without prototype: any attribute name is safe. */
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside this element (entities decoded). */
  text: string;
}

/** Input that is not a well-formed XML document we accept, or not a usable libvirt domain. */
export class XmlError extends PvcError {
  constructor(message: string) {
    super(ErrorCodes.XML_INVALID, message);
    this.name = "XmlError";
  }
}

export interface DomainDisk {
  /** `<disk type=...>`: `network`, `file`, `block`… */
  type: string;
  /** `<source protocol=...>` for network disks (`rbd`), else undefined. */
  protocol?: string;
  /** `<source name=...>` (network) or `<source file=...>` / `<source dev=...>`. */
  source?: string;
  /** `<target dev=...>`, e.g. `sda`. */
  target?: string;
  bus?: string;
}

export interface DomainInfo {
  name: string;
  uuid: string;
  /** `<domain type=...>`, e.g. `kvm`. */
  type?: string;
  disks: DomainDisk[];
  /** `pool/volume` of every RBD disk, in document order: what PVC writes to `/domains/<uuid>/rbdlist`. */
  rbdVolumes: string[];
}

/** ZooKeeper refuses a request over 1 MiB, so PVC can store no larger domain: refused before parsing. */
export const MAX_XML_BYTES = 1024 * 1024;
/** libvirt's domain XML nests about six deep; far deeper is an attack on the stack, not a VM. */
export const MAX_XML_DEPTH = 64;

const ATTR_PREFIX = "@_";
const TAG_MARK = "<";

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: ATTR_PREFIX,
  allowBooleanAttributes: false,
  // Off: no entity is expanded by the library, DOCTYPE entities least of all (decoded below).
  processEntities: false,
  htmlEntities: false,
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  // CDATA apart from text, so that its content is taken literally, never entity-decoded.
  cdataPropName: "#cdata",
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: MAX_XML_DEPTH,
  // The callbacks that would use a path string are not given: building one per tag costs ~30%.
  jPath: false,
  // Idempotent: the library applies it twice to a self-closing tag.
  transformTagName: (name: string) => (name.startsWith(TAG_MARK) ? name : TAG_MARK + name),
});

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decode(text: string, where: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&([^;\s&]*);?/g, (whole, body: string) => {
    if (!whole.endsWith(";")) throw new XmlError(`bare "&" ${where} (write &amp;)`);
    if (Object.hasOwn(ENTITIES, body)) return ENTITIES[body];
    const m = body.match(/^#(x[0-9A-Fa-f]{1,6}|[0-9]{1,7})$/);
    if (m) {
      const code = m[1].startsWith("x") ? Number.parseInt(m[1].slice(1), 16) : Number(m[1]);
      if (code > 0 && code <= 0x10ffff) return String.fromCodePoint(code);
    }
    throw new XmlError(`unknown entity "&${body};" ${where}`);
  });
}

/**
 * Refuses `<!DOCTYPE`, `<!ENTITY` and any other `<!` that is not a comment or CDATA section. The
 * library's validator skips a DOCTYPE silently and passes `<!ENTITY …>` inside an element.
 */
function refuseDeclarations(xml: string): void {
  for (let at = xml.indexOf("<!"); at >= 0; at = xml.indexOf("<!", at + 2)) {
    if (xml.startsWith("<!--", at)) {
      const end = xml.indexOf("-->", at + 4);
      if (end < 0) throw new XmlError(`unterminated comment at offset ${at}`);
      at = end + 1;
    } else if (xml.startsWith("<![CDATA[", at)) {
      const end = xml.indexOf("]]>", at + 9);
      if (end < 0) throw new XmlError(`unterminated CDATA section at offset ${at}`);
      at = end + 1;
    } else {
      const what = xml.slice(at, at + 12).match(/^<!\[?[A-Za-z]*/)?.[0] ?? "<!";
      throw new XmlError(`DOCTYPE and other declarations are not accepted: "${what}" at offset ${at}`);
    }
  }
}

/** The validator's findings in this project's words; anything unlisted keeps the library's wording. */
const REWORDED: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^Start tag expected\.$/, () => "no root element"],
  [/^Unclosed tag '(.*)'\.$/, (m) => `element <${m[1]}> is not closed`],
  [/^Invalid '(\[.*\])' found\.$/, (m) => `element <${lastOpen(m[1])}> is not closed`],
  [
    /^Expected closing tag '(.*)' \(opened in line \d+, col \d+\) instead of closing tag '(.*)'\.$/,
    (m) => `end tag </${m[2]}> does not match <${m[1]}>`,
  ],
  [/^Closing tag '(.*)' has not been opened\.$/, (m) => `end tag </${m[1]}> without a start tag`],
  [
    /^Closing tag '(.*)' (doesn't have proper closing|can't have attributes)/,
    (m) => `malformed end tag </${m[1]}>`,
  ],
  [/^Attribute '(.*)' is without value\.$/, (m) => `attribute "${m[1]}" is not quoted`],
  [/^Attribute '(.*)' is repeated\.$/, (m) => `duplicate attribute "${m[1]}"`],
  [/^boolean attribute '(.*)' is not allowed\.$/, (m) => `attribute "${m[1]}" has no value`],
  [/^Attribute '(.*)' has no space in starting\.$/, (m) => `expected whitespace before attribute "${m[1]}"`],
  [/^Attribute '(.*)' is an invalid name\.$/, (m) => `malformed attribute name "${m[1]}"`],
  [/^Attributes for '(.*)' have open quote\.$/, (m) => `unterminated attribute value in <${m[1]}>`],
  [/^Tag '(.*)' is an invalid name\.$/, (m) => `malformed start tag: "${m[1]}" is not an element name`],
  [/^Invalid space after '<'\.$/, () => `malformed start tag: whitespace after "<"`],
  [/^Multiple possible root nodes found\.$/, () => "a second root element"],
  [/^char '&' is not expected\.$/, () => `bare "&" (write &amp;)`],
  [/^(Extra text at the end|char '.*' is not expected\.)$/, () => "text outside the root element"],
];

function lastOpen(jsonList: string): string {
  try {
    const names = JSON.parse(jsonList) as unknown;
    if (Array.isArray(names) && typeof names[names.length - 1] === "string") return names[names.length - 1];
  } catch {
    // Not the list the library used to print: fall through.
  }
  return "?";
}

function validatorProblem(err: { msg: string; line: number; col: number }): string {
  for (const [pattern, say] of REWORDED) {
    const m = err.msg.match(pattern);
    if (m) return `${say(m)} (line ${err.line}, column ${err.col})`;
  }
  return `${err.msg.replace(/\.$/, "")} (line ${err.line}, column ${err.col})`;
}

type OrderedNode = Record<string, unknown>;

/** One element of the library's preserve-order output into ours, decoding entities on the way. */
function toElement(name: string, node: OrderedNode): XmlElement {
  const element: XmlElement = { name, attrs: Object.create(null), children: [], text: "" };
  const rawAttrs = node[":@"] as Record<string, string> | undefined;
  if (rawAttrs) {
    for (const [key, raw] of Object.entries(rawAttrs)) {
      const attr = key.slice(ATTR_PREFIX.length);
      if (raw.includes("<")) throw new XmlError(`"<" inside attribute "${attr}" of <${name}>`);
      element.attrs[attr] = decode(raw, `in attribute "${attr}" of <${name}>`);
    }
  }
  for (const child of node[TAG_MARK + name] as OrderedNode[]) {
    if ("#text" in child) element.text += decode(String(child["#text"]), `in <${name}>`);
    else if ("#cdata" in child) {
      for (const part of child["#cdata"] as OrderedNode[]) element.text += String(part["#text"] ?? "");
    } else {
      const tag = Object.keys(child).find((k) => k.startsWith(TAG_MARK));
      if (tag !== undefined) element.children.push(toElement(tag.slice(TAG_MARK.length), child));
    }
  }
  return element;
}

/** Parses a document into its root element; throws XmlError naming the first problem found. */
export function parseXml(xml: string): XmlElement {
  if (typeof xml !== "string") throw new XmlError("the document is not text");
  // Characters never outnumber UTF-8 bytes: the cheap test first, the exact one when near the bound.
  if (
    xml.length > MAX_XML_BYTES ||
    (xml.length > MAX_XML_BYTES / 4 && Buffer.byteLength(xml) > MAX_XML_BYTES)
  ) {
    throw new XmlError(`the document is larger than ${MAX_XML_BYTES} bytes`);
  }
  refuseDeclarations(xml);
  const valid = XMLValidator.validate(xml, { allowBooleanAttributes: false });
  if (valid !== true) throw new XmlError(validatorProblem(valid.err));
  let nodes: OrderedNode[];
  try {
    // The parser keeps character data only when a tag follows it, and the validator lets text after
    // a self-closing root through: an (ignored) processing instruction at the end brings such text
    // out as a top-level text node, refused below.
    nodes = parser.parse(`${xml}<?end?>`) as OrderedNode[];
  } catch (err) {
    const message = (err as Error).message;
    if (/nested tags exceeded/i.test(message)) {
      throw new XmlError(`elements nested deeper than ${MAX_XML_DEPTH} levels`);
    }
    throw new XmlError(message);
  }
  // The validator counts the root as done only at an end tag: after a self-closing root it lets a
  // second root or text through, so the top level is checked here.
  let root: XmlElement | undefined;
  for (const node of nodes) {
    if ("#text" in node) {
      if (String(node["#text"]).trim() !== "") throw new XmlError("text outside the root element");
      continue;
    }
    const tag = Object.keys(node).find((k) => k.startsWith(TAG_MARK));
    if (tag === undefined) continue;
    const name = tag.slice(TAG_MARK.length);
    if (root) throw new XmlError(`a second root element <${name}> after <${root.name}>`);
    root = toElement(name, node);
  }
  if (!root) throw new XmlError("no root element");
  return root;
}

export function childElements(parent: XmlElement, name: string): XmlElement[] {
  return parent.children.filter((c) => c.name === name);
}

/** Lowercase RFC 4122 text form, the form libvirt prints and PVC keys `/domains/<uuid>` by. */
export const UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";
const UUID_RE = new RegExp(UUID_PATTERN);

/**
 * Parses a libvirt domain XML and extracts what PVC needs. Throws XmlError when the XML is not
 * well formed, the root is not `<domain>`, or `<name>`/`<uuid>` are missing, repeated or invalid.
 */
export function parseDomainXml(xml: string): DomainInfo {
  return domainInfoOf(parseXml(xml));
}

/** parseDomainXml's checks and extraction on an already parsed document (one parse for callers needing both). */
export function domainInfoOf(root: XmlElement): DomainInfo {
  if (root.name !== "domain") throw new XmlError(`root element is <${root.name}>, expected <domain>`);
  const single = (tag: string): string => {
    const found = childElements(root, tag);
    if (found.length === 0) throw new XmlError(`<domain> has no <${tag}>`);
    if (found.length > 1) throw new XmlError(`<domain> has ${found.length} <${tag}> elements`);
    return found[0].text.trim();
  };
  const name = single("name");
  if (name === "") throw new XmlError("<name> is empty");
  const uuid = single("uuid");
  if (!UUID_RE.test(uuid)) throw new XmlError(`<uuid> "${uuid}" is not a lowercase RFC 4122 UUID`);
  const disks: DomainDisk[] = [];
  for (const devices of childElements(root, "devices")) {
    for (const disk of childElements(devices, "disk")) {
      const source = childElements(disk, "source")[0];
      const target = childElements(disk, "target")[0];
      const entry: DomainDisk = { type: disk.attrs.type ?? "" };
      if (source?.attrs.protocol !== undefined) entry.protocol = source.attrs.protocol;
      const src = source?.attrs.name ?? source?.attrs.file ?? source?.attrs.dev;
      if (src !== undefined) entry.source = src;
      if (target?.attrs.dev !== undefined) entry.target = target.attrs.dev;
      if (target?.attrs.bus !== undefined) entry.bus = target.attrs.bus;
      disks.push(entry);
    }
  }
  const rbdVolumes = disks
    .filter((d) => d.type === "network" && d.protocol === "rbd" && d.source !== undefined)
    .map((d) => d.source as string);
  const info: DomainInfo = { name, uuid, disks, rbdVolumes };
  if (root.attrs.type !== undefined) info.type = root.attrs.type;
  return info;
}

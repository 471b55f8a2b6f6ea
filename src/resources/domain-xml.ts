/**
 * Just enough XML to check a libvirt domain definition the way PVC uses it, without a dependency:
 * PVC parses the XML (`lxml.objectify`), keys the VM by `<uuid>`, names it by `<name>`, and builds
 * `rbdlist` from `<devices><disk type="network"><source protocol="rbd" name="pool/volume">`.
 *
 * The parser checks well-formedness (one root, balanced tags, quoted attributes, known entities)
 * and builds a small element tree. It expands no custom entities and refuses DOCTYPE outright.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside this element (entities decoded). */
  text: string;
}

export class XmlError extends Error {
  override name = "XmlError";
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

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decode(text: string, where: number): string {
  return text.replace(/&([^;\s&]*);?/g, (whole, body: string) => {
    if (!whole.endsWith(";")) throw new XmlError(`bare "&" at offset ${where}`);
    if (body in ENTITIES) return ENTITIES[body];
    const m = body.match(/^#(x[0-9A-Fa-f]+|[0-9]+)$/);
    if (m) {
      const code = m[1].startsWith("x") ? Number.parseInt(m[1].slice(1), 16) : Number(m[1]);
      if (code > 0 && code <= 0x10ffff) return String.fromCodePoint(code);
    }
    throw new XmlError(`unknown entity "&${body};" at offset ${where}`);
  });
}

/** Parses a document into its root element; throws XmlError naming the first problem found. */
export function parseXml(xml: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const n = xml.length;

  const appendText = (text: string, at: number): void => {
    if (stack.length === 0) {
      if (text.trim() !== "") throw new XmlError(`text outside the root element at offset ${at}`);
      return;
    }
    stack[stack.length - 1].text += text;
  };

  while (i < n) {
    const lt = xml.indexOf("<", i);
    if (lt < 0) {
      appendText(decode(xml.slice(i), i), i);
      break;
    }
    if (lt > i) appendText(decode(xml.slice(i, lt), i), i);
    if (xml.startsWith("<!--", lt)) {
      const end = xml.indexOf("-->", lt + 4);
      if (end < 0) throw new XmlError(`unterminated comment at offset ${lt}`);
      i = end + 3;
    } else if (xml.startsWith("<![CDATA[", lt)) {
      const end = xml.indexOf("]]>", lt + 9);
      if (end < 0) throw new XmlError(`unterminated CDATA section at offset ${lt}`);
      appendText(xml.slice(lt + 9, end), lt);
      i = end + 3;
    } else if (xml.startsWith("<?", lt)) {
      const end = xml.indexOf("?>", lt + 2);
      if (end < 0) throw new XmlError(`unterminated processing instruction at offset ${lt}`);
      i = end + 2;
    } else if (xml.startsWith("<!", lt)) {
      throw new XmlError(`DOCTYPE and other declarations are not accepted (offset ${lt})`);
    } else if (xml.startsWith("</", lt)) {
      const m = xml.slice(lt + 2).match(NAME);
      if (!m) throw new XmlError(`malformed end tag at offset ${lt}`);
      let j = lt + 2 + m[0].length;
      while (j < n && /\s/.test(xml[j])) j++;
      if (xml[j] !== ">") throw new XmlError(`malformed end tag </${m[0]}> at offset ${lt}`);
      const open = stack.pop();
      if (!open) throw new XmlError(`end tag </${m[0]}> without a start tag at offset ${lt}`);
      if (open.name !== m[0])
        throw new XmlError(`end tag </${m[0]}> does not match <${open.name}> at offset ${lt}`);
      i = j + 1;
    } else {
      const m = xml.slice(lt + 1).match(NAME);
      if (!m) throw new XmlError(`malformed start tag at offset ${lt}`);
      const element: XmlElement = { name: m[0], attrs: {}, children: [], text: "" };
      let j = lt + 1 + m[0].length;
      let selfClosing = false;
      for (;;) {
        const ws = j;
        while (j < n && /\s/.test(xml[j])) j++;
        if (j >= n) throw new XmlError(`unterminated start tag <${element.name}> at offset ${lt}`);
        if (xml[j] === ">") {
          j++;
          break;
        }
        if (xml.startsWith("/>", j)) {
          selfClosing = true;
          j += 2;
          break;
        }
        if (j === ws)
          throw new XmlError(`expected whitespace before attribute in <${element.name}> at offset ${j}`);
        const a = xml.slice(j).match(NAME);
        if (!a) throw new XmlError(`malformed attribute in <${element.name}> at offset ${j}`);
        j += a[0].length;
        while (j < n && /\s/.test(xml[j])) j++;
        if (xml[j] !== "=")
          throw new XmlError(`attribute "${a[0]}" in <${element.name}> has no value (offset ${j})`);
        j++;
        while (j < n && /\s/.test(xml[j])) j++;
        const quote = xml[j];
        if (quote !== '"' && quote !== "'") {
          throw new XmlError(`attribute "${a[0]}" in <${element.name}> is not quoted (offset ${j})`);
        }
        const end = xml.indexOf(quote, j + 1);
        if (end < 0)
          throw new XmlError(`unterminated attribute "${a[0]}" in <${element.name}> (offset ${j})`);
        const raw = xml.slice(j + 1, end);
        if (raw.includes("<"))
          throw new XmlError(`"<" inside attribute "${a[0]}" of <${element.name}> (offset ${j})`);
        if (a[0] in element.attrs) throw new XmlError(`duplicate attribute "${a[0]}" in <${element.name}>`);
        element.attrs[a[0]] = decode(raw, j);
        j = end + 1;
      }
      if (stack.length === 0) {
        if (root) throw new XmlError(`a second root element <${element.name}> at offset ${lt}`);
        root = element;
      } else {
        stack[stack.length - 1].children.push(element);
      }
      if (!selfClosing) stack.push(element);
      i = j;
    }
  }
  if (stack.length > 0) throw new XmlError(`element <${stack[stack.length - 1].name}> is not closed`);
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
  const root = parseXml(xml);
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

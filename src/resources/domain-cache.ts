/**
 * Parsed libvirt domains by their XML text. A parse costs ~0.5 ms (fast-xml-parser plus our strict
 * checks) and the same text is read again and again: validating a VirtualMachine on every write,
 * the controller's claims and references, the /api/v1 answers (GET /vm shows every VM's details).
 * Keyed by the text itself, so a changed XML is a new entry and nothing is ever stale. Bounded:
 * the oldest entries go first once MAX_CACHED_CHARS characters of XML are held (a thousand VMs of
 * a few KiB each take a tenth of it). Only good domains are kept: a request full of bad XML fills
 * nothing. What it hands out is frozen: callers share it.
 */
import { deepFreeze } from "../store/freeze.ts";
import {
  childElements,
  type DomainInfo,
  domainInfoOf,
  parseXml,
  type XmlElement,
  XmlError,
} from "./domain-xml.ts";
import { vniOfBridge } from "./libvirt-xml.ts";

export interface ParsedDomain {
  /** The document's root element. */
  root: XmlElement;
  /** What PVC reads: name, uuid, disks, RBD volumes. */
  info: DomainInfo;
  /** The PVC networks the interfaces join (bridges `vmbr<vni>`), in document order, once each. */
  vnis: number[];
}

export const MAX_CACHED_CHARS = 64 * 1024 * 1024;

const cache = new Map<string, ParsedDomain>();
let cachedChars = 0;

function vnisOf(root: XmlElement): number[] {
  const out: number[] = [];
  for (const devices of childElements(root, "devices")) {
    for (const iface of childElements(devices, "interface")) {
      const vni = vniOfBridge(childElements(iface, "source")[0]?.attrs.bridge);
      if (vni !== undefined && !out.includes(vni)) out.push(vni);
    }
  }
  return out;
}

/** The parsed domain of `xml`; throws XmlError when it is not a usable domain. */
export function parsedDomain(xml: string): ParsedDomain {
  const hit = cache.get(xml);
  if (hit) return hit;
  const root = parseXml(xml);
  const entry: ParsedDomain = deepFreeze({ root, info: domainInfoOf(root), vnis: vnisOf(root) });
  while (cachedChars + xml.length > MAX_CACHED_CHARS && cache.size > 0) {
    const oldest = cache.keys().next().value as string;
    cache.delete(oldest);
    cachedChars -= oldest.length;
  }
  cache.set(xml, entry);
  cachedChars += xml.length;
  return entry;
}

/** The parsed domain, or undefined when the XML is not a usable domain. */
export function tryParsedDomain(xml: string | undefined): ParsedDomain | undefined {
  if (xml === undefined) return undefined;
  try {
    return parsedDomain(xml);
  } catch (err) {
    if (err instanceof XmlError) return undefined;
    throw err;
  }
}

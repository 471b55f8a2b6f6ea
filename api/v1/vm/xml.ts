/**
 * The `xml` value of POST /vm and PUT /vm/<vm>: a libvirt domain read with the project's XML reader,
 * its `<uuid>` added when it has none (PVC keys a VM by it; a new one for a new VM, the VM's own on
 * a PUT), or v0.6's message for XML it cannot use.
 */
import { randomUUID } from "node:crypto";
import { parsedDomain } from "../../../src/resources/domain-cache.ts";
import { childElements, parseXml, XmlError } from "../../../src/resources/domain-xml.ts";
import { withDomainUuid } from "../../../src/resources/libvirt-xml.ts";

export interface DomainXml {
  xml: string;
  name: string;
  uuid: string;
}

function malformed(err: unknown): string {
  if (err instanceof XmlError) return `ERROR: XML is malformed or incorrect: ${err.message}.`;
  throw err;
}

/** The XML as it is to be stored, with its name and uuid; or v0.6's message. */
export function domainXml(text: string | undefined, uuid?: () => string): DomainXml | string {
  if (text === undefined || text.trim() === "") return "ERROR: A Libvirt XML document must be specified.";
  try {
    const root = parseXml(text);
    const xml =
      root.name === "domain" && childElements(root, "uuid").length === 0
        ? withDomainUuid(text, (uuid ?? randomUUID)())
        : text;
    const info = parsedDomain(xml).info;
    return { xml, name: info.name, uuid: info.uuid };
  } catch (err) {
    return malformed(err);
  }
}

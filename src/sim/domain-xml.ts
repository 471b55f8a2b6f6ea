/**
 * What the simulated libvirt needs from a domain's XML: its memory and vCPU count, which a real
 * node daemon reads back from libvirt (`dom.info()`: current memory in KiB, active vCPUs) to sum
 * into memalloc and vcpualloc. The XML is read with the project's one XML reader
 * (src/resources/domain-xml.ts), the same that validates VirtualMachine resources.
 */

import { ErrorCodes, PvcError } from "../errors.ts";
import { childElements, parseXml, type XmlElement } from "../resources/domain-xml.ts";
import { memoryElementMiB } from "../resources/libvirt-xml.ts";

export interface DomainResources {
  memMiB: number;
  vcpus: number;
}

function invalid(message: string): PvcError {
  return new PvcError(ErrorCodes.SIM_DOMAIN_XML_INVALID, message);
}

/** Whole MiB, rounded down like the node daemon's int(KiB / 1024); the unit table is libvirt-xml.ts's. */
function memoryMiB(el: XmlElement): number {
  try {
    return memoryElementMiB(el);
  } catch (err) {
    throw invalid(`domain XML: ${(err as Error).message}`);
  }
}

export function parseDomainResources(xml: string): DomainResources {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (err) {
    throw invalid(`domain XML: ${(err as Error).message}`);
  }
  if (root.name !== "domain") throw invalid("domain XML: no <domain> element");
  // libvirt reports the current balloon size when <currentMemory> is given, else <memory>.
  const el = childElements(root, "currentMemory")[0] ?? childElements(root, "memory")[0];
  if (!el) throw invalid("domain XML: no <memory> element");
  const memMiB = memoryMiB(el);
  // <vcpu current='N'>max</vcpu>: the domain runs with `current` vCPUs; libvirt's default is 1.
  const vcpu = childElements(root, "vcpu")[0];
  let vcpus = 1;
  if (vcpu) {
    const raw = vcpu.attrs.current ?? vcpu.text.trim();
    if (!/^[1-9][0-9]*$/.test(raw)) throw invalid(`domain XML: <vcpu> is not a positive integer: "${raw}"`);
    vcpus = Number(raw);
  }
  return { memMiB, vcpus };
}

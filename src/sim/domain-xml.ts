/**
 * What the simulated libvirt needs from a domain's XML: its memory and vCPU count, which a real
 * node daemon reads back from libvirt (`dom.info()`: current memory in KiB, active vCPUs) to sum
 * into memalloc and vcpualloc.
 *
 * A few regular expressions instead of an XML parser: we only need two top-level elements, and the
 * project has no XML dependency. `\b` keeps `<memory` from matching `<memoryBacking>`.
 */
import { ErrorCodes, PvcError } from "../errors.ts";

export interface DomainResources {
  memMiB: number;
  vcpus: number;
}

/** libvirt's memory units (docs: formatdomain.html#memory-allocation); the default is KiB. */
const UNIT_BYTES: Record<string, number> = {
  b: 1,
  bytes: 1,
  kb: 1000,
  k: 1024,
  kib: 1024,
  mb: 1000 ** 2,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1000 ** 3,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  tb: 1000 ** 4,
  t: 1024 ** 4,
  tib: 1024 ** 4,
};

function invalid(message: string): PvcError {
  return new PvcError(ErrorCodes.SIM_DOMAIN_XML_INVALID, message);
}

/** The attributes and text of the first `<name …>text</name>` element, or null. */
function element(xml: string, name: string): { attrs: string; text: string } | null {
  const m = new RegExp(`<${name}\\b([^>]*)>([^<]*)</${name}\\s*>`).exec(xml);
  return m ? { attrs: m[1], text: m[2].trim() } : null;
}

function attr(attrs: string, name: string): string | undefined {
  const m = new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(attrs);
  return m ? (m[1] ?? m[2]) : undefined;
}

function memoryMiB(el: { attrs: string; text: string }, which: string): number {
  const unit = (attr(el.attrs, "unit") ?? "KiB").toLowerCase();
  const factor = UNIT_BYTES[unit];
  if (factor === undefined) throw invalid(`domain XML: unknown unit "${unit}" in <${which}>`);
  if (!/^[0-9]+$/.test(el.text)) throw invalid(`domain XML: <${which}> is not an integer: "${el.text}"`);
  // Whole MiB, rounded down like the node daemon's int(KiB / 1024).
  return Math.floor((Number(el.text) * factor) / 1024 ** 2);
}

export function parseDomainResources(xml: string): DomainResources {
  const body = xml.replace(/<!--[\s\S]*?-->/g, "");
  if (!/<domain\b/.test(body)) throw invalid("domain XML: no <domain> element");
  // libvirt reports the current balloon size when <currentMemory> is given, else <memory>.
  const current = element(body, "currentMemory");
  const el = current ?? element(body, "memory");
  if (!el) throw invalid("domain XML: no <memory> element");
  const memMiB = memoryMiB(el, current ? "currentMemory" : "memory");
  // <vcpu current='N'>max</vcpu>: the domain runs with `current` vCPUs; libvirt's default is 1.
  const vcpu = element(body, "vcpu");
  let vcpus = 1;
  if (vcpu) {
    const raw = attr(vcpu.attrs, "current") ?? vcpu.text;
    if (!/^[1-9][0-9]*$/.test(raw)) throw invalid(`domain XML: <vcpu> is not a positive integer: "${raw}"`);
    vcpus = Number(raw);
  }
  return { memMiB, vcpus };
}

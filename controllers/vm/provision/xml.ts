/**
 * Phase 6, xml: the libvirt definition from the system template (vCPUs, memory in MB, serial
 * console, VNC), the network template (one interface per network, in order; MACs from the
 * template's mac_template as PVC fills it, else PVC's random 52:54:00:xx:xx:xx) and the VM's volumes
 * (RBD disks naming the cluster's monitors), built by the kit's XML library (libvirt-xml.ts). The
 * result is kept in status: a resumed run defines the same domain, with the same MACs.
 */
import { machine } from "node:os";
import { fillMacTemplate, MAC_PREFIX } from "../../../src/resources/kinds/provisioner.ts";
import { buildDomainXml, type CephMonitor, type DiskBus } from "../../../src/resources/libvirt-xml.ts";
import type { Resolved } from "./resolve.ts";
import type { PlannedVolume } from "./volumes.ts";

export interface XmlInput {
  name: string;
  uuid: string;
  vmId: number;
  resolved: Resolved;
  planned: readonly PlannedVolume[];
  monitors: CephMonitor[];
  /** A random integer in [min, max] (tests pass their own). */
  randomInt: (min: number, max: number) => number;
}

/** PVC's vm_id: the number the VM's name ends with (v0.6 meant this; its regex never matched), else 0. */
export function vmIdOf(name: string): number {
  const m = name.match(/(\d+)$/);
  return m ? Number(m[1]) : 0;
}

/** The guest bus a disk id implies: vdX virtio, hdX ide, anything else (sdX, PVC's default) scsi. */
export function busOf(diskId: string): DiskBus {
  if (diskId.startsWith("vd")) return "virtio";
  if (diskId.startsWith("hd")) return "ide";
  return "scsi";
}

/** One interface's MAC: the template filled, or random octets as PVC draws them (16..238). */
export function macOf(
  template: string | undefined,
  vmId: number,
  netIndex: number,
  randomInt: XmlInput["randomInt"],
): string {
  if (template) return fillMacTemplate(template, vmId, netIndex);
  const octet = () => randomInt(16, 238).toString(16).padStart(2, "0");
  return `${MAC_PREFIX}:${octet()}:${octet()}:${octet()}`;
}

/** uname -m as libvirt names architectures. */
function arch(): string {
  try {
    return machine();
  } catch {
    return "x86_64";
  }
}

export function provisionedXml(x: XmlInput): string {
  const { system, network } = x.resolved;
  return buildDomainXml({
    name: x.name,
    uuid: x.uuid,
    description: `PVC provisioner, profile '${x.resolved.profile}'`,
    arch: arch(),
    memoryMiB: system.vramMiB,
    vcpus: system.vcpus,
    serial: system.serial,
    vnc: system.vnc ? { listen: system.vncBind ?? "127.0.0.1" } : undefined,
    disks: x.planned.map((v) => ({
      kind: "rbd" as const,
      pool: v.pool,
      volume: v.volume,
      target: v.id,
      bus: busOf(v.id),
      monitors: x.monitors,
    })),
    interfaces: network.networks.map((n, i) => ({
      vni: n.vni,
      mac: macOf(network.macTemplate, x.vmId, i, x.randomInt),
    })),
  });
}

/**
 * Templates, scripts and profiles as PVC v0.6 returns them (client-api/api_lib/pvcapi_provisioner.py:
 * the rows of its PostgreSQL tables). v0.6's numeric `id` was the table's serial; ours is the
 * object's place among its kind by creation, so it is stable while nothing older is deleted.
 */
import type {
  NetworkTemplate,
  ProvisionerProfile,
  ProvisionerScript,
  StorageTemplate,
  SystemTemplate,
  UserdataTemplate,
} from "../../../src/resources/specs.ts";

/** What ordering needs of an object. */
export interface Named {
  metadata: { name: string; creationTimestamp?: string };
}

/** 1-based ids by creation order (then name), for the `id` fields v0.6 had. */
export function idsOf(all: readonly Named[]): Map<string, number> {
  const sorted = [...all].sort(
    (a, b) =>
      String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)) ||
      a.metadata.name.localeCompare(b.metadata.name),
  );
  return new Map(sorted.map((o, i) => [o.metadata.name, i + 1]));
}

export function systemTemplateOf(t: SystemTemplate, id: number) {
  const s = t.spec;
  return {
    id,
    name: t.metadata.name,
    vcpu_count: s.vcpus,
    vram_mb: s.vramMiB,
    serial: s.serial,
    vnc: s.vnc,
    vnc_bind: s.vncBind ?? null,
    node_limit: s.nodeLimit.length > 0 ? s.nodeLimit.join(",") : null,
    node_selector: s.nodeSelector ?? null,
    node_autostart: s.startWithNode,
  };
}

export function networksOf(t: NetworkTemplate, id: number) {
  return t.spec.networks.map((n, i) => ({ id: i + 1, network_template: id, vni: n.vni }));
}

export function networkTemplateOf(t: NetworkTemplate, id: number) {
  return { id, name: t.metadata.name, mac_template: t.spec.macTemplate ?? null, networks: networksOf(t, id) };
}

export function disksOf(t: StorageTemplate, id: number) {
  return t.spec.disks.map((d, i) => ({
    id: i + 1,
    storage_template: id,
    pool: d.pool,
    disk_id: d.id,
    disk_size_gb: d.sizeGiB,
    mountpoint: d.mountpoint ?? null,
    filesystem: d.filesystem ?? null,
    filesystem_args: d.filesystemArgs.join(" "),
  }));
}

export function storageTemplateOf(t: StorageTemplate, id: number) {
  return { id, name: t.metadata.name, disks: disksOf(t, id) };
}

export function userdataOf(t: UserdataTemplate, id: number) {
  return { id, name: t.metadata.name, userdata: t.spec.data };
}

export function scriptOf(t: ProvisionerScript, id: number) {
  return { id, name: t.metadata.name, script: t.spec.data };
}

export function profileOf(p: ProvisionerProfile, id: number) {
  const s = p.spec;
  return {
    id,
    name: p.metadata.name,
    system_template: s.systemTemplate,
    network_template: s.networkTemplate,
    storage_template: s.storageTemplate,
    userdata: s.userdataTemplate,
    script: s.script,
    arguments: Object.entries(s.arguments).map(([k, v]) => `${k}=${v}`),
  };
}

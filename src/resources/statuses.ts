/**
 * TypeScript shapes of each kind's `status`, as its controller writes it. The kind's controller is
 * the only writer; facades and `pvcctl` read them. Every status has `observedGeneration` and the
 * standard conditions (types.ts); the fields here are what a kind adds.
 */
import type { ResourceStatus } from "./types.ts";

/** A dynamic DHCP lease, as dnsmasq wrote it under `/networks/<vni>/dhcp4_leases/<mac>`. */
export interface NetworkLease {
  mac: string;
  ip: string;
  hostname: string;
  expiry: string;
  clientId: string;
}

export interface NetworkStatus extends ResourceStatus {
  /** The vni whose keys this resource owns now (it differs from spec.vni while moving). */
  vni?: number;
  dhcpLeases?: NetworkLease[];
  /** Spec fields PVC ignores on a bridged network. */
  ignoredFields?: string[];
  /** With driftPolicy Report: the owned keys changed out of band and kept (subtrees by their root). */
  drift?: string[];
}

/**
 * CephVolume's second condition: True when PVC's keys for the image (`/ceph/volumes/<pool>/<volume>`
 * with `stats` from `rbd info`, and the `/ceph/snapshots/<pool>/<volume>` parent) are written for
 * the image the status names. A created volume is Ready (usable) before that (controllers/ceph/volume.ts);
 * the storage facade waits for it too, as v0.6 answered only after writing those keys.
 */
export const MIRRORED = "Mirrored";

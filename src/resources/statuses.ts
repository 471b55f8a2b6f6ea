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

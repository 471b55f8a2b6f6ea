/**
 * A VM's RBD locks: listing and flushing them (PVC's `vm flush-locks`), for the /api/v1 facade
 * (`/vm/<vm>/locks`, through CephClusterOps) and the VirtualMachine controller (before it deletes a
 * VM's disks: a stale lock makes `rbd rm` hang).
 *
 * Why `rbd lock ls`/`rm` from here and not PVC's `/cmd/domains` channel: in v0.6 a client wrote
 * `flush_locks <uuid>` to `/cmd/domains` under a lock and, half a second later, read the primary
 * node daemon's `success-…`/`failure-…` back from the same single key. That channel serialises
 * every client of the cluster through one znode, answers by polling after a fixed sleep, says
 * nothing about why it failed ("check node logs"), and needs a live primary node daemon — when
 * locks need flushing, a hypervisor has usually just died. The reconciler already holds a Ceph
 * client with the cluster's admin key (it creates and removes the images), so it runs the two
 * commands itself: arguments as arrays, names validated by the client, typed errors naming the
 * image, and no dependence on which node daemons are up (the hollow nodes run no rbd at all).
 */
import type { CephClient } from "./client.ts";

/** The locks of one volume (`pool/volume`), as `rbd lock ls` lists them. */
export interface VolumeLocks {
  volume: string;
  locks: Array<{ id: string; locker: string; address: string }>;
}

function split(source: string): [string, string] {
  const cut = source.indexOf("/");
  return [source.slice(0, cut), source.slice(cut + 1)];
}

/** The locks of each volume; throws (a PvcError naming the image) when one cannot be listed. */
export async function listVolumeLocks(ceph: CephClient, volumes: readonly string[]): Promise<VolumeLocks[]> {
  const out: VolumeLocks[] = [];
  for (const volume of volumes) {
    const [pool, image] = split(volume);
    const locks = await ceph.lockLs(pool, image);
    out.push({ volume, locks: locks.map((l) => ({ id: l.id, locker: l.locker, address: l.address })) });
  }
  return out;
}

/** Removes every lock of each volume; returns how many were removed. Throws on the first failure. */
export async function flushVolumeLocks(ceph: CephClient, volumes: readonly string[]): Promise<number> {
  let removed = 0;
  for (const { volume, locks } of await listVolumeLocks(ceph, volumes)) {
    const [pool, image] = split(volume);
    for (const lock of locks) {
      await ceph.lockRm(pool, image, lock.id, lock.locker);
      removed++;
    }
  }
  return removed;
}

/**
 * CephClusterOps (src/ceph/cluster-ops.ts) on the Ceph client: the manual's imperative cluster
 * operations, each followed, when it changed something, by one refresh of the CephCluster mirror
 * (cluster.ts), so that the facade's answer and a GET right after it reflect the change without
 * waiting for the next poll. A failed refresh is not the operation's failure: the loop catches up.
 *
 * OSD add and remove run PVC's node-daemon commands (osd-commands.ts) after a clean pre-flight,
 * and write or delete the OSD's `/ceph/osds/<id>` keys themselves (the refresh would, a poll later).
 */
import type { CephClient } from "../../src/ceph/client.ts";
import type { CephClusterOps, OpOutcome, OsdOutcome } from "../../src/ceph/cluster-ops.ts";
import { flushVolumeLocks, listVolumeLocks } from "../../src/ceph/locks.ts";
import type { PvcKeys } from "../../src/pvc/keys.ts";
import type { PvcReader } from "../../src/pvc/reader.ts";
import type { ZkClient } from "../../src/zk/client.ts";
import { refreshCephCluster } from "./cluster.ts";
import { errorMessage } from "./common.ts";
import {
  type Command,
  type HostFacts,
  localHost,
  osdAddCommands,
  osdRemoveCommands,
  preflight,
  runCommands,
  show,
} from "./osd-commands.ts";

export interface CephClusterOpsDeps {
  zk: ZkClient;
  pvc: PvcKeys;
  ceph: CephClient;
  /** Reads an OSD's node and device before removing it. */
  reader: PvcReader;
  /** Where the OSD commands would run (default: this host). */
  host?: HostFacts;
}

export function cephClusterOps(deps: CephClusterOpsDeps): CephClusterOps {
  const { zk, pvc, ceph, reader } = deps;
  const host = deps.host ?? localHost;
  const refresh = () => refreshCephCluster({ zk, pvc, ceph }).catch(() => []);

  /** Runs one Ceph call; refreshes the mirror when it went through. */
  const changed = async (call: () => Promise<void>): Promise<OpOutcome> => {
    try {
      await call();
    } catch (err) {
      return { ok: false, why: errorMessage(err) };
    }
    await refresh();
    return { ok: true };
  };

  /** Pre-flight, then the commands; nothing runs when the pre-flight finds one that cannot. */
  const runOsdCommands = async (node: string, device: string, commands: Command[]): Promise<OsdOutcome> => {
    const blocked = preflight(node, device, commands, host);
    if (blocked) return { ok: false, ran: false, command: show(blocked.command), why: blocked.why };
    const result = await runCommands(commands, ceph.runner.conf);
    return result.ok ? result : { ok: false, ran: true, command: result.command, why: result.why };
  };

  return {
    poolDefaults: () => ceph.poolDefaults().catch(() => undefined),
    setFlag: (flag, on) => changed(() => (on ? ceph.osdSet(flag) : ceph.osdUnset(flag))),
    setOsdIn: (id, on) => changed(() => (on ? ceph.osdIn(id) : ceph.osdOut(id))),

    async addOsd(node, device, weight) {
      const outcome = await runOsdCommands(node, device, osdAddCommands(node, device, weight));
      if (!outcome.ok) return outcome;
      if (outcome.id !== undefined) {
        await zk
          .multi([
            { op: "create", path: pvc.cephOsd(outcome.id), data: "" },
            { op: "create", path: pvc.cephOsdKey(outcome.id, "node"), data: node },
            { op: "create", path: pvc.cephOsdKey(outcome.id, "device"), data: device },
            { op: "create", path: pvc.cephOsdKey(outcome.id, "stats"), data: "{}" },
          ])
          .catch(() => undefined);
      }
      await refresh();
      return outcome;
    },

    async removeOsd(id) {
      const placement = await reader.osdPlacement(id);
      const device = placement.device ?? "";
      const outcome = await runOsdCommands(
        placement.node ?? "",
        device,
        osdRemoveCommands(Number(id), device),
      );
      if (!outcome.ok) return outcome;
      await zk.deleteRecursive(pvc.cephOsd(id)).catch(() => undefined);
      await refresh();
      return outcome;
    },

    // A VM's RBD locks (src/ceph/locks.ts): no mirror to refresh, nothing of PVC's keys changes.
    async volumeLocks(volumes) {
      try {
        return { ok: true, locks: await listVolumeLocks(ceph, volumes) };
      } catch (err) {
        return { ok: false, why: errorMessage(err) };
      }
    },
    async flushLocks(volumes) {
      try {
        await flushVolumeLocks(ceph, volumes);
        return { ok: true };
      } catch (err) {
        return { ok: false, why: errorMessage(err) };
      }
    },
  };
}

/**
 * Every kind controller the manager runs (only on the leading replica): one line per kind,
 * `networkController,` with its import. src/app.ts builds each with the ControllerContext.
 */

import { cephClusterController } from "./ceph/cluster.ts";
import { cephPoolController } from "./ceph/pool.ts";
import { cephSnapshotController } from "./ceph/snapshot.ts";
import { cephVolumeController } from "./ceph/volume.ts";
import { networkController } from "./network/controller.ts";
import { nodeController } from "./node/controller.ts";
import type { KindController } from "./types.ts";
import { vmController } from "./vm/controller.ts";

export const kindControllers: KindController[] = [
  networkController,
  cephPoolController,
  cephVolumeController,
  cephSnapshotController,
  cephClusterController,
  nodeController,
  vmController,
];

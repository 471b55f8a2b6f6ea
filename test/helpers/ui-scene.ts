/**
 * What the status page's browser test and bench look at: hollow nodes on a PVC root of their own,
 * the real app over them (the Network, Node, VirtualMachine, CephPool and CephVolume controllers, on
 * the stack's Ceph), a GitOps folder of its own, and authentication on when a token is given.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cephPoolController } from "../../controllers/ceph/pool.ts";
import { cephVolumeController } from "../../controllers/ceph/volume.ts";
import { networkController } from "../../controllers/network/controller.ts";
import { nodeController } from "../../controllers/node/controller.ts";
import type { KindController } from "../../controllers/types.ts";
import { vmController } from "../../controllers/vm/controller.ts";
import type { AppOptions } from "../../src/app.ts";
import { HollowCluster } from "../../src/sim/cluster.ts";
import { parseNodeSpec } from "../../src/sim/spec.ts";
import { ZkClient } from "../../src/zk/client.ts";
import { removeRoot, startTestApp, type TestApp, testConfig } from "./api-app.ts";
import { cephConf, uniqueRoot, zkConnect } from "./env.ts";
import { FAST_SIM, STACK_NODES } from "./node-cluster.ts";

export interface UiSceneOptions {
  label: string;
  /** Turns authentication on with this one token. */
  token?: string;
  controllers?: KindController[];
  app?: AppOptions;
}

export interface UiScene {
  url: string;
  t: TestApp;
  zk: ZkClient;
  pvcRoot: string;
  /** The watched GitOps folder (empty at start). */
  gitopsDir: string;
  close(): Promise<void>;
}

/** What the page shows working: networks, nodes, VMs and the Ceph pools and volumes their disks are on. */
const DEFAULT_CONTROLLERS = [
  networkController,
  nodeController,
  vmController,
  cephPoolController,
  cephVolumeController,
];

export async function startUiScene(options: UiSceneOptions): Promise<UiScene> {
  const root = uniqueRoot(options.label);
  const pvcRoot = `${root}/pvc`;
  const zk = await ZkClient.connect({ connectString: zkConnect() });
  await zk.mkdirp(`${pvcRoot}/networks`);
  const sim = new HollowCluster({ zk, nodes: parseNodeSpec(STACK_NODES), root: pvcRoot, timings: FAST_SIM });
  await sim.start();
  const gitopsDir = await mkdtemp(join(tmpdir(), "pvc-ui-gitops-"));
  const t = await startTestApp(
    testConfig(`${root}/store`, (c) => {
      c.reconciler.pvcRoot = pvcRoot;
      c.reconciler.cephConf = cephConf();
      c.reconciler.logLevel = "warn";
      c.reconciler.gitops = { enabled: true, dir: gitopsDir };
      if (options.token) {
        c.api.auth = {
          enabled: true,
          secretKey: "ui-scene-secret-key",
          tokens: [{ description: "ui", token: options.token }],
        };
      }
    }),
    { kindControllers: options.controllers ?? DEFAULT_CONTROLLERS, ...options.app },
  );
  return {
    url: t.app.url,
    t,
    zk,
    pvcRoot,
    gitopsDir,
    close: async () => {
      await t.app.close();
      await sim.stop();
      zk.close();
      await removeRoot(root);
      await rm(gitopsDir, { recursive: true, force: true });
    },
  };
}

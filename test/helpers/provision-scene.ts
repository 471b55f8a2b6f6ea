/**
 * A scene for provisioning tests: the real app with the Network, Ceph, Node and VirtualMachine
 * controllers over hollow nodes (hv1-hv3) on a PVC root of its own, a Ceph pool of its own in the
 * stack's Ceph, and the networks a network template names; plus what the tests check afterwards
 * on this host and in Ceph: what a run left attached or mounted, a volume's image list, and a
 * VM's disks attached again (the project's HostDisks) to read back what install() wrote.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { cephPoolController } from "../../controllers/ceph/pool.ts";
import { cephVolumeController } from "../../controllers/ceph/volume.ts";
import { networkController } from "../../controllers/network/controller.ts";
import { nodeController } from "../../controllers/node/controller.ts";
import type { KindController } from "../../controllers/types.ts";
import { vmController } from "../../controllers/vm/controller.ts";
import { CephClient } from "../../src/ceph/client.ts";
import { run } from "../../src/provisioner/exec.ts";
import { HostDisks } from "../../src/provisioner/host-disks.ts";
import { PvcKeys } from "../../src/pvc/keys.ts";
import type { Resource } from "../../src/resources/types.ts";
import { HollowCluster } from "../../src/sim/cluster.ts";
import { parseNodeSpec } from "../../src/sim/spec.ts";
import { expectV1, removeRoot, startTestApp, type TestApp, testConfig, until, v1Call } from "./api-app.ts";
import { cephConf, uniqueRoot } from "./env.ts";
import { FAST_SIM, STACK_NODES } from "./node-cluster.ts";

export const PROVISION_CONTROLLERS: KindController[] = [
  networkController,
  cephPoolController,
  cephVolumeController,
  nodeController,
  vmController,
];

/** A generous bound for one VM's provisioning here (seconds of work; tens under load). */
export const PROVISION_BOUND_MS = 180_000;

/** status.provisioning as the contract with the VM controller has it (schemas/virtualmachine.json). */
export interface Provisioning {
  taskId?: string;
  state?: string;
  phase?: string;
  current?: number;
  total?: number;
  message?: string;
  attachMethod?: string;
  workDir?: string;
  output?: string;
  error?: string;
  xml?: string;
}

export const provisioningOf = (vm: Resource | undefined): Provisioning | undefined =>
  (vm?.status as { provisioning?: Provisioning } | undefined)?.provisioning;

/** What is left on this host under a directory: mounts (fuse ones too) and loop devices on its files. */
export async function leftoversUnder(dir: string): Promise<string[]> {
  const mounts = (await readFile("/proc/self/mounts", "utf8"))
    .split("\n")
    .map((l) => l.split(" "))
    .filter((f) => f.length >= 3 && (f[1] === dir || f[1].startsWith(`${dir}/`)))
    .map((f) => `mount ${f[1]} (${f[2]})`);
  const listed = await run("losetup", ["--list", "--json", "--output", "NAME,BACK-FILE"]);
  const loops =
    listed.stdout.trim() === ""
      ? []
      : ((JSON.parse(listed.stdout) as { loopdevices?: { name: string; "back-file"?: string | null }[] })
          .loopdevices ?? []);
  return [
    ...mounts,
    ...loops
      .filter((l) => (l["back-file"] ?? "").startsWith(`${dir}/`))
      .map((l) => `loop ${l.name} on ${l["back-file"]}`),
  ];
}

export class ProvisionScene {
  readonly root: string;
  readonly pvcRoot: string;
  readonly keys: PvcKeys;
  readonly pool: string;
  readonly ceph = new CephClient({ conf: cephConf() });
  t!: TestApp;
  cluster!: HollowCluster;
  /** Every status.provisioning.workDir each VM's status showed (it is cleared once detached). */
  readonly #workDirs = new Map<string, Set<string>>();

  constructor(label: string) {
    this.root = uniqueRoot(label);
    this.pvcRoot = `${this.root}/pvc`;
    this.keys = new PvcKeys(this.pvcRoot);
    this.pool = `${label.replace(/[^a-z0-9]/g, "")}${process.pid}`;
  }

  get url(): string {
    return this.t.app.url;
  }

  /** Hollow nodes, the app, the pool (through /api/v1, as an administrator makes it) and networks `vnis` (bridged, or managed above 4094). */
  async start(vnis: readonly number[]): Promise<void> {
    this.t = await startTestApp(
      testConfig(`${this.root}/store`, (c) => {
        c.reconciler.pvcRoot = this.pvcRoot;
        c.reconciler.cephConf = cephConf();
        c.reconciler.logLevel = "warn";
        c.reconciler.facadeWaitTimeoutMs = 60_000;
      }),
      { kindControllers: PROVISION_CONTROLLERS },
    );
    const vms = this.t.app.informers.get("VirtualMachine");
    const note = (vm: Resource) => {
      const dir = provisioningOf(vm)?.workDir;
      if (dir)
        this.#workDirs.set(vm.metadata.name, (this.#workDirs.get(vm.metadata.name) ?? new Set()).add(dir));
    };
    vms?.on("add", note);
    vms?.on("update", note);
    this.cluster = new HollowCluster({
      zk: this.t.app.zk,
      nodes: parseNodeSpec(STACK_NODES),
      root: this.pvcRoot,
      timings: FAST_SIM,
    });
    await this.cluster.start();
    const pool = await v1Call(this.url, "POST", "/storage/ceph/pool", { pool: this.pool, pgs: "8" });
    assert.equal(pool.status, 200, JSON.stringify(pool.body));
    for (const vni of vnis) {
      const r = await v1Call(this.url, "POST", "/network", {
        vni: String(vni),
        description: `vlan${vni}`,
        // A bridged network's vni is a VLAN id; above 4094 it is one of PVC's managed (VXLAN) networks.
        nettype: vni <= 4094 ? "bridged" : "managed",
      });
      expectV1(r, 200, `Network 'vlan${vni}' added successfully!`);
    }
  }

  async stop(): Promise<void> {
    await this.t?.app.close();
    await this.cluster?.stop();
    await this.ceph.poolRm(this.pool).catch(() => undefined);
    await removeRoot(this.root);
  }

  vm(name: string): Resource | undefined {
    return this.t.app.informers.get("VirtualMachine")?.get(name);
  }

  /** The run directories the VM's provisioning used, as its status showed them while attached. */
  workDirsOf(name: string): string[] {
    return [...(this.#workDirs.get(name) ?? [])];
  }

  /** Waits until the VM's provisioning ends (SUCCESS or FAILURE); returns it. */
  async provisioned(name: string, bound = PROVISION_BOUND_MS): Promise<Provisioning> {
    try {
      await until(
        `${name} provisioned`,
        () => ["SUCCESS", "FAILURE"].includes(provisioningOf(this.vm(name))?.state ?? ""),
        bound,
      );
    } catch (err) {
      const { provisioning, ...status } = (this.vm(name)?.status ?? {}) as Record<string, unknown>;
      throw new Error(`${(err as Error).message}: ${JSON.stringify({ provisioning, status })}`);
    }
    return provisioningOf(this.vm(name)) ?? {};
  }

  /** The images in the scene's pool, sorted. */
  async images(): Promise<string[]> {
    return (await this.ceph.rbdLs(this.pool))
      .filter((i) => !i.snapshot)
      .map((i) => i.image)
      .sort();
  }

  /** The CephVolume objects in the scene's pool, by name. */
  cephVolumes(): string[] {
    const informer = this.t.app.informers.get("CephVolume");
    return (informer?.list() ?? [])
      .map((v) => v.metadata.name)
      .filter((n) => n.startsWith(`${this.pool}.`))
      .sort();
  }

  /**
   * Attaches `<vm>_<disk>` for each of `disks` again, reports each one's blkid (TYPE, LABEL),
   * mounts them at their mountpoints under a fresh root and gives `read` that root; always released.
   */
  async readBack<T>(
    vm: string,
    disks: readonly { id: string; mountpoint: string }[],
    read: (root: string, blkid: Record<string, string>) => Promise<T>,
  ): Promise<T> {
    const host = new HostDisks(cephConf());
    try {
      const root = await host.rootDir();
      const blkid: Record<string, string> = {};
      const devices: string[] = [];
      for (const d of disks) {
        const { device } = await host.attach(this.pool, `${vm}_${d.id}`);
        devices.push(device);
        blkid[d.id] = (await run("blkid", ["-o", "export", device])).stdout;
      }
      for (const [i, d] of disks.entries()) await host.mount(devices[i], root, d.mountpoint);
      return await read(root, blkid);
    } finally {
      assert.deepEqual(await host.releaseAll(), [], "the read-back's disks released");
    }
  }

  /** The file `path` under a read-back root, or undefined. */
  static async fileAt(root: string, path: string): Promise<string | undefined> {
    return readFile(join(root, path), "utf8").catch(() => undefined);
  }
}

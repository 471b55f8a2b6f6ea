/**
 * A test's own PVC cluster: hollow nodes (src/sim) on a PVC root of the test's own, the app with
 * the controllers the test asks for, and the few things PVC's CLI would do behind the app's back
 * (define and start a VM, register a node whose daemon then dies).
 */
import { randomUUID } from "node:crypto";
import type { KindController } from "../../controllers/types.ts";
import { defineDomainTree } from "../../src/pvc/domain-tree.ts";
import { PvcKeys } from "../../src/pvc/keys.ts";
import { HollowCluster } from "../../src/sim/cluster.ts";
import type { SimTimings } from "../../src/sim/context.ts";
import { registrationKeys } from "../../src/sim/node-keys.ts";
import { parseNodeSpec } from "../../src/sim/spec.ts";
import { writeKeys } from "../../src/sim/zk-write.ts";
import { ZkClient } from "../../src/zk/client.ts";
import { removeRoot, startTestApp, type TestApp, testConfig, until } from "./api-app.ts";
import { uniqueRoot, zkConnect } from "./env.ts";

/** Quick hollow nodes: a keepalive every 300 ms, migrations in tens of ms. */
export const FAST_SIM: Partial<SimTimings> = {
  keepaliveIntervalMs: 300,
  shutdownGraceMs: 100,
  migrateDelayMs: 30,
  restartDelayMs: 50,
  pollMs: 200,
  receiveTimeoutMs: 5000,
  flushWaitTimeoutMs: 5000,
};

/** The local stack's three nodes: two coordinators and a hypervisor (memory, vCPUs differ). */
export const STACK_NODES = "hv1:coordinator:32768:16,hv2:coordinator:16384:8,hv3:hypervisor:65536:32";

export class NodeCluster {
  readonly root: string;
  readonly pvcRoot: string;
  readonly keys: PvcKeys;
  t!: TestApp;
  zk!: ZkClient;
  sim!: HollowCluster;

  constructor(label: string) {
    this.root = uniqueRoot(label);
    this.pvcRoot = `${this.root}/pvc`;
    this.keys = new PvcKeys(this.pvcRoot);
  }

  /** Hollow nodes first (they make /nodes), then the app with `controllers`. */
  async start(controllers: KindController[], nodes = STACK_NODES): Promise<void> {
    await this.startSim(nodes);
    await this.startApp(controllers);
  }

  /** The hollow nodes alone: a PVC cluster with no control plane over it yet. */
  async startSim(nodes = STACK_NODES): Promise<void> {
    this.zk = await ZkClient.connect({ connectString: zkConnect() });
    await this.zk.mkdirp(this.pvcRoot);
    this.sim = new HollowCluster({
      zk: this.zk,
      nodes: parseNodeSpec(nodes),
      root: this.pvcRoot,
      timings: FAST_SIM,
    });
    await this.sim.start();
  }

  /** The app (its own store root) over the hollow nodes' PVC keys. */
  async startApp(controllers: KindController[]): Promise<void> {
    this.t = await startTestApp(
      testConfig(`${this.root}/store`, (c) => {
        c.reconciler.pvcRoot = this.pvcRoot;
        c.reconciler.logLevel = "warn";
        c.reconciler.facadeWaitTimeoutMs = 15_000;
      }),
      { kindControllers: controllers },
    );
  }

  async stop(): Promise<void> {
    await this.t?.app.close();
    await this.sim?.stop();
    this.zk?.close();
    await removeRoot(this.root);
  }

  get url(): string {
    return this.t.app.url;
  }

  async read(path: string): Promise<string> {
    return (await this.zk.get(path)).data;
  }

  /**
   * PVC's CLI `pvc node primary <node>`: /primary_node = node, until the node is primary. Written
   * again if need be: the primary's daemon re-asserts /primary_node at its keepalive (PVC's does
   * too), and one that raced the write with a keepalive puts its own name back.
   */
  async movePrimary(node: string): Promise<void> {
    await until(`${node} primary`, async () => {
      if ((await this.read(this.keys.primaryNode())) !== node)
        await this.zk.set(this.keys.primaryNode(), node);
      return (await this.read(this.keys.nodeKey(node, "routerstate"))) === "primary";
    });
  }

  /** Waits until every named node has its Node object, Ready for its generation. */
  async nodesReady(names: readonly string[] = ["hv1", "hv2", "hv3"]): Promise<void> {
    const informer = this.t.app.informers.get("Node");
    await until(`Node objects ${names.join(", ")} Ready`, () =>
      names.every((n) => {
        const obj = informer?.get(n);
        const c = obj?.status?.conditions?.find((x) => x.type === "Ready");
        return c?.status === "True" && c.observedGeneration === obj?.metadata.generation;
      }),
    );
  }

  /** PVC's define_vm: every key of /domains/<uuid>, state=stop; returns the uuid. */
  async defineVm(node: string, memMiB = 1024, vcpus = 1): Promise<string> {
    const uuid = randomUUID();
    const name = `vm-${uuid.slice(0, 8)}`;
    const xml = `<domain type="kvm"><name>${name}</name><uuid>${uuid}</uuid><memory unit="MiB">${memMiB}</memory><vcpu>${vcpus}</vcpu><devices/></domain>`;
    const tree = defineDomainTree(
      this.keys,
      { uuid, name, xml, rbdList: [], nodeLimit: [], nodeSelector: "mem" },
      { node, autostart: false },
    );
    await this.zk.multi([...tree].map(([path, data]) => ({ op: "create" as const, path, data })));
    return uuid;
  }

  /** Defines a VM on `node` and starts it, as PVC's CLI would; resolves once the node runs it. */
  async startVm(node: string, memMiB = 1024): Promise<string> {
    const uuid = await this.defineVm(node, memMiB);
    await this.zk.set(this.keys.domainKey(uuid, "state"), "start");
    await this.runsOn(uuid, node);
    return uuid;
  }

  /** Waits until `node` lists the VM in its runningdomains. */
  async runsOn(uuid: string, node: string): Promise<void> {
    await until(`${uuid} running on ${node}`, async () =>
      (await this.read(this.keys.nodeKey(node, "runningdomains"))).split(" ").includes(uuid),
    );
  }

  /** Sets domain keys in one multi, as PVC's CLI does (`state`, `node`, `lastnode`…). */
  async setDomain(uuid: string, values: Record<string, string>): Promise<void> {
    await this.zk.multi(
      Object.entries(values).map(([key, data]) => ({
        op: "set" as const,
        path: `${this.keys.domain(uuid)}/${key}`,
        data,
      })),
    );
  }

  /**
   * A node registered by a daemon that then died: every key written once, daemonstate run, its
   * keepalive `ageS` seconds old and never renewed. domainstate `flushed`, so that no flush
   * picks it as a target.
   */
  async deadNode(
    name: string,
    ageS: number,
    options: { mode?: "coordinator" | "hypervisor"; daemonState?: string } = {},
  ): Promise<void> {
    const now = Math.floor(Date.now() / 1000) - ageS;
    const spec = { name, mode: options.mode ?? "hypervisor", memMiB: 8192, vcpus: 4 };
    const stats = {
      memtotal: 8192,
      memused: 512,
      memfree: 7680,
      memalloc: 0,
      vcpualloc: 0,
      cpuload: "0.0",
      domainscount: 0,
      runningdomains: "",
    };
    const kv = registrationKeys(this.keys, { spec, stats, now }).map(([path, value]): [string, string] => [
      path,
      path === this.keys.nodeKey(name, "daemonstate")
        ? (options.daemonState ?? "run")
        : path === this.keys.nodeKey(name, "domainstate")
          ? "flushed"
          : value,
    ]);
    await writeKeys(this.zk, kv);
  }
}

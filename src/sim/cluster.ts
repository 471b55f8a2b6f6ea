/**
 * HollowCluster — a SIMULATOR of PVC node daemons, like Kubernetes' kubemark "hollow nodes".
 * There are no VMs, no libvirt, no networking here: each hollow node writes and watches the same
 * ZooKeeper keys a real PVC node daemon (pvcd, PVC 0.6 / de8c7975) does, so that a control plane
 * written against PVC's key contract sees a living cluster. Never point it at a real PVC cluster:
 * it would contend for /primary_node and answer for nodes that do not exist.
 *
 * One ZooKeeper session for all hollow nodes, not one each: PVC's node daemons keep no ephemeral
 * nodes (a node's liveness is its keepalive timestamp, not its session), so a session carries no
 * node identity and N sessions would only cost N connections and N copies of every watch. A
 * session loss then affects all hollow nodes at once, which a simulation of one failing node
 * would not want — stop its keepalive instead.
 *
 * Watches, not polling: /domains children, each domain's `state` and `node`, /primary_node, and
 * each hollow node's daemonstate/routerstate/domainstate are watched (one watch per path, shared
 * by all hollow nodes, see WatchHub). A slow full resync runs as a safety net.
 */
import { PvcKeys } from "../pvc/keys.ts";
import type { ZkClient } from "../zk/client.ts";
import { DEFAULT_TIMINGS, type SimContext, type SimTimings } from "./context.ts";
import { HollowNode } from "./hollow-node.ts";
import { errorFields, type SimLogger, silentLogger } from "./log.ts";
import type { NodeSelector } from "./placement.ts";
import { KeyedSerial } from "./serial.ts";
import type { HollowNodeSpec } from "./spec.ts";
import { DomainWake } from "./wake.ts";
import { WatchHub } from "./watch-hub.ts";
import { readOr } from "./zk-write.ts";

export interface HollowClusterOptions {
  /** A connected client; the caller owns it (and closes it after stop()). */
  zk: ZkClient;
  nodes: readonly HollowNodeSpec[];
  /** PVC root prefix; "" (default) is the ZooKeeper root, as PVC uses it. */
  root?: string;
  timings?: Partial<SimTimings>;
  logger?: SimLogger;
  /** PVC's migration_target_selector, for VMs whose node_selector is "" or "None". Default "mem". */
  defaultSelector?: NodeSelector;
  /** If set, the primary writes it to /upstream_ip at each keepalive (PVC: upstream_floating_ip). */
  upstreamIp?: string;
}

type State = "new" | "starting" | "running" | "stopping" | "stopped";

export class HollowCluster {
  readonly keys: PvcKeys;
  readonly timings: SimTimings;
  readonly #zk: ZkClient;
  readonly #log: SimLogger;
  readonly #nodes = new Map<string, HollowNode>();
  readonly #hub: WatchHub;
  readonly #wake = new DomainWake();
  readonly #abort = new AbortController();
  readonly #runner: KeyedSerial;
  readonly #ctx: SimContext;
  /** Domains we watch, with the unsubscribe functions of their key watches. */
  readonly #domains = new Map<string, Array<() => void>>();
  readonly #timers: NodeJS.Timeout[] = [];
  #state: State = "new";
  readonly #onLost = () => this.#log.warn({}, "zookeeper session lost; waiting for a new one");
  readonly #onRebuilt = () => {
    this.#log.info({}, "zookeeper session rebuilt: keepalive and full resync");
    this.#keepaliveAll();
    this.resync();
  };

  constructor(options: HollowClusterOptions) {
    if (options.nodes.length === 0) throw new Error("HollowCluster needs at least one node");
    this.#zk = options.zk;
    this.keys = new PvcKeys(options.root ?? "");
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
    this.#log = options.logger ?? silentLogger;
    this.#hub = new WatchHub(this.#zk, {
      retryMs: this.timings.retryMs,
      onError: (err, path) => this.#log.warn({ path, ...errorFields(err) }, "could not arm watch; retrying"),
    });
    this.#runner = new KeyedSerial({
      retryMs: this.timings.retryMs,
      onError: (err, key) => this.#log.error({ task: key, ...errorFields(err) }, "reaction failed; retrying"),
    });
    const cluster = this;
    this.#ctx = {
      zk: this.#zk,
      keys: this.keys,
      timings: this.timings,
      log: this.#log,
      wake: this.#wake,
      signal: this.#abort.signal,
      defaultSelector: options.defaultSelector ?? "mem",
      upstreamIp: options.upstreamIp,
      node: (name) => this.#nodes.get(name),
      whereRunning: (uuid) => [...this.#nodes.values()].find((n) => n.hypervisor.has(uuid)),
      domainChanged: (uuid) => this.#domainChanged(uuid),
      get stopping() {
        return cluster.#state === "stopping" || cluster.#state === "stopped";
      },
    };
    for (const spec of options.nodes) {
      if (this.#nodes.has(spec.name)) throw new Error(`hollow node "${spec.name}" given twice`);
      this.#nodes.set(spec.name, new HollowNode(this.#ctx, spec));
    }
  }

  get nodeNames(): string[] {
    return [...this.#nodes.keys()];
  }

  node(name: string): HollowNode | undefined {
    return this.#nodes.get(name);
  }

  /**
   * Registers every node, settles the primary coordinator, starts watching, and resolves once
   * every node has sent its first keepalive (daemonstate `run`).
   */
  async start(): Promise<void> {
    if (this.#state !== "new") throw new Error(`HollowCluster.start(): already ${this.#state}`);
    this.#state = "starting";
    const { zk, keys } = this.#ctx;
    for (const parent of [keys.nodes(), keys.domains()]) await zk.mkdirp(parent);
    await Promise.all([...this.#nodes.values()].map((n) => n.register()));
    // In spec order, so the first coordinator listed becomes primary on an empty cluster.
    for (const n of this.#nodes.values()) await n.claimPrimaryIfNone();

    await this.#hub.subscribe("data", keys.primaryNode(), () => this.#primaryChanged());
    for (const n of this.#nodes.values()) {
      for (const key of ["daemonstate", "routerstate", "domainstate"] as const) {
        await this.#hub.subscribe("data", keys.nodeKey(n.name, key), () => n.ownKeysChanged());
      }
    }
    await this.#hub.subscribe("children", keys.domains(), () => this.#syncDomains());
    this.#primaryChanged();
    this.#syncDomains();

    await Promise.all([...this.#nodes.values()].map((n) => n.settled()));
    await Promise.all([...this.#nodes.values()].map((n) => n.keepalive()));
    this.#zk.on("lost", this.#onLost);
    this.#zk.on("rebuilt", this.#onRebuilt);
    this.#timers.push(setInterval(() => this.#keepaliveAll(), this.timings.keepaliveIntervalMs));
    this.#timers.push(setInterval(() => this.resync(), this.timings.resyncIntervalMs));
    this.#state = "running";
    this.#log.info({ nodes: this.nodeNames, root: keys.rootPath() }, "hollow cluster running");
  }

  /**
   * Each node does what PVC's daemon does on SIGTERM (see HollowNode.shutdown); reactions in
   * flight are cut short. Nothing is deleted. The ZooKeeper client stays open (the caller's).
   */
  async stop(): Promise<void> {
    if (this.#state === "stopped" || this.#state === "stopping") return;
    this.#state = "stopping";
    for (const t of this.#timers) clearInterval(t);
    this.#zk.off("lost", this.#onLost);
    this.#zk.off("rebuilt", this.#onRebuilt);
    this.#hub.close();
    this.#abort.abort();
    await this.#runner.close();
    if (this.#zk.state !== "connected") {
      // Each write would only wait out its timeout; the nodes' keepalives will simply go stale.
      this.#log.warn({ session: this.#zk.state }, "no zookeeper session: stopping without daemonstate=stop");
      this.#state = "stopped";
      return;
    }
    for (const n of this.#nodes.values()) {
      try {
        await n.shutdown();
      } catch (err) {
        this.#log.error({ node: n.name, ...errorFields(err) }, "shutdown failed");
      }
    }
    this.#state = "stopped";
    this.#log.info({}, "hollow cluster stopped");
  }

  /** Re-reads everything: the domain list, every domain on every node, the node keys, the primary. */
  resync(): void {
    if (this.#state !== "running") return;
    this.#syncDomains();
    for (const uuid of this.#domains.keys()) this.#kickAll(uuid);
    for (const n of this.#nodes.values()) n.ownKeysChanged();
    this.#primaryChanged();
  }

  #keepaliveAll(): void {
    for (const n of this.#nodes.values()) {
      n.keepalive().catch((err: unknown) =>
        this.#log.warn({ node: n.name, ...errorFields(err) }, "keepalive failed"),
      );
    }
  }

  #primaryChanged(): void {
    this.#runner.run("\0primary_node", async () => {
      const value = await readOr(this.#zk, this.keys.primaryNode(), "none");
      for (const n of this.#nodes.values()) n.primaryNodeChanged(value);
    });
  }

  #kickAll(uuid: string): void {
    for (const n of this.#nodes.values())
      this.#runner.run(`${n.name}/${uuid}`, () => n.reactor.reconcile(uuid));
  }

  #domainChanged(uuid: string): void {
    this.#wake.wake(uuid);
    this.#kickAll(uuid);
  }

  /** Diffs /domains against what we watch: watch new domains' state and node, let nodes see each change. */
  #syncDomains(): void {
    this.#runner.run("\0domains", async () => {
      const { keys } = this;
      const current = new Set(await this.#zk.children(keys.domains()));
      const added = [...current].filter((uuid) => !this.#domains.has(uuid));
      await Promise.all(
        added.map(async (uuid) => {
          const unsubs: Array<() => void> = [];
          this.#domains.set(uuid, unsubs);
          const changed = () => this.#domainChanged(uuid);
          for (const key of ["state", "node"] as const) {
            unsubs.push(await this.#hub.subscribe("data", keys.domainKey(uuid, key), changed));
          }
          changed();
        }),
      );
      for (const [uuid, unsubs] of this.#domains) {
        if (current.has(uuid)) continue;
        for (const u of unsubs) u();
        this.#domains.delete(uuid);
        this.#domainChanged(uuid); // the nodes read it gone and forget it
      }
    });
  }
}

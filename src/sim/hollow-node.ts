/**
 * One hollow node: a stand-in for a PVC node daemon (pvcd) that writes and reacts to the same
 * ZooKeeper keys, with a simulated libvirt instead of VMs. It registers under /nodes/<name>, sends
 * keepalives, takes its part in the primary coordinator election, runs the domains assigned to it
 * (VmReactor) and flushes/unflushes itself (FlushWorker). What it mirrors from PVC and what it
 * simplifies is noted where it happens.
 */
import { ErrorCodes, isPvcError } from "../errors.ts";
import type { SimContext } from "./context.ts";
import { FlushWorker } from "./flush.ts";
import { SimHypervisor } from "./hypervisor.ts";
import { errorFields } from "./log.ts";
import { nodeStats, registrationKeys, statsKeys } from "./node-keys.ts";
import type { DaemonMode, HollowNodeSpec } from "./spec.ts";
import { VmReactor } from "./vm-reactor.ts";
import { type KeyValues, readOr, setKeys, writeKeys } from "./zk-write.ts";

export class HollowNode {
  readonly spec: HollowNodeSpec;
  readonly hypervisor: SimHypervisor;
  readonly reactor: VmReactor;
  readonly #ctx: SimContext;
  readonly #flush: FlushWorker;
  /** The daemon's own list of running domains (`runningdomains`), in the order it added them. */
  #running: string[] = [];
  // Last values seen of our own keys and of /primary_node (PVC's NodeInstance caches the same).
  #daemonState = "stop";
  #routerState = "client";
  #domainState = "ready";
  #primaryNode: string | null = null;
  #up = false;
  #keepaliveBusy = false;
  /** Router and domainstate events are handled in arrival order, one at a time. */
  #events: Promise<void> = Promise.resolve();

  constructor(ctx: SimContext, spec: HollowNodeSpec) {
    this.#ctx = ctx;
    this.spec = spec;
    this.hypervisor = new SimHypervisor(spec.name, (uuid) => ctx.domainChanged(uuid));
    this.reactor = new VmReactor(ctx, this);
    this.#flush = new FlushWorker(ctx, this);
  }

  get name(): string {
    return this.spec.name;
  }

  get mode(): DaemonMode {
    return this.spec.mode;
  }

  get runningList(): readonly string[] {
    return this.#running;
  }

  /** Can a live migration reach this node's libvirt? Not once it is shutting down. */
  get acceptsMigrations(): boolean {
    return this.#up && !this.#ctx.stopping;
  }

  #key(key: Parameters<SimContext["keys"]["nodeKey"]>[1]): string {
    return this.#ctx.keys.nodeKey(this.name, key);
  }

  #log(message: string, fields: Record<string, unknown> = {}): void {
    this.#ctx.log.info({ node: this.name, ...fields }, message);
  }

  #stats() {
    return nodeStats(this.spec, this.#running, (u) => this.hypervisor.get(u), this.hypervisor.uuids().length);
  }

  /** Writes every node key in one multi, daemonstate `init`. */
  async register(): Promise<void> {
    const now = Math.floor(Date.now() / 1000);
    await writeKeys(
      this.#ctx.zk,
      registrationKeys(this.#ctx.keys, { spec: this.spec, stats: this.#stats(), now }),
    );
    this.#daemonState = "init";
    this.#routerState = this.mode === "coordinator" ? "secondary" : "client";
    this.#domainState = "ready";
    this.#up = true;
    this.#log("registered; daemonstate=init", {
      mode: this.mode,
      memMiB: this.spec.memMiB,
      vcpus: this.spec.vcpus,
    });
  }

  /**
   * PVC's startup claim: a coordinator finding /primary_node missing or `none` takes it. Ours is
   * a compare-and-set, so of several hollow coordinators starting at once exactly one wins (PVC
   * writes blindly and the last writer wins).
   */
  async claimPrimaryIfNone(): Promise<boolean> {
    if (this.mode !== "coordinator") return false;
    const { zk, keys } = this.#ctx;
    const path = keys.primaryNode();
    const current = await zk.tryGet(path);
    try {
      if (!current) await zk.create(path, this.name);
      else if (current.data === "none" || current.data === "")
        await zk.set(path, this.name, current.stat.version);
      else return false;
    } catch (err) {
      if (isPvcError(err, ErrorCodes.ZK_NODE_EXISTS) || isPvcError(err, ErrorCodes.ZK_BAD_VERSION))
        return false;
      throw err;
    }
    this.#log("no primary coordinator: took /primary_node");
    return true;
  }

  // ---- the running list and the counters derived from it ----

  /** Writes runningdomains and the counters (memalloc, vcpualloc, domainscount…) in one multi. */
  async #writeStats(extra: KeyValues = []): Promise<void> {
    await setKeys(this.#ctx.zk, [...statsKeys(this.#ctx.keys, this.name, this.#stats()), ...extra]);
  }

  async addToList(uuid: string): Promise<void> {
    if (this.#running.includes(uuid)) return;
    this.#running.push(uuid);
    // PVC writes only runningdomains here and the counters at the next keepalive; writing them
    // together keeps the counters in step with the list at once.
    await this.#writeStats();
  }

  async removeFromList(uuid: string): Promise<void> {
    if (!this.#running.includes(uuid)) return;
    this.#running = this.#running.filter((u) => u !== uuid);
    await this.#writeStats();
  }

  /** The end of a flush: PVC empties runningdomains (whatever is left) and sets domainstate. */
  async clearRunningList(extra: KeyValues): Promise<void> {
    this.#running = [];
    await this.#writeStats(extra);
  }

  /** The domain was undefined (its keys are gone). */
  async forget(uuid: string): Promise<void> {
    if (this.hypervisor.remove(uuid)) this.#log("domain undefined: dropped from libvirt", { domain: uuid });
    await this.removeFromList(uuid);
  }

  // ---- keepalive ----

  /**
   * PVC's update_zookeeper: daemonstate `run` if it is not, the counters, runningdomains, the
   * keepalive timestamp; the primary makes sure /primary_node names it. Dead-node fencing is not
   * simulated.
   */
  keepalive(): Promise<void> {
    if (this.#keepaliveBusy || !this.#up) return Promise.resolve();
    this.#keepaliveBusy = true;
    // In the event queue: a reaction reading daemonstate must not interleave with our write of
    // `run`, or it would cache the `init` it read just before.
    const done = this.#events.then(() => this.#keepalive());
    this.#events = done.catch(() => {});
    return done;
  }

  async #keepalive(): Promise<void> {
    try {
      const { zk, keys } = this.#ctx;
      // PVC re-adds whatever libvirt runs to its list.
      for (const uuid of this.hypervisor.uuids()) if (!this.#running.includes(uuid)) this.#running.push(uuid);
      const extra: [string, string][] = [[this.#key("keepalive"), String(Math.floor(Date.now() / 1000))]];
      const toRun = this.#daemonState !== "run";
      if (toRun) extra.push([this.#key("daemonstate"), "run"]);
      const isPrimary = this.#routerState === "primary";
      if (isPrimary && this.#ctx.upstreamIp !== undefined)
        extra.push([keys.upstreamIp(), this.#ctx.upstreamIp]);
      await this.#writeStats(extra);
      if (toRun) {
        this.#daemonState = "run";
        this.#log("daemonstate=run");
      }
      if (isPrimary && (await readOr(zk, keys.primaryNode())) !== this.name) {
        await setKeys(zk, [[keys.primaryNode(), this.name]]);
        this.#log("primary: set /primary_node to this node");
      }
    } finally {
      this.#keepaliveBusy = false;
    }
  }

  // ---- reactions to our own keys and to /primary_node ----

  #enqueue(what: string, work: () => Promise<void>): void {
    this.#events = this.#events
      .then(async () => {
        if (!this.#ctx.stopping) await work();
      })
      .catch((err: unknown) =>
        this.#ctx.log.error({ node: this.name, ...errorFields(err) }, `${what} failed`),
      );
  }

  /** One of our keys may have changed (a watch fired, or a resync). */
  ownKeysChanged(): void {
    this.#enqueue("reacting to node keys", async () => {
      const { zk } = this.#ctx;
      const [daemonState, routerState, domainState] = await Promise.all([
        readOr(zk, this.#key("daemonstate"), "stop"),
        readOr(zk, this.#key("routerstate"), "client"),
        readOr(zk, this.#key("domainstate"), "unknown"),
      ]);
      if (daemonState !== this.#daemonState) {
        // Someone else wrote it; the next keepalive sets `run` again, as PVC's does.
        this.#daemonState = daemonState;
        this.#log(`daemonstate is now ${daemonState}`);
      }
      if (routerState !== this.#routerState) await this.#onRouterState(routerState);
      if (domainState !== this.#domainState) {
        this.#domainState = domainState;
        this.#log(`domainstate=${domainState}`);
        this.#flush.onDomainState(domainState);
      }
    });
  }

  /**
   * Our routerstate changed. For a coordinator PVC runs become_primary/become_secondary (floating
   * IPs, DHCP, DNS, Patroni, behind a lock dance on /locks/primary_node); a hollow node has none
   * of those, so a takeover is immediate: it claims /primary_node (PVC's primary does that at its
   * next keepalive; we do it at once), and the other coordinators follow the /primary_node watch.
   */
  async #onRouterState(value: string): Promise<void> {
    this.#routerState = value;
    if (this.mode !== "coordinator") return;
    const { zk, keys } = this.#ctx;
    if (value === "primary") {
      this.#log("routerstate=primary: taking over as primary coordinator");
      if ((await readOr(zk, keys.primaryNode())) !== this.name)
        await setKeys(zk, [[keys.primaryNode(), this.name]]);
    } else if (this.#daemonState === "run") {
      this.#log(`routerstate=${value}: relinquished primary duties`);
    }
  }

  /**
   * /primary_node is now `value` (PVC's update_primary): a coordinator contends when it is `none`,
   * sets routerstate primary when it names this node and secondary otherwise; a hypervisor is
   * always `client`.
   */
  primaryNodeChanged(value: string): void {
    this.#enqueue("reacting to /primary_node", async () => {
      if (value === this.#primaryNode) return;
      this.#primaryNode = value;
      const { zk } = this.#ctx;
      if (this.mode !== "coordinator") {
        if (this.#routerState !== "client") await setKeys(zk, [[this.#key("routerstate"), "client"]]);
        return;
      }
      if (value === "none" || value === "") {
        if (this.#daemonState === "run" && this.#routerState !== "primary") {
          this.#log("no primary coordinator: contending");
          await this.claimPrimaryIfNone();
        }
        return;
      }
      const want = value === this.name ? "primary" : "secondary";
      this.#log(`/primary_node=${value}: routerstate=${want}`);
      await setKeys(zk, [[this.#key("routerstate"), want]]);
    });
  }

  /** Resolves once the events queued so far are handled. */
  async settled(): Promise<void> {
    let last: Promise<void>;
    do {
      last = this.#events;
      await last;
    } while (last !== this.#events);
  }

  // ---- shutdown ----

  /**
   * PVC's cleanup on SIGTERM: a last keepalive, daemonstate `shutdown`, give up primary
   * (routerstate secondary and /primary_node `none` together) if we hold it, daemonstate `stop`.
   * Nothing is deleted: the node stays registered, as a stopped daemon's does.
   */
  async shutdown(): Promise<void> {
    await this.#flush.stop();
    await this.settled();
    if (!this.#up) return;
    const { zk, keys, timings } = this.#ctx;
    try {
      await this.keepalive();
    } catch (err) {
      this.#ctx.log.warn({ node: this.name, ...errorFields(err) }, "final keepalive failed");
    }
    this.#up = false;
    await setKeys(zk, [[this.#key("daemonstate"), "shutdown"]]);
    this.#log("daemonstate=shutdown");
    if ((await readOr(zk, this.#key("routerstate"))) === "primary") {
      await setKeys(zk, [
        [this.#key("routerstate"), "secondary"],
        [keys.primaryNode(), "none"],
      ]);
      this.#log("gave up primary: routerstate=secondary, /primary_node=none");
      await new Promise((r) => setTimeout(r, timings.relinquishDelayMs));
    }
    await setKeys(zk, [[this.#key("daemonstate"), "stop"]]);
    this.#daemonState = "stop";
    this.#log("daemonstate=stop");
  }
}

/**
 * How one hollow node reacts to a domain, after PVC's VMInstance.manage_vm_state (de8c7975): read
 * the domain's `state` and `node`, look at whether the (simulated) libvirt runs it here, act.
 *
 *                     node == me, running here     node == me, not here     node != me, running here
 *   start             list it                      start it                 terminate (no state write)
 *   migrate/unmigrate state=start, list it         receive the migration    live-migrate it to `node`
 *   restart           shutdown, stop, start        state=start              terminate
 *   shutdown          after the grace: state=stop  unlist it                shutdown, state=stop
 *   stop / disable    destroy, unlist              unlist it                terminate
 *   delete, fail      nothing                      nothing                  terminate
 *
 * PVC's client writes `migrate` for unmigrate too; `unmigrate` is accepted as the same thing.
 * Every method re-reads what it acts on: the event that woke it carries no data.
 */
import { ErrorCodes, isPvcError } from "../errors.ts";
import type { SimContext } from "./context.ts";
import { parseDomainResources } from "./domain-xml.ts";
import type { HollowNode } from "./hollow-node.ts";
import { errorFields } from "./log.ts";
import { sleep } from "./wake.ts";
import { readOr, setIfPresent } from "./zk-write.ts";

export interface DomainView {
  state: string;
  node: string;
}

export class VmReactor {
  readonly #ctx: SimContext;
  readonly #node: HollowNode;

  constructor(ctx: SimContext, node: HollowNode) {
    this.#ctx = ctx;
    this.#node = node;
  }

  /** `state` and `node` of a domain, or null once it is gone. */
  async read(uuid: string): Promise<DomainView | null> {
    const { zk, keys } = this.#ctx;
    const [state, node] = await Promise.all([
      zk.tryGet(keys.domainKey(uuid, "state")),
      zk.tryGet(keys.domainKey(uuid, "node")),
    ]);
    // A missing child reads as "" while the domain itself exists (PVC tolerates half-written domains).
    if ((!state || !node) && !(await zk.exists(keys.domain(uuid)))) return null;
    return { state: state?.data ?? "", node: node?.data ?? "" };
  }

  async reconcile(uuid: string): Promise<void> {
    if (this.#ctx.stopping) return;
    const d = await this.read(uuid);
    if (!d) {
      // Undefined: PVC drops the VMInstance; libvirt would keep a zombie, we simply forget it.
      await this.#node.forget(uuid);
      return;
    }
    const me = this.#node.name;
    const here = this.#node.hypervisor.has(uuid);
    const state = d.state === "unmigrate" ? "migrate" : d.state;
    if (d.node === me) {
      if (here) {
        switch (state) {
          case "start":
            await this.#node.addToList(uuid);
            return;
          case "migrate":
            await this.#setState(uuid, "start");
            await this.#node.addToList(uuid);
            this.#log(uuid, "migrate: already running here; state=start");
            return;
          case "restart":
            await this.#restart(uuid);
            return;
          case "shutdown":
            await this.#shutdown(uuid);
            return;
          case "stop":
          case "disable":
            this.#node.hypervisor.remove(uuid);
            await this.#node.removeFromList(uuid);
            this.#log(uuid, `${state}: forcibly stopped`);
            return;
          default:
            return;
        }
      }
      switch (state) {
        case "start":
          await this.#start(uuid);
          return;
        case "migrate":
          await this.#receive(uuid);
          return;
        case "restart":
          await this.#setState(uuid, "start");
          this.#log(uuid, "restart: not running; state=start");
          return;
        case "shutdown":
        case "stop":
        case "disable":
          await this.#node.removeFromList(uuid);
          return;
        default:
          return;
      }
    }
    if (!here) return;
    switch (state) {
      case "migrate":
        await this.#migrateOut(uuid, d.node);
        return;
      case "shutdown":
        await this.#shutdown(uuid);
        return;
      default:
        // Running here but assigned elsewhere: PVC terminates it without touching the state.
        this.#node.hypervisor.remove(uuid);
        await this.#node.removeFromList(uuid);
        this.#log(uuid, `terminated: state=${d.state} on node ${d.node}`);
    }
  }

  /** Sets the domain's state; a domain undefined meanwhile is no error (the next read forgets it). */
  async #setState(uuid: string, state: string): Promise<void> {
    try {
      await this.#ctx.zk.set(this.#ctx.keys.domainKey(uuid, "state"), state);
    } catch (err) {
      if (!isPvcError(err, ErrorCodes.ZK_NO_NODE)) throw err;
    }
  }

  #log(uuid: string, message: string, extra: Record<string, unknown> = {}): void {
    this.#ctx.log.info({ node: this.#node.name, domain: uuid, ...extra }, message);
  }

  /** createXML: runs it here if the XML is usable, else state=fail with the reason (as libvirt's error). */
  async #start(uuid: string): Promise<boolean> {
    const { zk, keys } = this.#ctx;
    const xml = await readOr(zk, keys.domainKey(uuid, "xml"));
    let resources: ReturnType<typeof parseDomainResources>;
    try {
      resources = parseDomainResources(xml);
    } catch (err) {
      if (!isPvcError(err, ErrorCodes.SIM_DOMAIN_XML_INVALID)) throw err;
      await setIfPresent(zk, [
        [keys.domainKey(uuid, "state"), "fail"],
        [keys.domainKey(uuid, "failedreason"), err.message],
      ]);
      this.#ctx.log.warn(
        { node: this.#node.name, domain: uuid, ...errorFields(err) },
        "start failed: state=fail",
      );
      return false;
    }
    this.#node.hypervisor.run(uuid, resources);
    await this.#node.addToList(uuid);
    await this.#clearFailedReason(uuid);
    this.#log(uuid, "started", { memMiB: resources.memMiB, vcpus: resources.vcpus });
    return true;
  }

  async #clearFailedReason(uuid: string): Promise<void> {
    try {
      await this.#ctx.zk.set(this.#ctx.keys.domainKey(uuid, "failedreason"), "");
    } catch (err) {
      if (!isPvcError(err, ErrorCodes.ZK_NO_NODE)) throw err;
    }
  }

  /**
   * The graceful shutdown: the guest takes `shutdownGraceMs` to power off. If the state moved
   * away from shutdown/restart meanwhile, PVC aborts the shutdown and re-evaluates (our runner
   * re-runs this domain, since the change kicked it). Returns whether it stopped.
   */
  async #shutdown(uuid: string): Promise<boolean> {
    this.#log(uuid, "shutting down");
    await sleep(this.#ctx.timings.shutdownGraceMs, this.#ctx.signal);
    if (this.#ctx.stopping) return false;
    const d = await this.read(uuid);
    if (!d) return false;
    if (d.state !== "shutdown" && d.state !== "restart") {
      this.#log(uuid, `shutdown aborted: state is now ${d.state}`);
      return false;
    }
    this.#node.hypervisor.remove(uuid);
    await this.#node.removeFromList(uuid);
    await this.#setState(uuid, "stop");
    this.#log(uuid, "shut down; state=stop");
    return true;
  }

  /** PVC's restart: a graceful shutdown (which writes `stop`), a pause, a start, state=start. */
  async #restart(uuid: string): Promise<void> {
    this.#log(uuid, "restarting");
    if (!(await this.#shutdown(uuid))) return;
    await sleep(this.#ctx.timings.restartDelayMs, this.#ctx.signal);
    if (this.#ctx.stopping) return;
    if (await this.#start(uuid)) {
      await this.#setState(uuid, "start");
      this.#log(uuid, "restarted; state=start");
    }
  }

  /**
   * Live migration to `target`. PVC's source side calls libvirt's migrate to the target's libvirt;
   * ours hands the domain to the target hollow node's simulated libvirt. A target this cluster
   * does not run (another process, a stopped node) cannot be reached: like PVC, we fall back to
   * shutting the VM down (state=shutdown), and the receiver starts it once it reads `stop`.
   */
  async #migrateOut(uuid: string, target: string): Promise<void> {
    const peer = this.#ctx.node(target);
    if (!peer?.acceptsMigrations) {
      this.#ctx.log.warn(
        { node: this.#node.name, domain: uuid, target },
        "migrate: target unreachable; state=shutdown to migrate cold",
      );
      await this.#setState(uuid, "shutdown");
      return;
    }
    this.#log(uuid, `migrating to ${target}`);
    await sleep(this.#ctx.timings.migrateDelayMs, this.#ctx.signal);
    if (this.#ctx.stopping) return;
    const resources = this.#node.hypervisor.remove(uuid);
    if (resources) peer.hypervisor.run(uuid, resources);
    await this.#node.removeFromList(uuid);
    this.#log(uuid, `migrated to ${target}`);
  }

  /**
   * The receiving side (PVC's receive_migrate): wait until the domain runs in our libvirt, then
   * list it and set state=start. If the sender gave up and shut it down, wait for `stop` and set
   * `start` (which starts it here). If no hollow node runs it at all (a stopped VM set to
   * migrate), start it here: PVC would wait 90 s and fail.
   */
  async #receive(uuid: string): Promise<void> {
    const { timings, signal, wake } = this.#ctx;
    this.#log(uuid, "receiving migration");
    const outcome = await wake.until(
      uuid,
      async (): Promise<string | undefined> => {
        if (this.#node.hypervisor.has(uuid)) return "arrived";
        const d = await this.read(uuid);
        if (!d) return "gone";
        if (d.state === "shutdown" || d.state === "stop") return "cold";
        if (d.state !== "migrate" && d.state !== "unmigrate") return "aborted";
        if (d.node !== this.#node.name) return "aborted";
        if (!this.#ctx.whereRunning(uuid)) return "nowhere";
        return undefined;
      },
      { pollMs: timings.pollMs, timeoutMs: timings.receiveTimeoutMs, signal },
    );
    if (this.#ctx.stopping) return;
    switch (outcome) {
      case "arrived":
        await this.#node.addToList(uuid);
        await this.#setState(uuid, "start");
        this.#log(uuid, "received migration; state=start");
        return;
      case "nowhere":
        this.#log(uuid, "migrate: not running anywhere; starting here");
        if (await this.#start(uuid)) await this.#setState(uuid, "start");
        return;
      case "cold":
        await this.#receiveCold(uuid);
        return;
      case "gone":
        return;
      case "aborted":
        this.#log(uuid, "receive aborted via state change");
        return;
      default:
        await setIfPresent(this.#ctx.zk, [[this.#ctx.keys.domainKey(uuid, "state"), "fail"]]);
        this.#ctx.log.warn({ node: this.#node.name, domain: uuid }, "receive timed out; state=fail");
    }
  }

  async #receiveCold(uuid: string): Promise<void> {
    const { timings, signal, wake } = this.#ctx;
    this.#log(uuid, "sender shutting the VM down; waiting for stop");
    const stopped = await wake.until(
      uuid,
      async () => {
        const d = await this.read(uuid);
        if (!d) return false;
        return d.state === "stop" ? true : undefined;
      },
      { pollMs: timings.pollMs, timeoutMs: timings.receiveTimeoutMs, signal },
    );
    if (this.#ctx.stopping || stopped === false) return;
    if (stopped === undefined) {
      await setIfPresent(this.#ctx.zk, [
        [this.#ctx.keys.domainKey(uuid, "state"), "fail"],
        [this.#ctx.keys.domainKey(uuid, "failedreason"), "Timeout waiting for migrate or shutdown"],
      ]);
      this.#ctx.log.warn({ node: this.#node.name, domain: uuid }, "cold migration timed out; state=fail");
      return;
    }
    await this.#setState(uuid, "start");
    this.#log(uuid, "sender stopped the VM; state=start");
  }
}

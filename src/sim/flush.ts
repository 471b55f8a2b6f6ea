/**
 * A node's flush and unflush, after PVC's NodeInstance.flush/unflush (de8c7975), run when the
 * node's `domainstate` changes to `flush` or `unflush`. A new change aborts the job in progress
 * first (PVC's flush_stopper).
 *
 * flush: for each VM in the node's running list, one at a time: pick a target (node_selector,
 *   node_limit, `run` + `ready` nodes), write {state=migrate, node=target, lastnode=<this node,
 *   or the VM's existing lastnode>}, wait until the VM is back in `start`. With no target, shut it
 *   down and set node_autostart=True instead. Then runningdomains='' and domainstate=flushed.
 * unflush: VMs marked for autostart on this node get state=start; VMs whose lastnode is this node
 *   come back with {state=migrate, node=<this node>, lastnode=''}, one at a time; then
 *   domainstate=ready.
 */
import type { SimContext } from "./context.ts";
import type { HollowNode } from "./hollow-node.ts";
import { errorFields } from "./log.ts";
import { type CandidateNode, selectTargetNode } from "./placement.ts";
import { readOr, setIfPresent, setKeys } from "./zk-write.ts";

function num(value: string): number {
  const n = Number.parseFloat(value);
  return Number.isFinite(n) ? n : 0;
}

/** Every registered node (ours or not) as the target selection sees it. */
export async function readCandidates(ctx: SimContext): Promise<CandidateNode[]> {
  const { zk, keys } = ctx;
  const names = await zk.children(keys.nodes());
  return Promise.all(
    names.map(async (name): Promise<CandidateNode> => {
      const r = (key: Parameters<typeof keys.nodeKey>[1]) => readOr(zk, keys.nodeKey(name, key));
      const [daemonState, domainState, memUsed, memFree, memAlloc, vcpuAlloc, cpuLoad, domainsCount] =
        await Promise.all([
          r("daemonstate"),
          r("domainstate"),
          r("memused"),
          r("memfree"),
          r("memalloc"),
          r("vcpualloc"),
          r("cpuload"),
          r("domainscount"),
        ]);
      return {
        name,
        daemonState,
        domainState,
        memUsed: num(memUsed),
        memFree: num(memFree),
        memAlloc: num(memAlloc),
        vcpuAlloc: num(vcpuAlloc),
        cpuLoad: num(cpuLoad),
        domainsCount: num(domainsCount),
      };
    }),
  );
}

export class FlushWorker {
  readonly #ctx: SimContext;
  readonly #node: HollowNode;
  #job: { abort: AbortController; done: Promise<void> } | null = null;
  /** domainstate changes are handled one after the other. */
  #queue: Promise<void> = Promise.resolve();

  constructor(ctx: SimContext, node: HollowNode) {
    this.#ctx = ctx;
    this.#node = node;
  }

  /** The node's domainstate changed to `value`. */
  onDomainState(value: string): void {
    this.#queue = this.#queue.then(() => this.#switchTo(value));
  }

  /** Aborts the job in progress and waits for it. */
  async stop(): Promise<void> {
    this.#job?.abort.abort();
    await this.#queue;
    await this.#job?.done;
  }

  async #switchTo(value: string): Promise<void> {
    if (this.#job) {
      // PVC's flush_stopper: the job notices between two VMs and logs that it was aborted.
      this.#job.abort.abort();
      await this.#job.done;
      this.#job = null;
    }
    if (this.#ctx.stopping) return;
    const run = value === "flush" ? this.#flush : value === "unflush" ? this.#unflush : null;
    if (!run) return;
    const abort = new AbortController();
    // One signal for "this job was superseded" and "the cluster stops".
    const signal = AbortSignal.any([abort.signal, this.#ctx.signal]);
    const job = {
      abort,
      done: run.call(this, signal).catch((err: unknown) => {
        this.#ctx.log.error({ node: this.#node.name, ...errorFields(err) }, `${value} failed`);
      }),
    };
    this.#job = job;
    void job.done.then(() => {
      if (this.#job === job) this.#job = null;
    });
  }

  /** Waits until the domain's state is `want` (or it is gone); false on abort or timeout. */
  async #waitState(uuid: string, want: string, signal: AbortSignal): Promise<boolean> {
    const { zk, keys, timings, wake } = this.#ctx;
    const ok = await wake.until(
      uuid,
      async () => {
        const state = await zk.tryGet(keys.domainKey(uuid, "state"));
        return !state || state.data === want ? true : undefined;
      },
      { pollMs: timings.pollMs, timeoutMs: timings.flushWaitTimeoutMs, signal },
    );
    if (ok === undefined && !signal.aborted) {
      this.#ctx.log.warn({ node: this.#node.name, domain: uuid }, `gave up waiting for state=${want}`);
    }
    return ok === true;
  }

  async #flush(signal: AbortSignal): Promise<void> {
    const { zk, keys, log } = this.#ctx;
    const me = this.#node.name;
    const list = [...this.#node.runningList];
    log.info({ node: me, domains: list }, "flushing node of running VMs");
    for (const uuid of list) {
      if (signal.aborted) {
        log.info({ node: me }, "flush aborted");
        return;
      }
      const [nodeLimit, selector, current, lastnode] = await Promise.all([
        readOr(zk, keys.domainKey(uuid, "node_limit")),
        readOr(zk, keys.domainKey(uuid, "node_selector")),
        readOr(zk, keys.domainKey(uuid, "node")),
        readOr(zk, keys.domainKey(uuid, "lastnode")),
      ]);
      const target = selectTargetNode(await readCandidates(this.#ctx), {
        selector,
        nodeLimit,
        currentNode: current,
        defaultSelector: this.#ctx.defaultSelector,
      });
      if (!target) {
        log.warn(
          { node: me, domain: uuid },
          "flush: no migration target; shutting down, node_autostart=True",
        );
        await setIfPresent(zk, [
          [keys.domainKey(uuid, "state"), "shutdown"],
          [keys.domainKey(uuid, "node_autostart"), "True"],
        ]);
        await this.#waitState(uuid, "stop", signal);
        continue;
      }
      // A VM already migrated keeps its original home as lastnode.
      const home = lastnode !== "" ? lastnode : current;
      log.info({ node: me, domain: uuid, target, lastnode: home }, "flush: migrating VM");
      await setIfPresent(zk, [
        [keys.domainKey(uuid, "state"), "migrate"],
        [keys.domainKey(uuid, "node"), target],
        [keys.domainKey(uuid, "lastnode"), home],
      ]);
      // One at a time, so the next target choice sees this VM's memory on its new node.
      await this.#waitState(uuid, "start", signal);
    }
    if (signal.aborted) return;
    await this.#node.clearRunningList([[keys.nodeKey(me, "domainstate"), "flushed"]]);
    log.info({ node: me }, "flushed; domainstate=flushed");
  }

  async #unflush(signal: AbortSignal): Promise<void> {
    const { zk, keys, log } = this.#ctx;
    const me = this.#node.name;
    log.info({ node: me }, "unflushing: restoring node to active service");
    for (const uuid of await zk.children(keys.domains())) {
      if (signal.aborted) {
        log.info({ node: me }, "unflush aborted");
        return;
      }
      const [autostart, node, lastnode] = await Promise.all([
        zk.tryGet(keys.domainKey(uuid, "node_autostart")),
        zk.tryGet(keys.domainKey(uuid, "node")),
        zk.tryGet(keys.domainKey(uuid, "lastnode")),
      ]);
      if (autostart?.data === "True" && node?.data === me) {
        log.info({ node: me, domain: uuid }, "unflush: starting autostart VM");
        await setIfPresent(zk, [
          [keys.domainKey(uuid, "state"), "start"],
          [keys.domainKey(uuid, "node"), me],
          [keys.domainKey(uuid, "lastnode"), ""],
          [keys.domainKey(uuid, "node_autostart"), "False"],
        ]);
        continue;
      }
      if (lastnode?.data !== me) continue;
      log.info({ node: me, domain: uuid }, "unflush: migrating VM back");
      await setIfPresent(zk, [
        [keys.domainKey(uuid, "state"), "migrate"],
        [keys.domainKey(uuid, "node"), me],
        [keys.domainKey(uuid, "lastnode"), ""],
      ]);
      await this.#waitState(uuid, "start", signal);
    }
    if (signal.aborted) return;
    await setKeys(zk, [[keys.nodeKey(me, "domainstate"), "ready"]]);
    log.info({ node: me }, "unflushed; domainstate=ready");
  }
}

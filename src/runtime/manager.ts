/**
 * Runs controllers only while this replica leads: `elected` starts them all (each first enqueues
 * every key), `revoked` stops them at once (waiting keys dropped, reconciles in flight see their
 * signal aborted). Without an elector (one replica, tests) the controllers start with the manager.
 * Transitions run one after the other, so a quick revoke-then-elect never runs two queues at once.
 */
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import type { Controller } from "./controller.ts";
import type { LeaderElector } from "./leader.ts";
import type { RuntimeMetrics } from "./metrics.ts";

export interface ManagerOptions {
  controllers?: Controller[];
  elector?: LeaderElector;
  metrics?: RuntimeMetrics;
  logger?: Logger;
}

export interface ManagerEvents {
  /** The controllers were started (we lead). */
  leading: [];
  /** The controllers were stopped (leadership lost, or the manager stopped). */
  following: [];
}

export class Manager extends EventEmitter<ManagerEvents> {
  readonly #controllers: Controller[];
  readonly #elector?: LeaderElector;
  readonly #metrics?: RuntimeMetrics;
  readonly #log?: Logger;
  #transitions: Promise<void> = Promise.resolve();
  #leading = false;
  #started = false;
  #stopped = false;
  readonly #onElected = () => this.#enqueueTransition(true);
  readonly #onRevoked = () => this.#enqueueTransition(false);

  constructor(options: ManagerOptions = {}) {
    super();
    this.#controllers = [...(options.controllers ?? [])];
    this.#elector = options.elector;
    this.#metrics = options.metrics;
    this.#log = options.logger?.child({ component: "manager" });
  }

  /** True while the controllers run. */
  get leading(): boolean {
    return this.#leading;
  }

  /** The elector, for reconciles that fence their writes (`elector.fenced(ops)`). */
  get elector(): LeaderElector | undefined {
    return this.#elector;
  }

  get controllers(): readonly Controller[] {
    return this.#controllers;
  }

  /** Adds a controller; started at once if the manager leads. */
  add(controller: Controller): Promise<void> {
    this.#controllers.push(controller);
    return this.#serially(async () => {
      if (this.#leading) await controller.start();
    });
  }

  /** Enters the election (or, without an elector, starts the controllers). */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    if (!this.#elector) {
      this.#enqueueTransition(true);
      await this.#transitions;
      return;
    }
    this.#elector.on("elected", this.#onElected);
    this.#elector.on("revoked", this.#onRevoked);
    await this.#elector.start();
  }

  /**
   * Stops the controllers (waiting keys dropped; reconciles in flight see their signal aborted and
   * are waited for), then leaves the election, so the next leader starts once we are quiet.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#elector?.off("elected", this.#onElected);
    this.#elector?.off("revoked", this.#onRevoked);
    await this.#serially(() => this.#stopAll());
    await this.#elector?.stop();
  }

  /** Resolves once the transitions asked so far have run (e.g. the controllers started). */
  settled(): Promise<void> {
    return this.#transitions;
  }

  #enqueueTransition(lead: boolean): void {
    // A failed transition is logged by #serially; nobody awaits this one, so its rejection is
    // handled here (an unhandled rejection would end the process).
    this.#serially(async () => {
      if (this.#stopped) return;
      // Decide on the state now, not on the event: a revoke may have followed the election.
      const shouldLead = lead && (this.#elector ? this.#elector.isLeader : true);
      if (shouldLead) await this.#startAll();
      else await this.#stopAll();
    }).catch(() => undefined);
  }

  async #startAll(): Promise<void> {
    if (this.#leading) return;
    this.#leading = true;
    this.#metrics?.leader.set(1);
    this.#log?.info({ controllers: this.#controllers.map((c) => c.kind) }, "leading: starting controllers");
    await Promise.all(this.#controllers.map((c) => c.start()));
    this.emit("leading");
  }

  async #stopAll(): Promise<void> {
    if (!this.#leading) return;
    this.#leading = false;
    this.#metrics?.leader.set(0);
    this.#log?.warn("not leading: stopping controllers");
    await Promise.all(this.#controllers.map((c) => c.stop()));
    this.emit("following");
  }

  #serially(step: () => Promise<void>): Promise<void> {
    const next = this.#transitions.then(step);
    this.#transitions = next.catch((err) => {
      this.#log?.error({ err }, "manager: a transition failed");
    });
    return next;
  }
}

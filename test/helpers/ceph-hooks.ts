/**
 * A CephClient whose creating commands call test hooks around the real call: `before` runs after
 * the controller has recorded its intent (it calls the command only then) and before the command;
 * `after` once the command returned, before the controller records the outcome. Crash tests hang
 * in a hook and are killed there. Production code knows nothing of it.
 */
import { CephClient, type CephClientOptions } from "../../src/ceph/client.ts";

/** The creating commands the Ceph controllers run behind an intent. */
export type CreatingCommand = "poolCreate" | "rbdCreate" | "rbdCopy" | "rbdRename" | "snapCreate";

export interface CephHooks {
  /** After the intent is in ZooKeeper, before the Ceph command runs. */
  before?(command: CreatingCommand): Promise<void> | void;
  /** After the Ceph command returned, before its outcome is recorded. */
  after?(command: CreatingCommand): Promise<void> | void;
}

export class HookedCephClient extends CephClient {
  readonly #hooks: CephHooks;

  constructor(options: CephClientOptions, hooks: CephHooks) {
    super(options);
    this.#hooks = hooks;
  }

  async #around<T>(command: CreatingCommand, run: () => Promise<T>): Promise<T> {
    await this.#hooks.before?.(command);
    const result = await run();
    await this.#hooks.after?.(command);
    return result;
  }

  override poolCreate(...args: Parameters<CephClient["poolCreate"]>) {
    return this.#around("poolCreate", () => super.poolCreate(...args));
  }

  override rbdCreate(...args: Parameters<CephClient["rbdCreate"]>) {
    return this.#around("rbdCreate", () => super.rbdCreate(...args));
  }

  override rbdCopy(...args: Parameters<CephClient["rbdCopy"]>) {
    return this.#around("rbdCopy", () => super.rbdCopy(...args));
  }

  override rbdRename(...args: Parameters<CephClient["rbdRename"]>) {
    return this.#around("rbdRename", () => super.rbdRename(...args));
  }

  override snapCreate(...args: Parameters<CephClient["snapCreate"]>) {
    return this.#around("snapCreate", () => super.snapCreate(...args));
  }
}

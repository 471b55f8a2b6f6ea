/**
 * `pvcctl serve` as a child process of its own, from a config file in PVC's `pvc-api.yaml` shape:
 * what the fault tests need to kill it (SIGKILL, SIGSTOP), restart it on the same port and root,
 * and run two replicas side by side. Shared by test/integration/zk-ensemble.test.ts,
 * zk-faults.test.ts and the fault suite (faults/).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const PVCCTL = fileURLToPath(new URL("../../bin/pvcctl.js", import.meta.url));

export interface ServeOptions {
  /** Folder for the config file (`<name>.yaml`). */
  dir: string;
  /** Config file name and label in errors; default "pvc-api". */
  name?: string;
  /** PVC's `coordinators:` list: one `host:port` per ZooKeeper server. */
  coordinators: string[];
  cephConf: string;
  storeRoot?: string;
  pvcRoot?: string;
  sessionTimeoutS?: number;
  facadeWaitTimeoutS?: number;
  resyncPeriodS?: number;
  logLevel?: string;
  /** Default: a free port picked now (kept across restarts). */
  port?: number;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function configText(o: ServeOptions, port: number): string {
  const optional = (key: string, value: string | number | undefined) =>
    value === undefined ? [] : [`  ${key}: ${value}`];
  return [
    "pvc:",
    "  debug: false",
    `  coordinators: [${o.coordinators.map((c) => `"${c}"`).join(", ")}]`,
    "  api:",
    "    listen_address: 127.0.0.1",
    `    listen_port: ${port}`,
    "    authentication: {enabled: false}",
    "    ssl: {enabled: false}",
    "reconciler:",
    ...optional("store_root", o.storeRoot),
    ...optional("pvc_root", o.pvcRoot),
    `  ceph_conf: ${o.cephConf}`,
    ...optional("zookeeper_session_timeout", o.sessionTimeoutS),
    ...optional("resync_period", o.resyncPeriodS),
    `  facade_wait_timeout: ${o.facadeWaitTimeoutS ?? 5}`,
    `  log_level: ${o.logLevel ?? "warn"}`,
    "",
  ].join("\n");
}

/** One `pvcctl serve` child; `start()` again after a kill runs it anew on the same port and config. */
export class ServeProcess {
  readonly url: string;
  readonly configFile: string;
  #child: ChildProcess | undefined;
  #output = "";
  #exited: string | undefined;

  private constructor(
    readonly port: number,
    configFile: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.configFile = configFile;
  }

  static async create(options: ServeOptions): Promise<ServeProcess> {
    const port = options.port ?? (await freePort());
    const configFile = join(options.dir, `${options.name ?? "pvc-api"}.yaml`);
    writeFileSync(configFile, configText(options, port));
    return new ServeProcess(port, configFile);
  }

  /** Spawns the server (not waiting for it: see `ready`). */
  start(): this {
    this.#exited = undefined;
    const child = spawn(process.execPath, [PVCCTL, "serve", "--config", this.configFile], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (d: unknown) => {
      // The last 64 KiB are enough to say why it failed; a long run must not grow without bound.
      this.#output = (this.#output + String(d)).slice(-65_536);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    child.on("exit", (code, signal) => {
      if (this.#child === child) this.#exited = `exit code ${code}, signal ${signal}`;
    });
    this.#child = child;
    return this;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Why the current child ended; undefined while it runs. */
  get exited(): string | undefined {
    return this.#exited;
  }

  output(tail = 4000): string {
    return this.#output.slice(-tail);
  }

  /** Throws with the child's last output if it has exited. */
  assertAlive(): void {
    if (this.#exited) throw new Error(`serve exited (${this.#exited}):\n${this.output()}`);
  }

  async ready(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.assertAlive();
      const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(
        () => undefined,
      );
      if (res?.status === 200) return;
      if (Date.now() > deadline) throw new Error(`serve not ready in ${timeoutMs} ms:\n${this.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.#child?.kill(signal);
  }

  /** SIGKILL, and wait until the process is gone (its port is free again). */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGCONT");
    child.kill("SIGKILL");
    await gone;
  }
}

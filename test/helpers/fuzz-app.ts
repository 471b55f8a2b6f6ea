/**
 * The route fuzzer's server and world, shared by the CI test (test/integration/fuzz-routes.test.ts)
 * and the report run (scripts/fuzz.ts): the real app in this process (auth on, the Network and Ceph
 * kind controllers, the real ZooKeeper), Ceph a recorder that refuses every command (a valid
 * request the fuzzer happens to build would otherwise set flags or create 3-copy pools on the
 * shared one-OSD Ceph: issue 12 item 5 saw that break a stack), the networks made before the
 * stream, and the checks afterwards: PVC's network keys (fuzz-invariants.ts) and the argv of every
 * Ceph command spawned (argv-recorder.ts).
 */
import assert from "node:assert/strict";
import { API_KEY_HEADER } from "../../api/auth.ts";
import { cephPoolController } from "../../controllers/ceph/pool.ts";
import { cephSnapshotController } from "../../controllers/ceph/snapshot.ts";
import { cephVolumeController } from "../../controllers/ceph/volume.ts";
import { networkController } from "../../controllers/network/controller.ts";
import { CephClient } from "../../src/ceph/client.ts";
import type { LogLevel } from "../../src/config.ts";
import { PvcKeys } from "../../src/pvc/keys.ts";
import { GROUP_PATH, removeRoot, startTestApp, type TestApp, testConfig, until } from "./api-app.ts";
import { ArgvRecorder, argvProblems } from "./argv-recorder.ts";
import { formBody } from "./fuzz-bodies.ts";
import { type HttpTarget, send, targetOf } from "./fuzz-http.ts";
import { networkKeyProblems } from "./fuzz-invariants.ts";
import { Rng } from "./fuzz-rng.ts";
import { networkDoc, networkSlot, redosBaitDoc } from "./fuzz-world.ts";

export const FUZZ_TOKEN = "fuzz-0c5d4e6f-token";
const SETUP_TIMEOUT_MS = 10_000;

export interface FuzzApp {
  t: TestApp;
  target: HttpTarget;
  pvc: PvcKeys;
  /** Ceph commands spawned so far (all refused). */
  cephCalls(): number;
  /** Networks made through both APIs before the stream, and the ReDoS subject for `limit`. */
  setUpNetworks(seed: number): Promise<void>;
  /** Every broken invariant, one line each, and how many networks were checked key by key. */
  invariantProblems(): Promise<{ problems: string[]; networksChecked: number; cephCommands: number }>;
  close(): Promise<void>;
}

export async function startFuzzApp(
  root: string,
  options: { facadeWaitMs: number; logLevel?: LogLevel },
): Promise<FuzzApp> {
  const pvc = new PvcKeys(`${root}/pvc`);
  const recorder = new ArgvRecorder();
  let calls = 0;
  const ceph = new CephClient({
    conf: "/dev/null",
    binaries: recorder.cephBinaries(),
    onCall: () => {
      calls++;
    },
  });
  const t = await startTestApp(
    testConfig(`${root}/store`, (c) => {
      c.reconciler.pvcRoot = pvc.root;
      c.reconciler.facadeWaitTimeoutMs = options.facadeWaitMs;
      c.reconciler.logLevel = options.logLevel ?? "warn"; // errors (with their stacks) are what reports quote
      c.api.auth = {
        enabled: true,
        secretKey: "fuzz-session-signing-key-0123456789",
        tokens: [{ description: "fuzz", token: FUZZ_TOKEN }],
      };
    }),
    {
      kindControllers: [networkController, cephPoolController, cephVolumeController, cephSnapshotController],
      ceph,
    },
  );
  const target = targetOf(t.app.url);
  await t.app.zk.mkdirp(pvc.networks());
  const auth = { [API_KEY_HEADER]: FUZZ_TOKEN };

  async function setUpNetworks(seed: number): Promise<void> {
    const rng = new Rng(seed ^ 0x5eed);
    for (const doc of [redosBaitDoc(), ...[0, 1, 2].map((i) => networkDoc(rng, i, true))]) {
      const a = await send(
        target,
        "POST",
        `${GROUP_PATH}/networks`,
        { ...auth, "content-type": "application/json" },
        Buffer.from(JSON.stringify(doc)),
        SETUP_TIMEOUT_MS,
      );
      assert.equal(a.status, 201, `setup: POST ${JSON.stringify(doc)}: ${a.body}`);
    }
    for (const i of [4, 5, 7]) {
      const s = networkSlot(i);
      const values: Array<[string, string]> = [
        ["vni", String(s.vni)],
        ["description", s.description],
        ["nettype", s.type],
        ["domain", `fz${i}.example.net`],
      ];
      if (s.type === "managed")
        values.push(["ip4_network", `10.${s.k}.0.0/24`], ["ip4_gateway", `10.${s.k}.0.1`]);
      const body = formBody(values);
      const a = await send(
        target,
        "POST",
        "/api/v1/network",
        { ...auth, "content-type": body.contentType as string },
        body.data,
        SETUP_TIMEOUT_MS,
      );
      assert.equal(a.status, 200, `setup: POST /api/v1/network slot ${i}: ${a.body}`);
    }
  }

  async function invariantProblems() {
    // The session may have been rebuilt during the run (a blocked event loop): wait for ready.
    await until(
      "/readyz",
      async () => (await send(target, "GET", "/readyz", {}, undefined, 5_000)).status === 200,
      30_000,
    );
    const { problems, checked } = await networkKeyProblems(t.app.zk, t.app.store, pvc, 30_000);
    const spawned = recorder.calls();
    return {
      problems: [...problems, ...argvProblems(spawned)],
      networksChecked: checked,
      cephCommands: spawned.length,
    };
  }

  return {
    t,
    target,
    pvc,
    cephCalls: () => calls,
    setUpNetworks,
    invariantProblems,
    async close() {
      await t.app.close();
      await removeRoot(root);
      recorder.close();
    },
  };
}

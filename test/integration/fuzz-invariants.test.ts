/**
 * The route fuzzer's ZooKeeper check (test/helpers/fuzz-invariants.ts) on its own: silent on what
 * the Network controller wrote, and naming each kind of damage once the controller is stopped (so
 * that nothing repairs it): a changed value, a missing key, a control character, an orphan.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { networkController } from "../../controllers/network/controller.ts";
import { PvcKeys } from "../../src/pvc/keys.ts";
import { GROUP_PATH, removeRoot, startTestApp, type TestApp, testConfig } from "../helpers/api-app.ts";
import { uniqueRoot } from "../helpers/env.ts";
import { networkKeyProblems } from "../helpers/fuzz-invariants.ts";
import { Rng } from "../helpers/fuzz-rng.ts";
import { networkDoc, networkSlot } from "../helpers/fuzz-world.ts";

const root = uniqueRoot("fuzz-invariants");
const pvc = new PvcKeys(`${root}/pvc`);
let t: TestApp;

before(async () => {
  t = await startTestApp(
    testConfig(`${root}/store`, (c) => {
      c.reconciler.pvcRoot = pvc.root;
    }),
    { kindControllers: [networkController] },
  );
  await t.app.zk.mkdirp(pvc.networks());
});
after(async () => {
  await t.app.close();
  await removeRoot(root);
});

test("the fuzzer's network check passes on converged keys and names each kind of damage", async () => {
  const rng = new Rng(5);
  const [a, b, c] = [1, 2, 3].map(networkSlot);
  for (const i of [1, 2, 3]) {
    const res = await fetch(`${t.app.url}${GROUP_PATH}/networks`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(networkDoc(rng, i, true)),
    });
    assert.equal(res.status, 201, await res.text());
  }
  assert.deepEqual(await networkKeyProblems(t.app.zk, t.app.store, pvc, 10_000), {
    problems: [],
    checked: 3,
  });

  await t.app.manager.stop(); // nothing repairs what follows
  await t.app.zk.set(pvc.networkKey(a.vni, "ip4_gateway"), "10.9.9.9");
  await t.app.zk.delete(pvc.networkKey(b.vni, "dhcp4_flag"));
  await t.app.zk.set(pvc.networkKey(c.vni, "domain"), "a\nb");
  await t.app.zk.mkdirp(pvc.networkKey(4242, "nettype"));
  const { problems } = await networkKeyProblems(t.app.zk, t.app.store, pvc, 10_000);
  const expect = [
    `${pvc.networkKey(a.vni, "ip4_gateway")} = "10.9.9.9", ${a.name} wants "10.${a.k}.0.1"`,
    `${pvc.network(b.vni)} is incomplete: missing dhcp4_flag`,
    `${pvc.networkKey(c.vni, "domain")} holds a control character`,
    `${pvc.network(4242)} is held by no Network (status.vni) and wanted by no Ready one: an orphan`,
  ];
  for (const line of expect) {
    assert.ok(
      problems.some((p) => p.startsWith(line)),
      `expected "${line}" among:\n${problems.join("\n")}`,
    );
  }
});

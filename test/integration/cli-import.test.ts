/**
 * `pvcctl import` on a cluster built through /api/v1 (the facade, as PVC's own clients would):
 * the manifests it writes, applied to a fresh store, adopt the networks with zero writes to PVC's
 * keys — every znode under /networks keeps its version — and become Ready.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { networkController } from "../../controllers/network/controller.ts";
import { removeRoot, startTestApp, type TestApp, testConfig, v1Ok } from "../helpers/api-app.ts";
import { uniqueRoot, zkConnect } from "../helpers/env.ts";
import { assertAllUnchanged, pvcctl, show } from "./cli-helpers.ts";

describe("pvcctl import", () => {
  const root = uniqueRoot("cliimport");
  const pvcRoot = `${root}/pvc`;
  let dir: string;
  let t: TestApp | undefined;

  const configFor = (store: string) =>
    testConfig(`${root}/${store}`, (c) => {
      c.reconciler.pvcRoot = pvcRoot;
      c.reconciler.logLevel = "warn";
      c.reconciler.facadeWaitTimeoutMs = 15_000;
    });

  const v1 = (method: string, path: string, values: Record<string, string>) =>
    v1Ok(t?.app.url ?? "", method, path, values);

  /** Every znode under /networks with its versions: any write changes one. */
  async function pvcKeys(): Promise<Map<string, string>> {
    const zk = t?.app.zk;
    assert.ok(zk);
    const out = new Map<string, string>();
    for (const path of await zk.listTree(`${pvcRoot}/networks`)) {
      const { data, stat } = await zk.get(path);
      out.set(path, `${stat.mzxid}/${stat.version}/${stat.cversion}=${data}`);
    }
    return out;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pvcctl-import-"));
    // The cluster, built through PVC's API.
    t = await startTestApp(configFor("store-a"), { kindControllers: [networkController] });
    await t.app.zk.mkdirp(`${pvcRoot}/networks`);
    await v1("POST", "/network", {
      vni: "5100",
      description: "office",
      nettype: "managed",
      domain: "office.example.org",
      name_servers: "10.51.0.1,10.51.0.2",
      ip4_network: "10.51.0.0/24",
      ip4_gateway: "10.51.0.1",
      dhcp4: "",
      dhcp4_start: "10.51.0.100",
      dhcp4_end: "10.51.0.200",
      ip6_network: "fd00:51::/64",
      ip6_gateway: "fd00:51::1",
      dhcp6: "",
    });
    await v1("POST", "/network/5100/lease", {
      macaddress: "52:54:00:51:00:01",
      ipaddress: "10.51.0.10",
      hostname: "printer",
    });
    await v1("POST", "/network/5100/lease", { macaddress: "52:54:00:51:00:02", ipaddress: "10.51.0.11" });
    await v1("POST", "/network/5100/acl", {
      description: "allow-ssh",
      direction: "in",
      rule: "tcp dport 22 counter accept",
    });
    await v1("POST", "/network/5100/acl", {
      description: "allow-web",
      direction: "in",
      rule: "tcp dport 443 counter accept",
    });
    await v1("POST", "/network/5100/acl", {
      description: "all-out",
      direction: "out",
      rule: "counter accept",
    });
    await v1("POST", "/network", { vni: "210", description: "storage-vlan", nettype: "bridged" });
    await t.app.close();
    t = undefined;
  });
  after(async () => {
    await t?.app.close();
    await removeRoot(root);
    await rm(dir, { recursive: true, force: true });
  });

  test("imported manifests adopt the networks with zero writes to PVC's keys", async () => {
    const imported = await pvcctl(["import", "--zk", zkConnect(), "--pvc-root", pvcRoot, "--out", dir]);
    assert.equal(imported.code, 0, show(imported));
    assert.doesNotMatch(imported.stderr, /would change/, show(imported));
    assert.match(imported.stderr, /wrote .*networks\.yaml \(2 objects\)/);
    const text = await readFile(join(dir, "networks.yaml"), "utf8");
    assert.match(text, /name: office/);
    assert.match(text, /hostname: printer/);
    assert.match(text, /description: allow-web/);

    // A new control plane (its own store) over the same PVC keys.
    t = await startTestApp(configFor("store-b"), { kindControllers: [networkController] });
    const env = { PVCCTL_SERVER: t.app.url };
    const before = await pvcKeys();
    assert.ok(before.size > 20, "the cluster has its keys");
    const applied = await pvcctl(["apply", "-f", dir, "--wait", "--timeout", "30s"], env);
    assert.equal(applied.code, 0, show(applied));
    assert.match(applied.stdout, /network\/office created\n/);
    assert.match(applied.stdout, /network\/office ready\n/);
    assert.match(applied.stdout, /network\/storage-vlan ready\n/);
    assert.deepEqual(await pvcKeys(), before, "no PVC key created, changed or deleted");
    const diff = await pvcctl(["diff", "-f", dir, "--exit-code"], env);
    assert.equal(diff.code, 0, show(diff));
    const again = await pvcctl(["apply", "-f", dir], env);
    assertAllUnchanged(again);
    assert.deepEqual(await pvcKeys(), before);
  });
});

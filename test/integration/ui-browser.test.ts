/**
 * The status page in a real browser (Debian's headless Chromium through playwright-core) against
 * the real app over hollow nodes, with authentication on: the login form, nodes, a Network going
 * Ready, a VM with an RBD disk going Ready and running on its node, a drift made behind the
 * controller's back and repaired (the event, the plot, the key put back), the Network's keys
 * against ZooKeeper beside its YAML (a drift kept by driftPolicy Report as a diff, back in sync
 * with Repair), a GitOps file error with its line, filters and the keyboard, a narrow window, logout.
 * Screenshots go to test-artifacts/ui/ (gitignored). Bounded: one minute for the whole file.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { CephClient } from "../../src/ceph/client.ts";
import type { Resource } from "../../src/resources/types.ts";
import { GROUP_PATH, until } from "../helpers/api-app.ts";
import { type Browser, launchChromium } from "../helpers/browser.ts";
import { cephConf } from "../helpers/env.ts";
import { startUiScene, type UiScene } from "../helpers/ui-scene.ts";

const TOKEN = "ui-browser-token-5f1c9a";
const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/ui/", import.meta.url));
const WAIT = { timeout: 15_000 };
/** A new pool's first image, which the VM waits for: Ceph's pool creation is slow under load. */
const CEPH_WAIT = { timeout: 35_000 };

/** This run's own Ceph pool (the VM's disk is on it), removed at the end. */
const POOL = `ui${process.pid}`;
const VM_UUID = "3c5e7a90-4b1d-4e2f-8a6c-9d0b1e2f3a4b";
const VM_XML = `<domain type='kvm'>
  <name>ui-vm1</name>
  <uuid>${VM_UUID}</uuid>
  <memory unit='MiB'>1024</memory>
  <vcpu>2</vcpu>
  <devices>
    <disk type='network' device='disk'>
      <source protocol='rbd' name='${POOL}/ui-vm1_sda'/>
      <target dev='sda' bus='scsi'/>
    </disk>
    <interface type='bridge'>
      <mac address='52:54:00:44:00:10'/>
      <source bridge='vmbr4400'/>
      <model type='virtio'/>
    </interface>
  </devices>
</domain>
`;

const BAD_FILE = [
  "apiVersion: pvc.parallelvirtualcluster.org/v1",
  "kind: Network",
  "metadata:",
  "  name: bad-net",
  "spec:",
  "  vni: -5",
  "  type: managed",
  "",
].join("\n");

describe("the status page in Chromium", { timeout: 60_000 }, () => {
  let scene: UiScene;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const row = (name: string) => page.locator(".row", { has: page.locator(`.name:text-is("${name}")`) });
  const create = async (plural: string, body: object) => {
    const res = await fetch(`${scene.url}${GROUP_PATH}/${plural}`, {
      method: "POST",
      headers: { "x-api-key": TOKEN, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 201, await res.text());
  };

  /** The open object's comparison titled `title` says "in sync", and so does the whole. */
  const inSync = async (title: string) => {
    await page
      .locator("#detail .live[data-in-sync=true] .comparison", { hasText: title })
      .locator(".sync-ok", { hasText: "in sync" })
      .waitFor(WAIT);
  };

  /** Sets a Network's driftPolicy and waits until its controller has seen that generation. */
  const setDriftPolicy = async (name: string, driftPolicy: "Report" | "Repair") => {
    const url = `${scene.url}${GROUP_PATH}/networks/${name}`;
    const res = await fetch(url, {
      method: "PATCH",
      headers: { "x-api-key": TOKEN, "content-type": "application/merge-patch+json" },
      body: JSON.stringify({ spec: { driftPolicy } }),
    });
    assert.equal(res.status, 200, await res.text());
    await until(`${name} observed with driftPolicy ${driftPolicy}`, async () => {
      const net = (await (await fetch(url, { headers: { "x-api-key": TOKEN } })).json()) as Resource;
      return net.status?.observedGeneration === net.metadata.generation;
    });
  };

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    scene = await startUiScene({ label: "ui-browser", token: TOKEN });
    // The VM's pool and disk first: creating a pool takes Ceph seconds (over ten on a loaded
    // machine), which pass while the page is logged into and looked at.
    await create("cephpools", {
      kind: "CephPool",
      metadata: { name: POOL },
      spec: { pgs: 8, replication: { copies: 1, minCopies: 1 } },
    });
    await create("cephvolumes", {
      kind: "CephVolume",
      metadata: { name: `${POOL}.ui-vm1_sda` },
      spec: { pool: POOL, size: "16M" },
    });
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on("pageerror", (err) => errors.push(err.message));
  });
  after(async () => {
    await browser?.close();
    await scene?.close();
    await new CephClient({ conf: cephConf() }).poolRm(POOL).catch(() => undefined);
  });

  test("without a session: the login form; a wrong token is refused, the right one gets in", async () => {
    const res = await page.goto(`${scene.url}/ui/`);
    assert.equal(res?.status(), 401);
    await page.locator("#token").waitFor(WAIT);
    await shot("01-login");
    await page.fill("#token", "not-the-token");
    await page.click("button[type=submit]");
    await page.getByRole("alert").filter({ hasText: "Authentication failed" }).waitFor(WAIT);
    await page.fill("#token", TOKEN);
    await page.click("button[type=submit]");
    await page.waitForSelector("body[data-ready]", WAIT);
    assert.equal(
      await page.evaluate(() => document.cookie),
      "",
      "the session cookie is out of the page's reach",
    );
    assert.ok(!(await page.content()).includes(TOKEN), "no token in the page");
  });

  test("the nodes, and a Network going Ready", async () => {
    for (const node of ["hv1", "hv2", "hv3"]) {
      await page
        .locator("#nodes tr", { hasText: node })
        .locator(".badge", { hasText: "Ready" })
        .waitFor(WAIT);
    }
    await create("networks", {
      kind: "Network",
      metadata: { name: "lan-ui", labels: { site: "dc1" } },
      spec: { vni: 4400, type: "managed", ipv4: { network: "10.44.0.0/24", gateway: "10.44.0.1" } },
    });
    await row("lan-ui").locator(".badge", { hasText: "Ready" }).waitFor(WAIT);
    await shot("02-network-ready");
  });

  test("a VM with an RBD disk on a CephVolume goes Ready and runs on its node", async () => {
    await create("virtualmachines", {
      kind: "VirtualMachine",
      metadata: { name: "ui-vm1", labels: { app: "ui" } },
      spec: { node: "hv2", runState: "start", xml: VM_XML },
    });
    // Stalled (VolumesMissing) until the pool and its image are there, then defined and started.
    await row("ui-vm1").locator(".badge", { hasText: "Ready" }).waitFor(CEPH_WAIT);
    // The node's daemon lists the domain as running: the nodes panel names it on that node.
    await page
      .locator("#nodes tr", { hasText: "hv2" })
      .locator(".vms", { hasText: "1: ui-vm1" })
      .waitFor(WAIT);
    for (const other of ["hv1", "hv3"])
      assert.doesNotMatch(
        (await page.locator("#nodes tr", { hasText: other }).textContent()) ?? "",
        /ui-vm1/,
      );
    await row(`${POOL}.ui-vm1_sda`).locator(".badge", { hasText: "Ready" }).waitFor(WAIT);
    // Each against what PVC and Ceph hold: the volume's image (rbd info), the VM's domain keys.
    await row(`${POOL}.ui-vm1_sda`).click();
    await inSync(`rbd info ${POOL}/ui-vm1_sda`);
    await row("ui-vm1").click();
    await page.locator("#detail .yaml", { hasText: "runState: start" }).waitFor(WAIT);
    await inSync(`/domains/${VM_UUID} in ZooKeeper`);
    await shot("03-vm-running");
  });

  test("a key changed behind the controller's back: the repair shows as an event and on the plot", async () => {
    const gateway = `${scene.pvcRoot}/networks/4400/ip4_gateway`;
    await scene.zk.set(gateway, "10.44.0.254");
    await page
      .locator("#events li", { hasText: "DriftRepaired" })
      .filter({ hasText: "Network/lan-ui" })
      .waitFor(WAIT);
    await page.locator("#drift-total", { hasText: "1 drift repair in the last hour" }).waitFor(WAIT);
    assert.equal((await scene.zk.get(gateway)).data, "10.44.0.1", "the key was put back");
    assert.equal(
      await page.locator(".plot .bar[height]:not([height='0.0'])").count(),
      1,
      "one bar in the plot",
    );
    await row("lan-ui").click();
    await page.locator("#detail .yaml", { hasText: "vni: 4400" }).waitFor(WAIT);
    await page.locator("#detail .events li", { hasText: "DriftRepaired" }).waitFor(WAIT);
    await shot("04-drift-repaired");
  });

  test("beside the YAML, the keys against ZooKeeper: a drift kept (Report) shows as a diff, Repair brings it back in sync", async () => {
    const gateway = `${scene.pvcRoot}/networks/4400/ip4_gateway`;
    const live = page.locator("#detail .live");
    await inSync("/networks/4400 in ZooKeeper");
    await setDriftPolicy("lan-ui", "Report");
    await scene.zk.set(gateway, "10.44.0.254");
    await row("lan-ui").locator(".badge", { hasText: "Drifted" }).waitFor(WAIT);
    await live.locator(".diff .del", { hasText: "ip4_gateway: 10.44.0.1" }).waitFor(WAIT);
    await live.locator(".diff .add", { hasText: "ip4_gateway: 10.44.0.254" }).waitFor(WAIT);
    assert.equal(await live.getAttribute("data-in-sync"), "false");
    assert.equal((await scene.zk.get(gateway)).data, "10.44.0.254", "Report keeps the change");
    await shot("05-live-diff");
    await setDriftPolicy("lan-ui", "Repair");
    await inSync("/networks/4400 in ZooKeeper");
    assert.equal((await scene.zk.get(gateway)).data, "10.44.0.1", "Repair put it back");
    await row("lan-ui").locator(".badge", { hasText: "Ready" }).waitFor(WAIT);
  });

  test("a GitOps file with an error: the file, its line and why", async () => {
    await writeFile(join(scene.gitopsDir, "bad.yaml"), BAD_FILE);
    const error = page.locator(".sync-errors li", { hasText: "bad.yaml:6" });
    await error.waitFor(WAIT);
    assert.match((await error.textContent()) ?? "", /bad\.yaml:6 Network "bad-net": \/spec\/vni .*got -5/);
    await page.locator("#gitops .badge", { hasText: "Stalled" }).waitFor(WAIT);
    await shot("06-gitops-error");
  });

  test("filters (condition, kind, labels) and the keyboard", async () => {
    await page.selectOption("#f-cond", "Stalled");
    await page.waitForFunction(() => document.querySelectorAll("#list .row").length === 1);
    assert.match((await page.locator("#list .row").textContent()) ?? "", /GitOpsSync/);
    await page.selectOption("#f-cond", "");
    await page.fill("#f-label", "site=dc1");
    await page.waitForFunction(() => document.querySelectorAll("#list .row").length === 1);
    await page.fill("#f-label", "site=");
    await page.fill("#f-label", "site=dc1,,=bad");
    await page.getByRole("alert").filter({ hasText: "is not a label selector term" }).waitFor(WAIT);
    await page.fill("#f-label", "");
    await page.selectOption("#f-kind", "Node");
    await page.waitForFunction(() => document.querySelectorAll("#list .row").length === 3);
    await page.focus("#list");
    await page.keyboard.press("End");
    await page.keyboard.press("Enter");
    await page.locator("#detail .detail-title", { hasText: "hv3" }).waitFor(WAIT);
    await page.keyboard.press("Home");
    await page.keyboard.press("Enter");
    await page.locator("#detail .detail-title", { hasText: "hv1" }).waitFor(WAIT);
    await page.selectOption("#f-kind", "");
  });

  test("a narrow window: one column, nothing wider than the window", async () => {
    await page.setViewportSize({ width: 400, height: 900 });
    await page.waitForFunction(() => document.documentElement.scrollWidth <= window.innerWidth);
    await shot("07-narrow");
    await page.setViewportSize({ width: 1400, height: 1000 });
  });

  test("logout ends the session: the login form again", async () => {
    await page.click("#logout button");
    await page.locator("#token").waitFor(WAIT);
    const res = await page.goto(`${scene.url}/ui/`);
    assert.equal(res?.status(), 401);
    assert.deepEqual(errors, [], "no script error on the page");
  });
});

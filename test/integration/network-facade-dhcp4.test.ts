/**
 * `dhcp4` on POST /api/v1/network is read as PUT reads it: given as a flag (no value, or any value
 * but an "off" spelling) it turns DHCPv4 on and then needs dhcp4_start and dhcp4_end; `dhcp4=false`
 * (no, 0, off) turns it off and needs neither the pool nor an IPv4 network. Issue 13: POST refused
 * `dhcp4=false` with "DHCPv4 start and end addresses are required".
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { networkController } from "../../controllers/network/controller.ts";
import { expectV1, testConfig, useTestApp, v1Call } from "../helpers/api-app.ts";
import { uniqueRoot } from "../helpers/env.ts";

describe("/api/v1/network: dhcp4=false", () => {
  const root = uniqueRoot("netdhcp4");
  const pvcRoot = `${root}/pvc`;
  const t = useTestApp(
    root,
    () =>
      testConfig(`${root}/store`, (c) => {
        c.reconciler.pvcRoot = pvcRoot;
        c.reconciler.facadeWaitTimeoutMs = 10_000;
      }),
    { kindControllers: [networkController] },
  );

  const call = (method: string, path: string, values: Record<string, string>, asForm = false) =>
    v1Call(t.app.url, method, path, values, asForm);
  const key = async (path: string) => (await t.app.zk.get(`${pvcRoot}/networks${path}`)).data;

  before(async () => {
    await t.app.zk.mkdirp(`${pvcRoot}/networks`);
  });

  test("POST with dhcp4=false (each spelling, query or form) adds a network without DHCPv4", async () => {
    const spellings = ["false", "False", "no", "0", "off"];
    for (const [i, dhcp4] of spellings.entries()) {
      const vni = String(310 + i);
      const r = await call(
        "POST",
        "/network",
        {
          vni,
          description: `nodhcp${i}`,
          nettype: "managed",
          ip4_network: `10.31.${i}.0/24`,
          ip4_gateway: `10.31.${i}.1`,
          dhcp4,
        },
        i % 2 === 1,
      );
      expectV1(r, 200, `Network 'nodhcp${i}' added successfully!`);
      assert.equal(await key(`/${vni}/dhcp4_flag`), "False", `dhcp4=${dhcp4}`);
      assert.equal(await key(`/${vni}/dhcp4_start`), "");
    }
  });

  test("POST with dhcp4=false needs no IPv4 network", async () => {
    const r = await call("POST", "/network", {
      vni: "320",
      description: "noipv4",
      nettype: "managed",
      dhcp4: "false",
    });
    expectV1(r, 200, "Network 'noipv4' added successfully!");
    assert.equal(await key("/320/ip4_network"), "");
  });

  test("dhcp4 given as a flag or as true still needs the pool, on POST as on PUT", async () => {
    const base = {
      nettype: "managed",
      ip4_network: "10.33.0.0/24",
      ip4_gateway: "10.33.0.1",
    };
    for (const dhcp4 of ["", "true", "yes"]) {
      expectV1(
        await call("POST", "/network", { ...base, vni: "330", description: "needpool", dhcp4 }),
        510,
        "ERROR: DHCPv4 start and end addresses are required for a DHCPv4-enabled network.",
      );
    }
    expectV1(
      await call("PUT", "/network/310", { dhcp4: "true" }),
      510,
      "ERROR: DHCPv4 start and end addresses are required for a DHCPv4-enabled network.",
    );
    const on = await call("POST", "/network", {
      ...base,
      vni: "330",
      description: "withpool",
      dhcp4: "",
      dhcp4_start: "10.33.0.100",
      dhcp4_end: "10.33.0.199",
    });
    expectV1(on, 200, "Network 'withpool' added successfully!");
    assert.equal(await key("/330/dhcp4_flag"), "True");
    // And off again through PUT, the path that already read the value.
    expectV1(
      await call("PUT", "/network/330", { dhcp4: "false" }),
      200,
      "Network '330' modified successfully!",
    );
    assert.equal(await key("/330/dhcp4_flag"), "False");
  });
});

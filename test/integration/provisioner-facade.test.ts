/**
 * /api/v1/provisioner over real HTTP on the real ZooKeeper: the manual's walkthrough up to the
 * profile, sent as the manual's curl lines send it (its `+` in names, its `\&` and quotes left in
 * the third disk's body, `disk_template`), read back in PVC v0.6's JSON shapes; then every bad
 * input of the manual's rules, each answered with the manual's status and a message naming it.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { expectV1, useTestApp, v1Call, v1Ok } from "../helpers/api-app.ts";
import { uniqueRoot } from "../helpers/env.ts";
import { curl as manualCurl, walkthroughSteps } from "../helpers/manual-walkthrough.ts";

const SCRIPT = `import os

def install(**kwargs):
    root = kwargs["temporary_directory"]
    with open(os.path.join(root, "installed-by"), "w") as f:
        f.write(kwargs["vm_name"])
`;

describe("/api/v1/provisioner", () => {
  const root = uniqueRoot("prov-facade");
  const t = useTestApp(root);

  /** A request exactly as curl sends the manual's line: the URL as written, `-d` as a raw form body. */
  const curl = (method: string, pathAndQuery: string, body?: string) =>
    manualCurl(t.app.url, method, pathAndQuery, body);
  const call = (method: string, path: string, values: Record<string, string | string[]> = {}) =>
    v1Call(t.app.url, method, path, values);

  test("the manual's walkthrough, system template to profile, in v0.6's shapes", async () => {
    const steps = walkthroughSteps({
      nodeLimit: "pvchv1,pvchv2",
      pool: "vms",
      scriptBody: new URLSearchParams({ data: SCRIPT }).toString(),
    });
    for (const [method, path, body, message] of steps) expectV1(await curl(method, path, body), 200, message);

    const system = await curl("GET", "/provisioner/template/system/2cpu-1gb-serial");
    assert.equal(system.status, 200);
    assert.deepEqual(system.body, [
      {
        id: 1,
        name: "2cpu-1gb-serial",
        vcpu_count: 2,
        vram_mb: 1024,
        serial: true,
        vnc: false,
        vnc_bind: null,
        node_limit: "pvchv1,pvchv2",
        node_selector: "mem",
        node_autostart: false,
      },
    ]);
    const net = await curl("GET", "/provisioner/template/net200+net300");
    assert.equal(net.status, 200, JSON.stringify(net.body));
    assert.deepEqual(net.body.network_templates, [
      {
        id: 1,
        name: "net200+net300",
        mac_template: null,
        networks: [
          { id: 1, network_template: 1, vni: 200 },
          { id: 2, network_template: 1, vni: 300 },
        ],
      },
    ]);
    const storage = await curl("GET", "/provisioner/template/storage/ext4-root-var-log");
    assert.deepEqual(
      storage.body[0].disks.map((d: Record<string, unknown>) => [
        d.disk_id,
        d.disk_size_gb,
        d.pool,
        d.filesystem,
        d.mountpoint,
        d.filesystem_args,
      ]),
      [
        ["sda", 4, "vms", "ext4", "/", "-L=root"],
        ["sdb", 4, "vms", "ext4", "/var", "-L=var"],
        ["sdc", 4, "vms", "ext4", "/var/log", "-L=log -m=1"],
      ],
    );
    const userdata = await curl("GET", "/provisioner/template/userdata?name=example-userdata");
    assert.deepEqual(userdata.body, [{ id: 1, name: "example-userdata", userdata: "#cloud-config" }]);
    const script = await curl("GET", "/provisioner/script/debootstrap-example");
    assert.equal(script.body[0].script, SCRIPT);
    const profile = await curl("GET", "/provisioner/profile/test-profile");
    assert.deepEqual(profile.body, [
      {
        id: 1,
        name: "test-profile",
        system_template: "2cpu-1gb-serial",
        network_template: "net200+net300",
        storage_template: "ext4-root-var-log",
        userdata: "example-userdata",
        script: "debootstrap-example",
        arguments: [
          "deb_release=buster",
          "deb_mirror=http://deb.debian.org/debian",
          "deb_packages=linux-image-amd64,grub-pc,cloud-init,python3-cffi-backend,wget",
        ],
      },
    ]);
    const all = await curl("GET", "/provisioner/template");
    assert.deepEqual(
      [
        all.body.system_templates.length,
        all.body.network_templates.length,
        all.body.storage_templates.length,
      ],
      [1, 1, 1],
    );

    // In use: refused naming the profile (v0.6 deleted it, then crashed reading the profile).
    expectV1(
      await call("DELETE", "/provisioner/template/storage/ext4-root-var-log"),
      510,
      `ERROR: StorageTemplate "ext4-root-var-log" is used by ProvisionerProfile test-profile; change or delete that profile first`,
    );
    expectV1(
      await call("DELETE", "/provisioner/script/debootstrap-example"),
      510,
      /used by ProvisionerProfile test-profile/,
    );
    // Elements go one by one; an unknown one is refused naming it.
    expectV1(
      await call("DELETE", "/provisioner/template/network/net200+net300/net/300"),
      200,
      "Removed network '300' from network template 'net200+net300'",
    );
    expectV1(
      await call("DELETE", "/provisioner/template/network/net200+net300/net/300"),
      510,
      "ERROR: The VNI '300' in network template 'net200+net300' does not exist.",
    );
    expectV1(
      await call("DELETE", "/provisioner/template/storage/ext4-root-var-log/disk/sdc"),
      200,
      "Removed disk 'sdc' from storage template 'ext4-root-var-log'",
    );
    expectV1(
      await call("DELETE", "/provisioner/profile/test-profile"),
      200,
      "Removed VM profile 'test-profile'",
    );
    expectV1(
      await call("DELETE", "/provisioner/template/storage/ext4-root-var-log"),
      200,
      "Removed storage template 'ext4-root-var-log'",
    );
    expectV1(
      await call("GET", "/provisioner/template/storage/ext4-root-var-log"),
      404,
      "No storage templates found",
    );
  });

  test("bad input: each refused with the manual's status and a message naming the value", async () => {
    await v1Ok(t.app.url, "POST", "/provisioner/template/storage", { name: "bad-st" });
    await v1Ok(t.app.url, "POST", "/provisioner/template/network", { name: "bad-nt" });
    const cases: [string, string, Record<string, string | string[]>, number, string | RegExp][] = [
      [
        "POST",
        "/provisioner/template/system",
        { name: "s1", vcpus: "two", vram: "1024" },
        510,
        "ERROR: The vCPU count (vcpus) must be a whole number, got 'two'.",
      ],
      [
        "POST",
        "/provisioner/template/system",
        { name: "s1", vcpus: "2" },
        510,
        "ERROR: A vram value must be specified.",
      ],
      [
        "POST",
        "/provisioner/template/system",
        { name: "s1", vcpus: "2", vram: "1024", serial: "maybe" },
        510,
        "ERROR: serial must be true or false, got 'maybe'.",
      ],
      [
        "POST",
        "/provisioner/template/system",
        { name: "s1", vcpus: "2", vram: "1024", node_selector: "ram" },
        510,
        /^ERROR: nodeSelector must be one of mem .* \(got "ram"\)$/,
      ],
      [
        "POST",
        "/provisioner/template/network/bad-nt/net",
        { vni: "abc" },
        510,
        "ERROR: The VNI (vni) must be a whole number, got 'abc'.",
      ],
      [
        "POST",
        "/provisioner/template/network/nope/net",
        { vni: "100" },
        510,
        "ERROR: The network template 'nope' does not exist.",
      ],
      [
        "POST",
        "/provisioner/template/network",
        { name: "m1", mac_template: "{prefix}:zz:{vmid}" },
        510,
        /^ERROR: macTemplate must give a MAC address/,
      ],
      [
        "POST",
        "/provisioner/template/storage/bad-st/disk",
        { disk_id: "sda", pool: "vms", disk_size: "big" },
        510,
        "ERROR: The disk size in GB (disk_size) must be a whole number, got 'big'.",
      ],
      [
        "POST",
        "/provisioner/template/storage/bad-st/disk",
        { disk_id: "sda", pool: "vms", disk_size: "4", mountpoint: "/" },
        510,
        'ERROR: disks/0/mountpoint needs a filesystem on the disk (got "/")',
      ],
      [
        "POST",
        "/provisioner/template/storage/bad-st/disk",
        { disk_id: "sda", pool: "vms", disk_size: "4", filesystem_arg: "-L=x" },
        510,
        'ERROR: disks/0/filesystemArgs needs a filesystem on the disk (got ["-L=x"])',
      ],
      [
        "POST",
        "/provisioner/template/storage/bad-st/disk",
        { disk_id: "sda", disk_size: "4" },
        510,
        "ERROR: A pool value must be specified.",
      ],
      [
        "POST",
        "/provisioner/script",
        { name: "sx", data: "def install(**kwargs):\n    return (\n" },
        510,
        /^ERROR: data is not valid Python 3 \(line 2: SyntaxError: '\(' was never closed\)/,
      ],
      [
        "POST",
        "/provisioner/script",
        { name: "sy", data: "def setup():\n    pass\n" },
        510,
        /^ERROR: data must define a top-level function install/,
      ],
      [
        "POST",
        "/provisioner/profile",
        {
          name: "p1",
          system_template: "none",
          network_template: "bad-nt",
          storage_template: "bad-st",
          userdata_template: "u",
          script: "s",
        },
        510,
        "ERROR: The system template 'none' for profile 'p1' does not exist.",
      ],
      ["GET", "/provisioner/profile/nope", {}, 404, "No profiles found"],
      ["GET", "/provisioner/template/network/bad-nt/net", {}, 404, "No network template networks found"],
      [
        "DELETE",
        "/provisioner/template/system/nope",
        {},
        510,
        "ERROR: The system template 'nope' does not exist.",
      ],
    ];
    for (const [method, path, values, status, message] of cases) {
      const r = await call(method, path, values);
      try {
        expectV1(r, status, message);
      } catch (err) {
        throw new Error(`${method} ${path} ${JSON.stringify(values)}: ${(err as Error).message}`);
      }
    }
  });

  test("a profile: arguments name=value, no arg at all is fine, built-in names refused", async () => {
    await v1Ok(t.app.url, "POST", "/provisioner/template/system", { name: "ps", vcpus: "1", vram: "512" });
    await v1Ok(t.app.url, "POST", "/provisioner/template/network", { name: "pn" });
    await v1Ok(t.app.url, "POST", "/provisioner/template/storage", { name: "pst" });
    await v1Ok(t.app.url, "POST", "/provisioner/template/userdata", { name: "pu", data: "" });
    await v1Ok(t.app.url, "POST", "/provisioner/script", { name: "pscript", data: SCRIPT });
    const parts = {
      system_template: "ps",
      network_template: "pn",
      storage_template: "pst",
      userdata_template: "pu",
      script: "pscript",
    };
    expectV1(
      await call("POST", "/provisioner/profile", { name: "noarg", ...parts }),
      200,
      "Created VM profile 'noarg'",
    );
    expectV1(
      await call("POST", "/provisioner/profile", { name: "a1", ...parts, arg: "novalue" }),
      510,
      "ERROR: Script argument 'novalue' must be given as name=value.",
    );
    expectV1(
      await call("POST", "/provisioner/profile", { name: "a2", ...parts, arg: "vm_name=x" }),
      510,
      /^ERROR: arguments\/vm_name is a built-in argument of install\(\)/,
    );
    expectV1(
      await call("POST", "/provisioner/profile", { name: "noarg", ...parts }),
      510,
      "ERROR: The profile 'noarg' already exists.",
    );
    const got = await call("GET", "/provisioner/profile", { limit: "noarg" });
    assert.deepEqual((got.body as { arguments: string[] }[])[0].arguments, []);
    // PUT replaces a script's text, compiled first.
    expectV1(
      await call("PUT", "/provisioner/script/pscript", { data: "def install(**kwargs):\n    pass\n" }),
      200,
      "Updated provisioning script 'pscript'",
    );
    expectV1(
      await call("PUT", "/provisioner/script/pscript", { data: "def install(**kwargs):\n  x = = 1\n" }),
      510,
      /not valid Python 3/,
    );
  });

  test("more of the manual's rules: a vni or disk listed once, mkfs options, missing parts, templates in use", async () => {
    const ok = (path: string, values: Record<string, string | string[]>) =>
      v1Ok(t.app.url, "POST", path, values);
    await ok("/provisioner/template/system", { name: "rs", vcpus: "1", vram: "512" });
    await ok("/provisioner/template/network", { name: "rn" });
    await ok("/provisioner/template/network/rn/net", { vni: "200" });
    await ok("/provisioner/template/storage", { name: "rst" });
    await ok("/provisioner/template/userdata", { name: "ru", data: "#cloud-config" });
    await ok("/provisioner/script", { name: "rscript", data: SCRIPT });
    // A disk with a filesystem and no filesystem_arg (v0.6 crashed joining None).
    expectV1(
      await call("POST", "/provisioner/template/storage/rst/disk", {
        disk_id: "sda",
        pool: "vms",
        disk_size: "4",
        filesystem: "ext4",
        mountpoint: "/",
      }),
      200,
      "Added new disk 'sda' to storage template 'rst'",
    );
    const storage = await call("GET", "/provisioner/template/storage/rst");
    assert.equal(
      (storage.body as { disks: { filesystem_args: unknown }[] }[])[0].disks[0].filesystem_args,
      "",
    );
    const cases: [string, string, Record<string, string | string[]>, number, string | RegExp][] = [
      [
        "POST",
        "/provisioner/template/network/rn/net",
        { vni: "200" },
        510,
        "ERROR: The VNI '200' in network template 'rn' already exists.",
      ],
      [
        "POST",
        "/provisioner/template/storage/rst/disk",
        { disk_id: "sda", pool: "vms", disk_size: "4" },
        510,
        "ERROR: The disk 'sda' in storage template 'rst' already exists.",
      ],
      [
        "POST",
        "/provisioner/template/storage/rst/disk",
        { disk_id: "sdb", pool: "vms", disk_size: "4", filesystem: "ext4", filesystem_arg: "-L root" },
        510,
        /^ERROR: disks\/1\/filesystemArgs\/0 must be one mkfs option in --opt=val form .*\(got "-L root"\)$/,
      ],
      [
        "POST",
        "/provisioner/template/storage/rst/disk",
        { disk_id: "sdb", pool: "vms", disk_size: "0" },
        510,
        "ERROR: disks/1/sizeGiB must be >= 1 (got 0)",
      ],
    ];
    const parts = {
      system_template: "rs",
      network_template: "rn",
      storage_template: "rst",
      userdata_template: "ru",
      script: "rscript",
    };
    for (const [field, label] of [
      ["network_template", "network template"],
      ["storage_template", "storage template"],
      ["userdata_template", "userdata template"],
      ["script", "script"],
    ] as const)
      cases.push([
        "POST",
        "/provisioner/profile",
        { name: "rp-missing", ...parts, [field]: "nope" },
        510,
        `ERROR: The ${label} 'nope' for profile 'rp-missing' does not exist.`,
      ]);
    for (const [method, path, values, status, message] of cases) {
      const r = await call(method, path, values);
      try {
        expectV1(r, status, message);
      } catch (err) {
        throw new Error(`${method} ${path} ${JSON.stringify(values)}: ${(err as Error).message}`);
      }
    }
    // In use by a profile: every kind is kept, the error names the profile.
    await ok("/provisioner/profile", { name: "rp", ...parts });
    for (const [path, kind, name] of [
      ["/provisioner/template/system/rs", "SystemTemplate", "rs"],
      ["/provisioner/template/network/rn", "NetworkTemplate", "rn"],
      ["/provisioner/template/userdata/ru", "UserdataTemplate", "ru"],
    ] as const)
      expectV1(
        await call("DELETE", path),
        510,
        `ERROR: ${kind} "${name}" is used by ProvisionerProfile rp; change or delete that profile first`,
      );
  });
});

/**
 * The configuration file: PVC's own pvc-api.yaml works as is (PVC's sample, verbatim in structure,
 * including its ignored provisioner section), our reconciler section has defaults, and every bad
 * key is named in the error.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import {
  CONFIG_FILE_ENV,
  coordinatorsToConnectString,
  devConfig,
  loadConfig,
  parseConfig,
} from "../../src/config.ts";
import { ErrorCodes, PvcError } from "../../src/errors.ts";

/** PVC v0.6's client-api/pvc-api.sample.yaml, structure and values as shipped. */
const PVC_SAMPLE = `---
pvc:
    debug: True
    coordinators:
      - pvc-hv1
      - pvc-hv2
      - pvc-hv3
    api:
        listen_address: "127.0.0.1"
        listen_port: "7370"
        authentication:
            enabled: False
            secret_key: ""
            tokens:
                - description: "testing"
                  token: ""
        ssl:
            enabled: False
            cert_file: ""
            key_file: ""
    provisioner:
        database:
            host: 10.100.0.252
            port: 5432
        queue:
            host: localhost
`;

function problems(text: string): string[] {
  try {
    parseConfig(text, "test.yaml");
  } catch (err) {
    assert.ok(err instanceof PvcError && err.code === ErrorCodes.CONFIG_INVALID, String(err));
    return (err.details?.problems as string[]) ?? [err.message];
  }
  assert.fail("expected the config to be refused");
}

/** PVC's sample with one line replaced. */
function sampleWith(from: string, to: string): string {
  assert.ok(PVC_SAMPLE.includes(from), from);
  return PVC_SAMPLE.replace(from, to);
}

describe("config", () => {
  const dir = mkdtempSync(join(tmpdir(), "pvc-config-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("PVC's sample file loads, with our defaults", () => {
    const c = parseConfig(PVC_SAMPLE, "sample");
    assert.equal(c.debug, true);
    assert.equal(c.zookeeper.connectString, "pvc-hv1:2181,pvc-hv2:2181,pvc-hv3:2181");
    assert.equal(c.api.listenAddress, "127.0.0.1");
    assert.equal(c.api.listenPort, 7370, "the string port becomes a number");
    assert.equal(c.api.auth.enabled, false);
    assert.deepEqual(c.api.auth.tokens, [{ description: "testing", token: "" }]);
    assert.equal(c.reconciler.storeRoot, "/pvc-reconciler");
    assert.equal(c.reconciler.pvcRoot, "");
    assert.equal(c.reconciler.facadeWaitTimeoutMs, 30_000);
    assert.equal(c.reconciler.logLevel, "debug", "pvc.debug turns on debug logs");
  });

  test("our reconciler section", () => {
    const c = parseConfig(
      `${PVC_SAMPLE}reconciler:\n  store_root: /elsewhere\n  pvc_root: /pvc\n  facade_wait_timeout: 2.5\n  resync_period: 60\n  ceph_poll_interval: 15\n  controller_concurrency: 8\n  log_level: warn\n  ceph_conf: /etc/ceph/ceph.conf\n  gitops: {enabled: true, dir: /srv/manifests}\n`,
      "ours",
    );
    assert.equal(c.reconciler.storeRoot, "/elsewhere");
    assert.equal(c.reconciler.pvcRoot, "/pvc");
    assert.equal(c.reconciler.facadeWaitTimeoutMs, 2500);
    assert.equal(c.reconciler.resyncPeriodMs, 60_000);
    assert.equal(c.reconciler.cephPollIntervalMs, 15_000);
    assert.equal(c.reconciler.controllerConcurrency, 8);
    assert.equal(c.reconciler.logLevel, "warn");
    assert.deepEqual(c.reconciler.gitops, { enabled: true, dir: "/srv/manifests" });
  });

  test("coordinators: host means port 2181, host:port and [v6]:port stay", () => {
    assert.equal(
      coordinatorsToConnectString(["a", "b:2182", "[::1]", "[::1]:2183", "10.0.0.1"]),
      "a:2181,b:2182,[::1]:2181,[::1]:2183,10.0.0.1:2181",
    );
  });

  const badKeys: Array<[string, string, string, RegExp]> = [
    [
      'listen_port: "7370"',
      'listen_port: "abc"',
      "pvc.api.listen_port",
      /must be an integer 1-65535, got "abc"/,
    ],
    ['listen_port: "7370"', "listen_port: 70000", "pvc.api.listen_port", /1-65535, got 70000/],
    ["debug: True", "debug: sometimes", "pvc.debug", /true or false, got "sometimes"/],
    ["      - pvc-hv1\n", "      - pvc hv1\n", "pvc.coordinators[0]", /host/],
    ['listen_address: "127.0.0.1"', "listen_adress: x", "pvc.api.listen_address", /is required/],
    [
      'listen_address: "127.0.0.1"',
      'listen_address: "127.0.0.1"\n        colour: blue',
      "pvc.api.colour",
      /not a known setting/,
    ],
    [
      "            enabled: False\n            secret_key",
      "            enabled: 3\n            secret_key",
      "pvc.api.authentication.enabled",
      /true or false/,
    ],
    [
      '                  token: ""',
      "                  tokn: x",
      "pvc.api.authentication.tokens[0].token",
      /is required/,
    ],
  ];
  for (const [from, to, key, message] of badKeys) {
    test(`a bad ${key} is named`, () => {
      const found = problems(sampleWith(from, to));
      const line = found.find((p) => p.startsWith(`${key}:`));
      assert.ok(line, `no problem names ${key}: ${found.join(" | ")}`);
      assert.match(line, message);
    });
  }

  test("bad reconciler keys are named", () => {
    const found = problems(
      `${PVC_SAMPLE}reconciler:\n  store_root: relative/path\n  facade_wait_timeout: -1\n  controller_concurrency: 1.5\n  log_level: loud\n  colour: red\n`,
    );
    for (const key of [
      "reconciler.store_root",
      "reconciler.facade_wait_timeout",
      "reconciler.controller_concurrency",
      "reconciler.log_level",
      "reconciler.colour",
    ]) {
      assert.ok(
        found.some((p) => p.startsWith(`${key}:`)),
        `${key} not named in: ${found.join(" | ")}`,
      );
    }
  });

  test("authentication needs a secret_key; SSL needs readable cert and key files", () => {
    const auth = problems(
      sampleWith(
        "            enabled: False\n            secret_key",
        "            enabled: True\n            secret_key",
      ),
    );
    assert.ok(
      auth.some((p) => p.startsWith("pvc.api.authentication.secret_key:")),
      auth.join(" | "),
    );

    const ssl = sampleWith(
      "        ssl:\n            enabled: False",
      "        ssl:\n            enabled: True",
    );
    const missing = problems(ssl);
    assert.ok(missing.some((p) => p.startsWith("pvc.api.ssl.cert_file:")));
    assert.ok(missing.some((p) => p.startsWith("pvc.api.ssl.key_file:")));
    const unreadable = problems(ssl.replace('cert_file: ""', `cert_file: "${join(dir, "nope.pem")}"`));
    assert.ok(
      unreadable.some((p) => p.startsWith("pvc.api.ssl.cert_file:") && p.includes("ENOENT")),
      unreadable.join(" | "),
    );
  });

  test("not YAML, and not a mapping", () => {
    assert.throws(() => parseConfig("pvc: [unclosed", "x"), /not valid YAML/);
    assert.match(problems("just a string").join(" "), /^\(file\): must be/);
  });

  test("loadConfig: --config, then PVC_CONFIG_FILE; relative paths from the file's folder", () => {
    const file = join(dir, "pvc-api.yaml");
    writeFileSync(file, `${PVC_SAMPLE}reconciler:\n  ceph_conf: ceph/ceph.conf\n`);
    assert.equal(loadConfig(file).source, file);
    assert.equal(
      loadConfig(undefined, { [CONFIG_FILE_ENV]: file }).reconciler.cephConf,
      join(dir, "ceph/ceph.conf"),
    );
    assert.throws(() => loadConfig(undefined, {}), /pass --config FILE or set PVC_CONFIG_FILE/);
    assert.throws(
      () => loadConfig(join(dir, "missing.yaml")),
      (e: unknown) => e instanceof PvcError && /ENOENT/.test(e.message),
    );
  });

  test("devConfig: the stack's ZooKeeper, auth and SSL off", () => {
    const c = devConfig({ connectString: "127.0.0.1:22181", cephConf: "/tmp/ceph.conf", listenPort: 7371 });
    assert.equal(c.zookeeper.connectString, "127.0.0.1:22181");
    assert.equal(c.api.listenPort, 7371);
    assert.equal(c.api.auth.enabled, false);
    assert.equal(c.api.ssl.enabled, false);
    assert.equal(c.reconciler.cephConf, "/tmp/ceph.conf");
  });
});

/**
 * JSON Schema of the configuration file (src/config.ts loads it). Two top-level sections:
 * - `pvc:` exactly the structure of PVC v0.6's `pvc-api.yaml` (the manual's "API Daemon
 *   Configuration"), so an existing file works unchanged; its `provisioner:` block (PostgreSQL,
 *   Celery) is accepted and ignored, since our provisioner keeps its state in resources.
 * - `reconciler:` our own settings, all optional, kept apart so that nothing of ours is mistaken for
 *   a PVC setting.
 *
 * `x-expect` (our keyword) says in words what a value must be; the loader turns it into messages
 * such as `pvc.api.listen_port: must be an integer 1-65535, got "abc"`.
 */

/** 1-65535 written as a string, as in PVC's sample (`listen_port: "7370"`). */
const PORT_STRING =
  "^([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$";

/** `host` or `host:port`; a host is a DNS name, an IPv4 address or a bracketed IPv6 address. */
const COORDINATOR =
  "^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?)(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?$";

const seconds = (what: string) => ({
  type: "number",
  exclusiveMinimum: 0,
  "x-expect": `a number of seconds > 0 (${what})`,
});

export const CONFIG_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["pvc"],
  "x-expect": "a mapping with a `pvc:` section (and optionally `reconciler:`)",
  properties: {
    pvc: {
      type: "object",
      additionalProperties: false,
      required: ["debug", "coordinators", "api"],
      "x-expect": "a mapping",
      properties: {
        debug: { type: "boolean", "x-expect": "true or false" },
        coordinators: {
          type: "array",
          minItems: 1,
          "x-expect": "a non-empty list of coordinator hosts (`host` or `host:port`)",
          items: { type: "string", pattern: COORDINATOR, "x-expect": "`host` or `host:port`" },
        },
        api: {
          type: "object",
          additionalProperties: false,
          required: ["listen_address", "authentication", "ssl"],
          "x-expect": "a mapping",
          properties: {
            listen_address: { type: "string", minLength: 1, "x-expect": "an IP address, e.g. 0.0.0.0" },
            listen_port: {
              anyOf: [
                { type: "integer", minimum: 1, maximum: 65535 },
                { type: "string", pattern: PORT_STRING },
              ],
              "x-expect": "an integer 1-65535",
            },
            authentication: {
              type: "object",
              additionalProperties: false,
              required: ["enabled"],
              "x-expect": "a mapping",
              properties: {
                enabled: { type: "boolean", "x-expect": "true or false" },
                secret_key: { type: "string", "x-expect": "a string" },
                tokens: {
                  type: ["array", "null"],
                  "x-expect": "a list of {description, token}",
                  items: {
                    type: "object",
                    additionalProperties: false,
                    required: ["token"],
                    "x-expect": "a mapping with `token` (and optionally `description`)",
                    properties: {
                      description: { type: ["string", "null"], "x-expect": "a string" },
                      token: { type: ["string", "null"], "x-expect": "a string" },
                    },
                  },
                },
              },
            },
            ssl: {
              type: "object",
              additionalProperties: false,
              required: ["enabled"],
              "x-expect": "a mapping",
              properties: {
                enabled: { type: "boolean", "x-expect": "true or false" },
                cert_file: { type: ["string", "null"], "x-expect": "a file path" },
                key_file: { type: ["string", "null"], "x-expect": "a file path" },
              },
            },
          },
        },
        provisioner: {
          type: ["object", "null"],
          "x-expect": "a mapping (ignored: PVC v0.6's database and queue)",
        },
      },
    },
    reconciler: {
      type: ["object", "null"],
      additionalProperties: false,
      "x-expect": "a mapping",
      properties: {
        store_root: {
          type: "string",
          pattern: "^(/[^/]+)+$",
          "x-expect": "an absolute ZooKeeper path without a trailing slash, e.g. /pvc-reconciler",
        },
        pvc_root: {
          type: "string",
          pattern: "^((/[^/]+)+|/?)$",
          "x-expect": 'the ZooKeeper path PVC\'s keys hang off: "" (the root) or e.g. /pvc',
        },
        ceph_conf: { type: "string", minLength: 1, "x-expect": "the path of ceph.conf" },
        facade_wait_timeout: seconds("how long an /api/v1 write waits for its controller's verdict"),
        resync_period: seconds("full resync of every object"),
        ceph_poll_interval: seconds("polling Ceph for drift"),
        zookeeper_session_timeout: seconds("ZooKeeper session timeout"),
        controller_concurrency: {
          type: "integer",
          minimum: 1,
          maximum: 256,
          "x-expect": "an integer 1-256",
        },
        log_level: {
          enum: ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
          "x-expect": "one of fatal, error, warn, info, debug, trace, silent",
        },
        gitops: {
          type: ["object", "null"],
          additionalProperties: false,
          "x-expect": "a mapping",
          properties: {
            enabled: { type: "boolean", "x-expect": "true or false" },
            dir: { type: "string", minLength: 1, "x-expect": "a directory of manifests" },
          },
        },
      },
    },
  },
} as const;

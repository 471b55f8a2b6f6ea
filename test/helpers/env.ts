/**
 * Connection settings for integration tests. `npm test` (scripts/test.sh) starts a private local
 * stack and exports these; running an integration test file by hand needs them set too
 * (`eval "$(npx pvcctl stack env --dir DIR)"` prints them for a running stack).
 * A missing setting is an error, never a silent skip: an integration test that does not talk to
 * the real server has not tested anything.
 */
function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: integration tests talk to the real local stack; run them with \`npm test\`, or start a stack with \`npx pvcctl stack up\` and export its settings`,
    );
  }
  return value;
}

/** ZooKeeper connect string of the test stack, e.g. `127.0.0.1:22281`. */
export function zkConnect(): string {
  return required("PVC_ZK_CONNECT");
}

/** Path of the test stack's ceph.conf (the ceph/rbd CLIs read it through --conf). */
export function cephConf(): string {
  return required("CEPH_CONF");
}

/** A ZooKeeper path prefix unique to one test run, so test files never see each other's keys. */
export function uniqueRoot(label: string): string {
  return `/test-${label}-${process.pid}-${Date.now().toString(36)}`;
}

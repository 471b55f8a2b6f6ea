/** `pvcctl describe` shows a Report policy's drift: the kept keys in status and the Drifted condition. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { describeText } from "../../src/pvcctl/format.ts";
import type { Resource, ResourceStatus } from "../../src/resources/types.ts";
import { ready } from "../../src/runtime/conditions.ts";
import { drifted, notDrifted, withConditions } from "../../src/runtime/drift.ts";
import { nextStatus } from "../../src/runtime/status.ts";

test("describe shows what drifted and that it was kept", () => {
  const net: Resource = {
    apiVersion: "pvc.parallelvirtualcluster.org/v1",
    kind: "Network",
    metadata: { name: "lan", generation: 2 },
    spec: { vni: 100, driftPolicy: "Report" },
  };
  const drift = ["/networks/100/dhcp4_reservations/52:54:00:de:ad:01", "/networks/100/firewall_rules/in/x"];
  const status = nextStatus(net, { drift }, withConditions(ready("Converged", "ok", 2), drifted(drift, 2)));
  const page = describeText({ ...net, status }, [], Date.now());
  assert.match(page, /Status:\n {2}drift:\n {4}- \/networks\/100\/dhcp4_reservations\/52:54:00:de:ad:01/);
  assert.match(
    page,
    /Drifted +True +ChangedOutOfBand +2 .*2 owned items differ from the spec and were kept \(driftPolicy Report\)/,
  );
  // Repaired (or the spec changed): the condition goes.
  const after = nextStatus<ResourceStatus>(
    { ...net, status },
    { drift: undefined },
    notDrifted(ready("Converged", "ok", 2)),
  );
  assert.ok(!(after.conditions ?? []).some((c) => c.type === "Drifted"));
  assert.doesNotMatch(describeText({ ...net, status: after }, [], Date.now()), /Drifted|drift:/);
});

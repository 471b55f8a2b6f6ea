/** /storage, /storage/ceph{,/status,/df} and /storage/ceph/cluster-option (flags set/unset). */
import { OSD_FLAGS, type OsdFlag } from "../../../src/ceph/names.ts";
import type { FacadeDeps, FacadeHandler } from "../facade.ts";
import { fail, ok, respond } from "../facade.ts";
import { getValue, readValues } from "../values.ts";
import { q } from "./common.ts";

export const storageRoot: FacadeHandler = async () => ({ message: "Manage the storage of the PVC cluster." });

/** v0.6's status answer: the text the CephCluster loop last wrote, with the primary node. */
async function statusAnswer(deps: FacadeDeps, type: "status" | "utilization") {
  return {
    type,
    primary_node: await deps.pvc.primaryNode(),
    ceph_data: (type === "status"
      ? await deps.pvc.cephStatusText()
      : await deps.pvc.cephRadosDfText()
    ).trimEnd(),
  };
}

export const cephStatus: FacadeHandler = async (deps) => statusAnswer(deps, "status");
export const cephUtilization: FacadeHandler = async (deps) => statusAnswer(deps, "utilization");

function isOsdFlag(option: string): option is OsdFlag {
  return (OSD_FLAGS as readonly string[]).includes(option);
}

export const clusterOption: FacadeHandler = async (deps, request, reply) => {
  const v = readValues(request);
  const action = getValue(v, "action");
  const option = getValue(v, "option");
  if (action === undefined) return respond(reply, fail("ERROR: An action must be specified."));
  if (action !== "set" && action !== "unset")
    return respond(reply, fail("ERROR: Action must be one of: set, unset"));
  if (option === undefined) return respond(reply, fail("ERROR: An option must be specified."));
  if (!isOsdFlag(option)) {
    return respond(
      reply,
      fail(`ERROR: Option ${q(option)} is not valid; must be one of: ${OSD_FLAGS.join(", ")}.`),
    );
  }
  const outcome = await deps.cephOps.setFlag(option, action === "set");
  if (!outcome.ok)
    return respond(reply, fail(`ERROR: Failed to ${action} OSD property ${option}: ${outcome.why}`));
  return respond(
    reply,
    ok(
      action === "set"
        ? `Set OSD property ${option} on the cluster.`
        : `Unset OSD property ${option} on the cluster.`,
    ),
  );
};

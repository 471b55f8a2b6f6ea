/**
 * /storage/ceph/osd: OSDs as the CephCluster loop mirrors them in `/ceph/osds`, and the manual's
 * OSD operations (add, remove, in/out) through CephClusterOps. This file validates the request as
 * PVC v0.6 did and shapes the answer; what runs, and where, is controllers/ceph/osd-commands.ts.
 */
import type { OsdOutcome } from "../../../src/ceph/cluster-ops.ts";
import type { FacadeDeps, FacadeHandler } from "../facade.ts";
import { fail, notFound, ok, respond, type Verdict } from "../facade.ts";
import { limitFilter } from "../limit.ts";
import { getValue, hasFlag, readValues, type Values } from "../values.ts";
import { CONFIRM, q } from "./common.ts";

type ById = { osd: string };

export const DEVICE_RE = /^\/dev\/[A-Za-z0-9][A-Za-z0-9/_.:-]*$/;
const NODE_RE = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;

/** PVC's weight: a positive decimal (CRUSH weights are usually the disk size in TiB, or 1.0). */
export function parseWeight(text: string): number | undefined {
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text)) return undefined;
  const w = Number(text);
  return w > 0 && Number.isFinite(w) ? w : undefined;
}

/** Why a device path is refused, or undefined when it is acceptable. */
export function deviceProblem(device: string): string | undefined {
  if (!DEVICE_RE.test(device) || device.split("/").includes("..")) {
    return `ERROR: Block device '${device}' is not valid: give a device path such as /dev/sdb.`;
  }
  return undefined;
}

async function osdInfo(deps: FacadeDeps, id: string) {
  return { id, stats: await deps.pvc.osdStats(id) };
}

async function osdExists(deps: FacadeDeps, id: string): Promise<boolean> {
  return (await deps.pvc.osdIds()).includes(id);
}

/** A failed OSD add or remove as v0.6's line: what could not run (nothing ran) or what failed. */
function osdFailure(what: string, outcome: Exclude<OsdOutcome, { ok: true }>): Verdict {
  return outcome.ran
    ? fail(`ERROR: ${what}: \`${outcome.command}\` failed: ${outcome.why}`)
    : fail(`ERROR: ${what}: \`${outcome.command}\` cannot run: ${outcome.why}; nothing was run.`);
}

export const listOsds: FacadeHandler = async (deps, request, reply) => {
  const match = limitFilter(getValue(readValues(request), "limit"));
  const list = await Promise.all((await deps.pvc.osdIds()).filter(match).map((id) => osdInfo(deps, id)));
  if (list.length === 0) return notFound(reply, "OSD not found.");
  return list;
};

/** POST's node, device and weight, or v0.6's message for the first that is missing or wrong. */
function addValues(v: Values): { node: string; device: string; weight: number } | string {
  const node = getValue(v, "node");
  const device = getValue(v, "device");
  const weightText = getValue(v, "weight");
  if (node === undefined) return "ERROR: A node must be specified.";
  if (device === undefined) return "ERROR: A block device must be specified.";
  if (weightText === undefined) return "ERROR: An OSD weight must be specified.";
  const weight = parseWeight(weightText);
  if (weight === undefined)
    return `ERROR: Weight ${q(weightText)} is not valid: give a positive number such as 1.0.`;
  return deviceProblem(device) ?? { node, device, weight };
}

/** The OSD already on `device` of `node`, if any (v0.6 refused to add a second one). */
async function osdOn(deps: FacadeDeps, node: string, device: string): Promise<string | undefined> {
  for (const id of await deps.pvc.osdIds()) {
    const placement = await deps.pvc.osdPlacement(id);
    if (placement.node === node && placement.device === device) return id;
  }
  return undefined;
}

export const addOsd: FacadeHandler = async (deps, request, reply) => {
  const values = addValues(readValues(request));
  if (typeof values === "string") return respond(reply, fail(values));
  const { node, device, weight } = values;
  if (!NODE_RE.test(node) || !(await deps.pvc.nodeExists(node))) {
    return respond(reply, fail(`ERROR: No node named ${q(node)} is present in the cluster.`));
  }
  const used = await osdOn(deps, node, device);
  if (used !== undefined)
    return respond(
      reply,
      fail(`ERROR: Block device ${q(device)} on node ${q(node)} is used by OSD ${q(used)}`),
    );
  const outcome = await deps.cephOps.addOsd(node, device, weight);
  if (!outcome.ok) return respond(reply, osdFailure("Failed to create new OSD", outcome));
  return respond(reply, ok(`Created new OSD with block device ${q(device)} on node ${q(node)}.`));
};

export const getOsd: FacadeHandler<ById> = async (deps, request, reply) => {
  const id = request.params.osd;
  if (!(await osdExists(deps, id))) return notFound(reply, "OSD not found.");
  return [await osdInfo(deps, id)];
};

export const removeOsd: FacadeHandler<ById> = async (deps, request, reply) => {
  const id = request.params.osd;
  if (!hasFlag(readValues(request), "yes_i_really_mean_it")) return respond(reply, fail(CONFIRM));
  if (!(await osdExists(deps, id)))
    return respond(reply, fail(`ERROR: No OSD with ID ${q(id)} is present in the cluster.`));
  const outcome = await deps.cephOps.removeOsd(id);
  if (!outcome.ok) return respond(reply, osdFailure(`Failed to remove OSD ${id}`, outcome));
  return respond(reply, ok(`Removed OSD ${q(id)} from the cluster.`));
};

export const getOsdState: FacadeHandler<ById> = async (deps, request, reply) => {
  const id = request.params.osd;
  if (!(await osdExists(deps, id))) return notFound(reply, "OSD not found.");
  const stats = await deps.pvc.osdStats(id);
  return { id, in: stats.in, up: stats.up };
};

export const setOsdState: FacadeHandler<ById> = async (deps, request, reply) => {
  const id = request.params.osd;
  const state = getValue(readValues(request), "state");
  if (state === undefined) return respond(reply, fail("ERROR: A state must be specified."));
  if (state !== "in" && state !== "out") return respond(reply, fail("ERROR: State must be one of: in, out."));
  if (!(await osdExists(deps, id)))
    return respond(reply, fail(`ERROR: No OSD with ID ${q(id)} is present in the cluster.`));
  const outcome = await deps.cephOps.setOsdIn(Number(id), state === "in");
  if (!outcome.ok) {
    return respond(
      reply,
      fail(`ERROR: Failed to set OSD ${state === "in" ? "online" : "offline"}: ${outcome.why}`),
    );
  }
  return respond(
    reply,
    ok(state === "in" ? `Set OSD ${id} online in the cluster.` : `Set OSD ${id} offline in the cluster.`),
  );
};

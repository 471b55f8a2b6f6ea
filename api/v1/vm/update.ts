/**
 * POST /vm/<vm> (PVC's metadata: limit, selector, autostart) and PUT /vm/<vm> (a new XML, with an
 * optional restart). v0.6 crashed on both; this does what the manual says.
 */
import { type FacadeHandler, fail, respond } from "../facade.ts";
import { getValue, hasFlag, readValues } from "../values.ts";
import { findVm, nodeLimit, notFoundMessage, patchAndWait, q, selectorProblem } from "./common.ts";
import { uuidOf } from "./shape.ts";
import { setRunState } from "./state.ts";
import { domainXml } from "./xml.ts";

type ByRef = { vm: string };

export const updateVmMetadata: FacadeHandler<ByRef> = async (deps, request, reply) => {
  const ref = request.params.vm;
  const vm = findVm(deps, ref);
  if (!vm) return respond(reply, fail(notFoundMessage(ref)));
  const v = readValues(request);
  const limit = getValue(v, "limit");
  const selector = getValue(v, "selector");
  const on = hasFlag(v, "autostart");
  const off = hasFlag(v, "no-autostart");
  if (limit === undefined && selector === undefined && !on && !off) {
    return respond(
      reply,
      fail("ERROR: At least one of 'limit', 'selector', 'autostart' or 'no-autostart' must be specified."),
    );
  }
  if (on && off) return respond(reply, fail("ERROR: 'autostart' and 'no-autostart' contradict each other."));
  const bad = selectorProblem(selector);
  if (bad) return respond(reply, fail(bad));
  const spec: Record<string, unknown> = {};
  if (limit !== undefined) spec.nodeLimit = await nodeLimit(deps, limit);
  if (selector !== undefined) spec.nodeSelector = selector;
  if (on || off) spec.autostart = on;
  const success = `Successfully modified PVC metadata of VM ${q(vm.metadata.name)}.`;
  return respond(reply, await patchAndWait(deps, vm, spec, success));
};

export const replaceVmXml: FacadeHandler<ByRef> = async (deps, request, reply) => {
  const ref = request.params.vm;
  const vm = findVm(deps, ref);
  if (!vm) return respond(reply, fail(notFoundMessage(ref)));
  const v = readValues(request);
  const uuid = uuidOf(vm);
  // An XML without <uuid> keeps the VM's (PVC's modify kept the key it was stored under).
  const parsed = domainXml(getValue(v, "xml"), () => uuid);
  if (typeof parsed === "string") return respond(reply, fail(parsed));
  if (parsed.uuid !== uuid) {
    return respond(
      reply,
      fail(
        `ERROR: The XML's UUID ${q(parsed.uuid)} is not VM ${q(vm.metadata.name)}'s (${q(uuid)}); a VM's UUID cannot change.`,
      ),
    );
  }
  const restart = hasFlag(v, "restart");
  const success = `Successfully modified configuration of VM ${q(vm.metadata.name)}.`;
  // The same XML again with restart: only the restart is new.
  if (restart && parsed.xml === vm.spec.xml)
    return respond(reply, await setRunState(deps, vm, "restart", success));
  const spec: Record<string, unknown> = { xml: parsed.xml };
  // restart: restarted with the new XML (once); without it a runState left at restart would restart too.
  if (restart) spec.runState = "restart";
  else if (vm.spec.runState === "restart") spec.runState = "start";
  return respond(reply, await patchAndWait(deps, vm, spec, success));
};

/**
 * The hollow nodes pick a flush's migration targets the way PVC's node daemon does; the selection
 * itself lives in src/pvc/placement.ts, shared with the VirtualMachine controller (PVC's client and
 * node daemon share common.findTargetNode too).
 */
export * from "../pvc/placement.ts";

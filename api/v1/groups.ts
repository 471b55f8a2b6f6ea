/**
 * The facade groups served under /api/v1: one line per group, `export { xFacade } from "./x.ts";`,
 * where x.ts exports a FacadePlugin (see facade.ts). index.ts registers every export of this file.
 */
export { networkFacade } from "./network.ts";
export { nodeFacade } from "./node.ts";
export { provisionerFacade } from "./provisioner.ts";
export { storageFacade } from "./storage.ts";
export { vmFacade } from "./vm.ts";

/**
 * The store's I/O checks (its `admit` and `validateDelete` hooks), in one place so the server and
 * the test harness build the store alike: ProvisionerScripts must compile, and templates or
 * scripts a profile uses are not deleted.
 */
import { checkPythonSyntax } from "../provisioner/py-compile.ts";
import type { StoreOptions } from "../store/store-support.ts";
import { refuseDeleteInUse } from "./in-use.ts";
import type { Resource } from "./types.ts";

export function storeChecks(
  list: (kind: string) => Promise<readonly Resource[]>,
): Pick<StoreOptions, "admit" | "validateDelete"> {
  return {
    async admit(next) {
      if (next.kind === "ProvisionerScript" && typeof next.spec.data === "string") {
        await checkPythonSyntax(next.spec.data);
      }
    },
    validateDelete: refuseDeleteInUse(list),
  };
}

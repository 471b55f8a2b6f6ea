/**
 * Every kind controller the manager runs (only on the leading replica): one line per kind,
 * `networkController,` with its import. src/app.ts builds each with the ControllerContext.
 */
import { networkController } from "./network/controller.ts";
import type { KindController } from "./types.ts";

export const kindControllers: KindController[] = [networkController];

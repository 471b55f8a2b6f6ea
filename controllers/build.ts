/**
 * A kind's Controller with the settings every kind controller takes from its context (concurrency,
 * resync period, metrics, logger): one place, so a new setting reaches every kind.
 */
import { Controller, type Fingerprint, type Reconciler } from "../src/runtime/controller.ts";
import type { ControllerContext } from "./types.ts";

export function kindController(
  ctx: ControllerContext,
  kind: string,
  reconcile: Reconciler,
  options: { fingerprint?: Fingerprint } = {},
): Controller {
  return new Controller({
    kind,
    reconcile,
    fingerprint: options.fingerprint,
    concurrency: ctx.settings.concurrency,
    resyncPeriodMs: ctx.settings.resyncPeriodMs,
    metrics: ctx.metrics,
    logger: ctx.logger,
  });
}

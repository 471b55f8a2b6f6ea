/**
 * CephVolume's size: grown to spec.size, or shrunk only with spec.allowShrink (shrinking loses
 * data: without it the volume is Stalled ShrinkNotAllowed). A size changed behind our back after
 * the volume converged is drift: put back (DriftRepaired), or with driftPolicy Report kept and
 * named in the Drifted condition.
 */
import type { RbdImageInfo } from "../../../src/ceph/types.ts";
import type { CephVolume } from "../../../src/resources/specs.ts";
import { reportsDrift } from "../../../src/runtime/drift.ts";
import type { VolumeOps } from "./ops.ts";

export interface SizeOutcome {
  /** The image as it now is. */
  current: RbdImageInfo;
  /** Why the size cannot be converged (Stalled ShrinkNotAllowed). */
  problem?: string;
  /** Under driftPolicy Report: the size changed behind our back, kept. */
  drift?: string;
}

export async function convergeSize(
  ops: VolumeOps,
  vol: CephVolume,
  current: RbdImageInfo,
  onDriftRepaired: (what: string) => void,
): Promise<SizeOutcome> {
  const { pool, name: image, size, allowShrink } = vol.spec;
  if (size === undefined || current.size === size) return { current };
  // This generation converged (Ready) with the spec's size: the image changed behind our back.
  if (reportsDrift(vol)) return { current, drift: `size ${current.size} (want ${size})` };
  const st = vol.status ?? {};
  const wasReady = st.observedGeneration === vol.metadata.generation && st.sizeBytes === size;
  const grow = current.size < size;
  if (!grow && !allowShrink)
    return {
      current,
      problem: `image ${pool}/${image} is ${current.size} bytes, spec.size is ${size}: shrinking loses data, so it is not done without spec.allowShrink`,
    };
  await ops.ctx.ceph.rbdResize(pool, image, size, { allowShrink: !grow });
  const events = ops.ctx.eventsOf(vol);
  if (wasReady) {
    onDriftRepaired(`size ${current.size}`);
    await events.normal(
      "DriftRepaired",
      `Resized ${pool}/${image} back to ${size} bytes (was ${current.size})`,
    );
  } else await events.normal("Resized", `Resized ${pool}/${image} to ${size} bytes`);
  return { current: (await ops.info(pool, image)) ?? current };
}

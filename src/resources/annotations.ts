/** Annotations with a meaning shared by several parts (controllers, pvcctl import). */
import { API_GROUP } from "./types.ts";

/**
 * "true": an existing external object of this name (a Ceph pool, image or snapshot) is taken over
 * by the resource instead of being reported as someone else's. `pvcctl import` sets it.
 */
export const ADOPT_ANNOTATION = `${API_GROUP}/adopt`;

/** Annotations with a meaning shared by several parts (controllers, pvcctl import). */
import { API_GROUP } from "./types.ts";

/**
 * "true": an existing external object of this name (a Ceph pool, image or snapshot) is taken over
 * by the resource instead of being reported as someone else's. `pvcctl import` sets it.
 */
export const ADOPT_ANNOTATION = `${API_GROUP}/adopt`;

/** CephVolume only: the image to rename into this volume (the facade's PUT name=). */
export const RENAME_FROM_ANNOTATION = `${API_GROUP}/rename-from`;
/** CephVolume only, with rename-from: the rbd image id that must be the one renamed/adopted. */
export const IMAGE_ID_ANNOTATION = `${API_GROUP}/image-id`;

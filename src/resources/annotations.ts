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

/**
 * Node only: who registered the object. Node objects are made by the Node controller on behalf of
 * the node daemons (each `/nodes/<name>` they register), as kubelets register theirs; its value
 * says so (`node-controller`). The object goes when its `/nodes/<name>` does.
 */
export const REGISTERED_BY_ANNOTATION = `${API_GROUP}/registered-by`;

/**
 * Annotations the server sets on objects it makes itself. An apply whose manifest does not name
 * one keeps it, and `pvcctl diff` leaves them out, as kubectl apply keeps the annotations it did
 * not set: applying `manifests/examples/nodes.yaml` must not erase who registered a Node.
 */
export const SERVER_ANNOTATIONS: readonly string[] = [REGISTERED_BY_ANNOTATION];

/** The server's annotations among `annotations` (see SERVER_ANNOTATIONS). */
export function serverAnnotations(annotations: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(annotations ?? {}).filter(([k]) => SERVER_ANNOTATIONS.includes(k)),
  );
}

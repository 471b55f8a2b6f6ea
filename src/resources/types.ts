/**
 * The resource envelope, as in Kubernetes: apiVersion, kind, metadata, spec, status.
 * Every kind shares it; a kind's own shape lives in its `spec`/`status` (schemas/<kind>.json).
 */

/** API group and version of every kind we serve. */
export const API_GROUP = "pvc.parallelvirtualcluster.org";
export const API_VERSION = "v1";
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  /** When true, the owner's deletion waits for this dependent to be gone (foreground GC). */
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Set by the store on create; never changes. */
  uid?: string;
  /** Bumped by the store when, and only when, `spec` changes. */
  generation?: number;
  /** Opaque version of the whole object (spec + metadata): compare for equality only. */
  resourceVersion?: string;
  creationTimestamp?: string;
  /** Set when a delete was asked while finalizers remain. */
  deletionTimestamp?: string;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

export type ConditionStatus = "True" | "False" | "Unknown";

export interface Condition {
  /** Ready, Reconciling, Stalled, DeletionBlocked, or a kind-specific type. */
  type: string;
  status: ConditionStatus;
  /** CamelCase machine-readable reason, e.g. `Converged`, `VniInUse`. */
  reason: string;
  /** For people: names the failing step, e.g. `rbd resize vms/web1_sda: exit 2: No such file`. */
  message: string;
  /** Changes only when `status` flips. */
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface ResourceStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  [field: string]: unknown;
}

export interface Resource<Spec = Record<string, unknown>, Status extends ResourceStatus = ResourceStatus> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}

/** One failing field of a validation: JSON pointer into the document, the value given, and why. */
export interface FieldError {
  pointer: string;
  value: unknown;
  message: string;
}

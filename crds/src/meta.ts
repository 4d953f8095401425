// The standard Kubernetes meta types (k8s.io/apimachinery/pkg/apis/meta/v1) the HyprBox kinds share.
// Written by hand: they are not part of the CRD schemas (a CRD's `metadata` is only `type: object`).

/** Type information every API object carries. */
export interface TypeMeta {
  apiVersion: string;
  kind: string;
}

/** A reference from an object to its owner; the owner's deletion cascades to the object. */
export interface OwnerReference {
  /** API version of the owner. */
  apiVersion: string;
  /** Kind of the owner. */
  kind: string;
  /** Name of the owner. */
  name: string;
  /** UID of the owner. */
  uid: string;
  /** True when the owner is the managing controller; at most one reference may be. */
  controller?: boolean;
  /** When true, the owner cannot be deleted (foreground deletion) before this object is. */
  blockOwnerDeletion?: boolean;
}

/** Which fields a field manager owns (server-side apply bookkeeping). */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  /** RFC 3339 time of the last change by this manager. */
  time?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

/** Metadata every persisted object has. */
export interface ObjectMeta {
  /** Unique name within the namespace (or the cluster, for cluster-scoped kinds); a DNS-1123 subdomain. */
  name?: string;
  /** Prefix from which the server generates a unique name when name is not given. */
  generateName?: string;
  /** Namespace of a namespaced object; a DNS-1123 label. */
  namespace?: string;
  /** Server-assigned unique identifier, never reused. */
  uid?: string;
  /** Opaque store revision of the object; a write carrying a stale one gets 409 Conflict. */
  resourceVersion?: string;
  /** Sequence number of the desired state; bumped on every change of spec. */
  generation?: number;
  /** RFC 3339 time the object was created, set by the server. */
  creationTimestamp?: string;
  /** RFC 3339 time after which the object goes away, set when deletion is requested and finalizers remain. */
  deletionTimestamp?: string;
  /** Seconds allowed for graceful termination before the object is removed. */
  deletionGracePeriodSeconds?: number;
  /** Identifying key/value pairs that selectors match. */
  labels?: Record<string, string>;
  /** Non-identifying key/value pairs for tools and people. */
  annotations?: Record<string, string>;
  /** Names of the parties that must clean up before the object is removed. */
  finalizers?: string[];
  /** Objects this one depends on. */
  ownerReferences?: OwnerReference[];
  /** Field ownership for server-side apply. */
  managedFields?: ManagedFieldsEntry[];
}

/** Metadata of a list response. */
export interface ListMeta {
  /** The store revision the list was read at; watch from it to follow changes. */
  resourceVersion?: string;
  /** Opaque token to ask for the next page; absent on the last page. */
  continue?: string;
  /** Number of items after this page, when the server can tell. */
  remainingItemCount?: number;
}

/** The values a condition's status takes. */
export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;
export type ConditionStatus = (typeof CONDITION_STATUSES)[number];

/** One aspect of an object's current state (metav1.Condition); `status.conditions` holds one per type. */
export interface Condition {
  /** Type of the condition, in CamelCase (Ready, Reconciling, Degraded, Stalled). */
  type: string;
  /** Status of the condition. */
  status: ConditionStatus;
  /** The metadata.generation the condition was set from. */
  observedGeneration?: number;
  /** RFC 3339 time the condition last changed status. */
  lastTransitionTime: string;
  /** Programmatic identifier of the last transition, in CamelCase. */
  reason: string;
  /** Human-readable details of the last transition; may be empty. */
  message: string;
}

/** One cause of a failed request, pointing at the field at fault. */
export interface StatusCause {
  /** Machine-readable cause (e.g. FieldValueRequired). */
  reason?: string;
  /** Human-readable description of the cause. */
  message?: string;
  /** Path of the field at fault, in Kubernetes style (e.g. spec.states[0].preset). */
  field?: string;
}

/** Extra data about a failed request. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** The machine-readable reasons of a failed request's Status. */
export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'Expired'
  | 'Timeout'
  | 'ServerTimeout'
  | 'InternalError'
  | 'ServiceUnavailable';

/** The body of every error response (and of some successful deletes). */
export interface Status {
  apiVersion: 'v1';
  kind: 'Status';
  metadata: ListMeta;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  /** The HTTP status code. */
  code: number;
}

/** The parts every object of every kind has. */
export interface KubeObject extends TypeMeta {
  metadata: ObjectMeta;
}

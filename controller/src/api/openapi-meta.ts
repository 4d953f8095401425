// The apimachinery schemas (ObjectMeta, ListMeta, Status, ...) every OpenAPI document references, with
// descriptions so `kubectl explain <kind>.metadata` has something to print. Written for OpenAPI 3.0
// (`#/components/schemas/...` references); openapi.ts rewrites the references for Swagger 2.0.

export type Schema = Record<string, unknown>;

export const COMPONENTS = '#/components/schemas/';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

export const OBJECT_META = `${META}.ObjectMeta`;
export const LIST_META = `${META}.ListMeta`;
export const STATUS = `${META}.Status`;
export const STATUS_CAUSE = `${META}.StatusCause`;
export const STATUS_DETAILS = `${META}.StatusDetails`;
export const TIME = `${META}.Time`;
export const WATCH_EVENT = `${META}.WatchEvent`;
export const DELETE_OPTIONS = `${META}.DeleteOptions`;
export const PRECONDITIONS = `${META}.Preconditions`;
export const OWNER_REFERENCE = `${META}.OwnerReference`;
export const MANAGED_FIELDS_ENTRY = `${META}.ManagedFieldsEntry`;
export const FIELDS_V1 = `${META}.FieldsV1`;
export const PATCH = `${META}.Patch`;
export const RAW_EXTENSION = 'io.k8s.apimachinery.pkg.runtime.RawExtension';

/**
 * A reference to a component schema. With the description of the field that holds it, the reference is
 * wrapped in `allOf` as kube-apiserver publishes OpenAPI v3 (siblings of a bare `$ref` are ignored in
 * OpenAPI 3.0), and `kubectl explain` then prints the field's description and the referenced type's.
 */
export function ref(name: string, description?: string): Schema {
  return description === undefined ? { $ref: COMPONENTS + name } : { allOf: [{ $ref: COMPONENTS + name }], description };
}

export const API_VERSION_DESCRIPTION =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
export const KIND_DESCRIPTION =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';
export const OBJECT_METADATA_DESCRIPTION =
  "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
export const LIST_METADATA_DESCRIPTION =
  'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';
export const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
export const CREATION_TIMESTAMP_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

const str = (description: string): Schema => ({ type: 'string', description });
const int64 = (description: string): Schema => ({ type: 'integer', format: 'int64', description });
const int32 = (description: string): Schema => ({ type: 'integer', format: 'int32', description });
const bool = (description: string): Schema => ({ type: 'boolean', description });
const stringMap = (description: string): Schema => ({ type: 'object', additionalProperties: { type: 'string', default: '' }, description });

export interface GVK {
  group: string;
  version: string;
  kind: string;
}

/**
 * The apimachinery schemas. `groupVersions` lists the API groups of the document, for the
 * `x-kubernetes-group-version-kind` of DeleteOptions and WatchEvent (which every group serves).
 */
export function metaSchemas(groupVersions: Array<{ group: string; version: string }>): Record<string, Schema> {
  const gvks = (kind: string): GVK[] => {
    const all = [{ group: '', version: 'v1' }, ...groupVersions];
    const seen = new Set<string>();
    return all
      .filter((gv) => (seen.has(`${gv.group}/${gv.version}`) ? false : (seen.add(`${gv.group}/${gv.version}`), true)))
      .map((gv) => ({ group: gv.group, version: gv.version, kind }));
  };
  return {
    [OBJECT_META]: {
      description: 'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
      type: 'object',
      properties: {
        annotations: stringMap(
          'Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata. They are not queryable and should be preserved when modifying objects. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations',
        ),
        creationTimestamp: ref(TIME, CREATION_TIMESTAMP_DESCRIPTION),
        deletionGracePeriodSeconds: int64(
          'Number of seconds allowed for this object to gracefully terminate before it will be removed from the system. Only set when deletionTimestamp is also set. May only be shortened. Read-only.',
        ),
        deletionTimestamp: ref(
          TIME,
          'DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted. This field is set by the server when a graceful deletion is requested by the user, and is not directly settable by a client. The resource is expected to be deleted (no longer visible from resource lists, and not reachable by name) after the time in this field, once the finalizers list is empty. As long as the finalizers list contains items, deletion is blocked. Once the deletionTimestamp is set, this value may not be unset or be set further into the future, although it may be shortened or the resource may be deleted prior to this time.\n\nPopulated by the system when a graceful deletion is requested. Read-only. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
        ),
        finalizers: {
          type: 'array',
          items: { type: 'string', default: '' },
          description:
            'Must be empty before the object is deleted from the registry. Each entry is an identifier for the responsible component that will remove the entry from the list. If the deletionTimestamp of the object is non-nil, entries in this list can only be removed. Finalizers may be processed and removed in any order. Order is NOT enforced because it introduces significant risk of stuck finalizers. finalizers is a shared field, any actor with permission can reorder it.',
          'x-kubernetes-list-type': 'set',
          'x-kubernetes-patch-strategy': 'merge',
        },
        generateName: str(
          'GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided. If this field is used, the name returned to the client will be different than the name passed. This value will also be combined with a unique suffix. The provided value has the same validation rules as the Name field, and may be truncated by the length of the suffix required to make the value unique on the server.\n\nIf this field is specified and the generated name exists, the server will return a 409.\n\nApplied only if Name is not specified. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#idempotency',
        ),
        generation: int64('A sequence number representing a specific generation of the desired state. Populated by the system. Read-only.'),
        labels: stringMap(
          'Map of string keys and values that can be used to organize and categorize (scope and select) objects. May match selectors of replication controllers and services. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels',
        ),
        managedFields: {
          type: 'array',
          items: ref(MANAGED_FIELDS_ENTRY),
          description:
            "ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow. This is mostly for internal housekeeping, and users typically shouldn't need to set or understand this field. A workflow can be the user's name, a controller's name, or the name of a specific apply path like \"ci-cd\". The set of fields is always in the version that the workflow used when modifying the object.",
          'x-kubernetes-list-type': 'atomic',
        },
        name: str(NAME_DESCRIPTION),
        namespace: str(
          'Namespace defines the space within which each name must be unique. An empty namespace is equivalent to the "default" namespace, but "default" is the canonical representation. Not all objects are required to be scoped to a namespace - the value of this field for those objects will be empty.\n\nMust be a DNS_LABEL. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces',
        ),
        ownerReferences: {
          type: 'array',
          items: ref(OWNER_REFERENCE),
          description:
            'List of objects depended by this object. If ALL objects in the list have been deleted, this object will be garbage collected. If this object is managed by a controller, then an entry in this list will point to this controller, with the controller field set to true. There cannot be more than one managing controller.',
          'x-kubernetes-list-map-keys': ['uid'],
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-patch-merge-key': 'uid',
          'x-kubernetes-patch-strategy': 'merge',
        },
        resourceVersion: str(
          'An opaque value that represents the internal version of this object that can be used by clients to determine when objects have changed. May be used for optimistic concurrency, change detection, and the watch operation on a resource or set of resources. Clients must treat these values as opaque and passed unmodified back to the server. They may only be valid for a particular resource or set of resources.\n\nPopulated by the system. Read-only. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#concurrency-control-and-consistency',
        ),
        selfLink: str('Deprecated: selfLink is a legacy read-only field that is no longer populated by the system.'),
        uid: str(
          'UID is the unique in time and space value for this object. It is typically generated by the server on successful creation of a resource and is not allowed to change on PUT operations.\n\nPopulated by the system. Read-only. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#uids',
        ),
      },
    },
    [LIST_META]: {
      description: 'ListMeta describes metadata that synthetic resources must have, including lists and various status objects. A resource may have only one of {ObjectMeta, ListMeta}.',
      type: 'object',
      properties: {
        continue: str(
          'continue may be set if the user set a limit on the number of items returned, and indicates that the server has more data available. The value is opaque and may be used to issue another request to the endpoint that served this list to retrieve the next set of available objects. Continuing a consistent list may not be possible if the server configuration has changed or more than a few minutes have passed. The resourceVersion field returned when using this continue value will be identical to the value in the first response, unless you have received this token from an error message.',
        ),
        remainingItemCount: int64(
          'remainingItemCount is the number of subsequent items in the list which are not included in this list response. If the list request contained label or field selectors, then the number of remaining items is unknown and the field will be left unset and omitted during serialization. If the list is complete (either because it is not chunking or because this is the last chunk), then there are no more remaining items and this field will be left unset and omitted during serialization.',
        ),
        resourceVersion: str(
          "String that identifies the server's internal version of this object that can be used by clients to determine when objects have changed. Value must be treated as opaque by clients and passed unmodified back to the server. Populated by the system. Read-only. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#concurrency-control-and-consistency",
        ),
        selfLink: str('Deprecated: selfLink is a legacy read-only field that is no longer populated by the system.'),
      },
    },
    [STATUS]: {
      description: 'Status is a return value for calls that don\'t return other objects.',
      type: 'object',
      properties: {
        apiVersion: str(API_VERSION_DESCRIPTION),
        code: int32('Suggested HTTP return code for this status, 0 if not set.'),
        details: ref(
          STATUS_DETAILS,
          'Extended data associated with the reason.  Each reason may define its own extended details. This field is optional and the data returned is not guaranteed to conform to any schema except that defined by the reason type.',
        ),
        kind: str(KIND_DESCRIPTION),
        message: str('A human-readable description of the status of this operation.'),
        metadata: ref(LIST_META, LIST_METADATA_DESCRIPTION),
        reason: str(
          'A machine-readable description of why this operation is in the "Failure" status. If this value is empty there is no information available. A Reason clarifies an HTTP status code but does not override it.',
        ),
        status: str('Status of the operation. One of: "Success" or "Failure". More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status'),
      },
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'Status', version: 'v1' }],
    },
    [STATUS_CAUSE]: {
      description: 'StatusCause provides more information about an api.Status failure, including cases when multiple errors are encountered.',
      type: 'object',
      properties: {
        field: str(
          'The field of the resource that has caused this error, as named by its JSON serialization. May include dot and postfix notation for nested attributes. Arrays are zero-indexed.  Fields may appear more than once in an array of causes due to fields having multiple errors. Optional.\n\nExamples:\n  "name" - the field "name" on the current resource\n  "items[0].name" - the field "name" on the first array entry in "items"',
        ),
        message: str('A human-readable description of the cause of the error.  This field may be presented as-is to a reader.'),
        reason: str('A machine-readable description of the cause of the error. If this value is empty there is no information available.'),
      },
    },
    [STATUS_DETAILS]: {
      description:
        'StatusDetails is a set of additional properties that MAY be set by the server to provide additional information about a response. The Reason field of a Status object defines what attributes will be set. Clients must ignore fields that do not match the defined type of each attribute, and should assume that any attribute may be empty, invalid, or under defined.',
      type: 'object',
      properties: {
        causes: {
          type: 'array',
          items: ref(STATUS_CAUSE),
          description: 'The Causes array includes more details associated with the StatusReason failure. Not all StatusReasons may provide detailed causes.',
          'x-kubernetes-list-type': 'atomic',
        },
        group: str('The group attribute of the resource associated with the status StatusReason.'),
        kind: str(
          'The kind attribute of the resource associated with the status StatusReason. On some operations may differ from the requested resource Kind. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
        ),
        name: str('The name attribute of the resource associated with the status StatusReason (when there is a single name which can be described).'),
        retryAfterSeconds: int32('If specified, the time in seconds before the operation should be retried. Some errors may indicate the client must take an alternate action - for those errors this field may indicate how long to wait before taking the alternate action.'),
        uid: str('UID of the resource. (when there is a single resource which can be described). More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#uids'),
      },
    },
    [TIME]: {
      description: 'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.  Wrappers are provided for many of the factory methods that the time package offers.',
      type: 'string',
      format: 'date-time',
    },
    [WATCH_EVENT]: {
      description: 'Event represents a single event to a watched resource.',
      type: 'object',
      required: ['type', 'object'],
      properties: {
        object: ref(
          RAW_EXTENSION,
          'Object is:\n * If Type is Added or Modified: the new state of the object.\n * If Type is Deleted: the state of the object immediately before deletion.\n * If Type is Error: *Status is recommended; other types may make sense\n   depending on context.',
        ),
        type: { type: 'string', default: '', description: 'The type of the event: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.' },
      },
      'x-kubernetes-group-version-kind': gvks('WatchEvent'),
    },
    [RAW_EXTENSION]: {
      description: 'RawExtension is used to hold extensions in external versions: an embedded object, serialized as JSON.',
      type: 'object',
    },
    [DELETE_OPTIONS]: {
      description: 'DeleteOptions may be provided when deleting an API object.',
      type: 'object',
      properties: {
        apiVersion: str(API_VERSION_DESCRIPTION),
        dryRun: {
          type: 'array',
          items: { type: 'string', default: '' },
          description:
            'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed',
          'x-kubernetes-list-type': 'atomic',
        },
        gracePeriodSeconds: int64(
          'The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately.',
        ),
        kind: str(KIND_DESCRIPTION),
        orphanDependents: bool(
          'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the "orphan" finalizer will be added to/removed from the object\'s finalizers list. Either this field or PropagationPolicy may be set, but not both.',
        ),
        preconditions: ref(PRECONDITIONS, 'Must be fulfilled before a deletion is carried out. If not possible, a 409 Conflict status will be returned.'),
        propagationPolicy: str(
          "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground.",
        ),
      },
      'x-kubernetes-group-version-kind': gvks('DeleteOptions'),
    },
    [PRECONDITIONS]: {
      description: 'Preconditions must be fulfilled before an operation (update, delete, etc.) is carried out.',
      type: 'object',
      properties: {
        resourceVersion: str('Specifies the target ResourceVersion'),
        uid: str('Specifies the target UID.'),
      },
    },
    [OWNER_REFERENCE]: {
      description:
        'OwnerReference contains enough information to let you identify an owning object. An owning object must be in the same namespace as the dependent, or be cluster-scoped, so there is no namespace field.',
      type: 'object',
      required: ['apiVersion', 'kind', 'name', 'uid'],
      properties: {
        apiVersion: { type: 'string', default: '', description: 'API version of the referent.' },
        blockOwnerDeletion: bool(
          'If true, AND if the owner has the "foregroundDeletion" finalizer, then the owner cannot be deleted from the key-value store until this reference is removed. Defaults to false.',
        ),
        controller: bool('If true, this reference points to the managing controller.'),
        kind: { type: 'string', default: '', description: 'Kind of the referent. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds' },
        name: { type: 'string', default: '', description: 'Name of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names' },
        uid: { type: 'string', default: '', description: 'UID of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#uids' },
      },
      'x-kubernetes-map-type': 'atomic',
    },
    [MANAGED_FIELDS_ENTRY]: {
      description: 'ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that the fieldset applies to.',
      type: 'object',
      properties: {
        apiVersion: str(
          'APIVersion defines the version of this resource that this field set applies to. The format is "group/version" just like the top-level APIVersion field. It is necessary to track the version of a field set because it cannot be automatically converted.',
        ),
        fieldsType: str('FieldsType is the discriminator for the different fields format and version. There is currently only one possible value: "FieldsV1"'),
        fieldsV1: ref(FIELDS_V1, 'FieldsV1 holds the first JSON version format as described in the "FieldsV1" type.'),
        manager: str('Manager is an identifier of the workflow managing these fields.'),
        operation: str("Operation is the type of operation which lead to this ManagedFieldsEntry being created. The only valid values for this field are 'Apply' and 'Update'."),
        subresource: str(
          'Subresource is the name of the subresource used to update that object, or empty string if the object was updated through the main resource. The value of this field is used to distinguish between managers, even if they share the same name. For example, a status update will be distinct from a regular update using the same manager name. Note that the APIVersion field is not related to the Subresource field and it always corresponds to the version of the main resource.',
        ),
        time: ref(TIME, "Time is the timestamp of when the ManagedFields entry was added. The timestamp will also be updated if a field is added, the manager changes any of the owned fields value or removes a field. The timestamp does not update when a field is removed from the entry because another manager took it over."),
      },
    },
    [FIELDS_V1]: {
      description:
        "FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.\n\nEach key is either a '.' representing the field itself, and will always map to an empty set, or a string representing a sub-field or item. The string will follow one of these four formats: 'f:<name>', where <name> is the name of a field in a struct, or key in a map 'v:<value>', where <value> is the exact json formatted value of a list item 'i:<index>', where <index> is position of a item in a list 'k:<keys>', where <keys> is a map of  a list item's key fields to their unique values If a key maps to an empty Fields value, the field that key represents is part of the set.\n\nThe exact format is defined in sigs.k8s.io/structured-merge-diff",
      type: 'object',
    },
    [PATCH]: {
      description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
      type: 'object',
    },
  };
}

// ---------------------------------------------------------------------------------------------
// core/v1 Namespace

export const NAMESPACE = 'io.k8s.api.core.v1.Namespace';
export const NAMESPACE_LIST = 'io.k8s.api.core.v1.NamespaceList';
const NAMESPACE_SPEC = 'io.k8s.api.core.v1.NamespaceSpec';
const NAMESPACE_STATUS = 'io.k8s.api.core.v1.NamespaceStatus';
const NAMESPACE_CONDITION = 'io.k8s.api.core.v1.NamespaceCondition';

/** The schemas of the core/v1 document: Namespace and what it references. */
export function namespaceSchemas(): Record<string, Schema> {
  return {
    [NAMESPACE]: {
      description: 'Namespace provides a scope for Names. Use of multiple namespaces is optional.',
      type: 'object',
      properties: {
        apiVersion: str(API_VERSION_DESCRIPTION),
        kind: str(KIND_DESCRIPTION),
        metadata: ref(OBJECT_META, OBJECT_METADATA_DESCRIPTION),
        spec: ref(NAMESPACE_SPEC, 'Spec defines the behavior of the Namespace. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status'),
        status: ref(NAMESPACE_STATUS, 'Status describes the current status of a Namespace. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status'),
      },
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'Namespace', version: 'v1' }],
    },
    [NAMESPACE_LIST]: {
      description: 'NamespaceList is a list of Namespaces.',
      type: 'object',
      required: ['items'],
      properties: {
        apiVersion: str(API_VERSION_DESCRIPTION),
        items: {
          type: 'array',
          items: ref(NAMESPACE),
          description: 'Items is the list of Namespace objects in the list. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/',
        },
        kind: str(KIND_DESCRIPTION),
        metadata: ref(LIST_META, LIST_METADATA_DESCRIPTION),
      },
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'NamespaceList', version: 'v1' }],
    },
    [NAMESPACE_SPEC]: {
      description: 'NamespaceSpec describes the attributes on a Namespace.',
      type: 'object',
      properties: {
        finalizers: {
          type: 'array',
          items: { type: 'string', default: '' },
          description: 'Finalizers is an opaque list of values that must be empty to permanently remove object from storage. More info: https://kubernetes.io/docs/tasks/administer-cluster/namespaces/',
          'x-kubernetes-list-type': 'atomic',
        },
      },
    },
    [NAMESPACE_STATUS]: {
      description: 'NamespaceStatus is information about the current status of a Namespace.',
      type: 'object',
      properties: {
        conditions: {
          type: 'array',
          items: ref(NAMESPACE_CONDITION),
          description: "Represents the latest available observations of a namespace's current state.",
          'x-kubernetes-list-map-keys': ['type'],
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-patch-merge-key': 'type',
          'x-kubernetes-patch-strategy': 'merge',
        },
        phase: {
          type: 'string',
          enum: ['Active', 'Terminating'],
          description: 'Phase is the current lifecycle phase of the namespace. More info: https://kubernetes.io/docs/tasks/administer-cluster/namespaces/\n\nPossible enum values:\n - `"Active"` means the namespace is available for use in the system\n - `"Terminating"` means the namespace is undergoing graceful termination',
        },
      },
    },
    [NAMESPACE_CONDITION]: {
      description: 'NamespaceCondition contains details about state of namespace.',
      type: 'object',
      required: ['type', 'status'],
      properties: {
        lastTransitionTime: ref(TIME, 'Last time the condition transitioned from one status to another.'),
        message: str('Human-readable message indicating details about last transition.'),
        reason: str("Unique, one-word, CamelCase reason for the condition's last transition."),
        status: { type: 'string', default: '', description: 'Status of the condition, one of True, False, Unknown.' },
        type: { type: 'string', default: '', description: 'Type of namespace controller condition.' },
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// apiextensions.k8s.io/v1 CustomResourceDefinition (served read-only)

const APIEXT = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1';
export const CRD = `${APIEXT}.CustomResourceDefinition`;
export const CRD_LIST = `${APIEXT}.CustomResourceDefinitionList`;
const CRD_SPEC = `${APIEXT}.CustomResourceDefinitionSpec`;
const CRD_NAMES = `${APIEXT}.CustomResourceDefinitionNames`;
const CRD_VERSION = `${APIEXT}.CustomResourceDefinitionVersion`;
const CRD_COLUMN = `${APIEXT}.CustomResourceColumnDefinition`;
const CRD_VALIDATION = `${APIEXT}.CustomResourceValidation`;
const CRD_SUBRESOURCES = `${APIEXT}.CustomResourceSubresources`;
const CRD_STATUS = `${APIEXT}.CustomResourceDefinitionStatus`;

/** Fields this document does not describe are allowed (the schema documents, it does not police). */
const OPEN = { 'x-kubernetes-preserve-unknown-fields': true } as const;

/**
 * The schemas of the apiextensions.k8s.io/v1 document. They describe the commonly written fields with
 * their descriptions but are deliberately permissive (x-kubernetes-preserve-unknown-fields on every
 * object), so any valid CRD manifest passes any client-side check made against them.
 */
export function crdSchemas(): Record<string, Schema> {
  const gvk = (kind: string): GVK[] => [{ group: 'apiextensions.k8s.io', kind, version: 'v1' }];
  return {
    [CRD]: {
      description: 'CustomResourceDefinition represents a resource that should be exposed on the API server.  Its name MUST be in the format <.spec.name>.<.spec.group>.',
      type: 'object',
      required: ['spec'],
      properties: {
        apiVersion: str(API_VERSION_DESCRIPTION),
        kind: str(KIND_DESCRIPTION),
        metadata: ref(OBJECT_META, OBJECT_METADATA_DESCRIPTION),
        spec: ref(CRD_SPEC, 'spec describes how the user wants the resources to appear'),
        status: ref(CRD_STATUS, 'status indicates the actual state of the CustomResourceDefinition'),
      },
      'x-kubernetes-group-version-kind': gvk('CustomResourceDefinition'),
    },
    [CRD_LIST]: {
      description: 'CustomResourceDefinitionList is a list of CustomResourceDefinition objects.',
      type: 'object',
      required: ['items'],
      properties: {
        apiVersion: str(API_VERSION_DESCRIPTION),
        items: { type: 'array', items: ref(CRD), description: 'items list individual CustomResourceDefinition objects' },
        kind: str(KIND_DESCRIPTION),
        metadata: ref(LIST_META, LIST_METADATA_DESCRIPTION),
      },
      'x-kubernetes-group-version-kind': gvk('CustomResourceDefinitionList'),
    },
    [CRD_SPEC]: {
      description: 'CustomResourceDefinitionSpec describes how a user wants their resource to appear',
      type: 'object',
      required: ['group', 'names', 'scope', 'versions'],
      properties: {
        conversion: { type: 'object', description: 'conversion defines conversion settings for the CRD.', ...OPEN },
        group: str('group is the API group of the defined custom resource. The custom resources are served under `/apis/<group>/...`. Must match the name of the CustomResourceDefinition (in the form `<names.plural>.<group>`).'),
        names: ref(CRD_NAMES, 'names specify the resource and kind names for the custom resource.'),
        preserveUnknownFields: bool('preserveUnknownFields indicates that object fields which are not specified in the OpenAPI schema should be preserved when persisting to storage. apiVersion, kind, metadata and known fields inside metadata are always preserved.'),
        scope: str('scope indicates whether the defined custom resource is cluster- or namespace-scoped. Allowed values are `Cluster` and `Namespaced`.'),
        versions: {
          type: 'array',
          items: ref(CRD_VERSION),
          description: 'versions is the list of all API versions of the defined custom resource. Version names are used to compute the order in which served versions are listed in API discovery.',
          'x-kubernetes-list-type': 'atomic',
        },
      },
      ...OPEN,
    },
    [CRD_NAMES]: {
      description: 'CustomResourceDefinitionNames indicates the names to serve this CustomResourceDefinition',
      type: 'object',
      required: ['plural', 'kind'],
      properties: {
        categories: { type: 'array', items: { type: 'string', default: '' }, description: 'categories is a list of grouped resources this custom resource belongs to (e.g. \'all\'). This is published in API discovery documents, and used by clients to support invocations like `kubectl get all`.', 'x-kubernetes-list-type': 'atomic' },
        kind: str('kind is the serialized kind of the resource. It is normally CamelCase and singular. Custom resource instances will use this value as the `kind` attribute in API calls.'),
        listKind: str('listKind is the serialized kind of the list for this resource. Defaults to "`kind`List".'),
        plural: str('plural is the plural name of the resource to serve. The custom resources are served under `/apis/<group>/<version>/.../<plural>`. Must match the name of the CustomResourceDefinition (in the form `<names.plural>.<group>`). Must be all lowercase.'),
        shortNames: { type: 'array', items: { type: 'string', default: '' }, description: 'shortNames are short names for the resource, exposed in API discovery documents, and used by clients to support invocations like `kubectl get <shortname>`. It must be all lowercase.', 'x-kubernetes-list-type': 'atomic' },
        singular: str('singular is the singular name of the resource. It must be all lowercase. Defaults to lowercased `kind`.'),
      },
      ...OPEN,
    },
    [CRD_VERSION]: {
      description: 'CustomResourceDefinitionVersion describes a version for CRD.',
      type: 'object',
      required: ['name', 'served', 'storage'],
      properties: {
        additionalPrinterColumns: {
          type: 'array',
          items: ref(CRD_COLUMN),
          description: 'additionalPrinterColumns specifies additional columns returned in Table output. If no columns are specified, a single column displaying the age of the custom resource is used.',
          'x-kubernetes-list-type': 'atomic',
        },
        deprecated: bool('deprecated indicates this version of the custom resource API is deprecated.'),
        deprecationWarning: str('deprecationWarning overrides the default warning returned to API clients. May only be set when `deprecated` is true.'),
        name: str('name is the version name, e.g. “v1”, “v2beta1”, etc. The custom resources are served under this version at `/apis/<group>/<version>/...` if `served` is true.'),
        schema: ref(CRD_VALIDATION, 'schema describes the schema used for validation, pruning, and defaulting of this version of the custom resource.'),
        selectableFields: { type: 'array', items: { type: 'object', ...OPEN }, description: 'selectableFields specifies paths to fields that may be used as field selectors.', 'x-kubernetes-list-type': 'atomic' },
        served: bool('served is a flag enabling/disabling this version from being served via REST APIs'),
        storage: bool('storage indicates this version should be used when persisting custom resources to storage. There must be exactly one version with storage=true.'),
        subresources: ref(CRD_SUBRESOURCES, 'subresources specify what subresources this version of the defined custom resource have.'),
      },
      ...OPEN,
    },
    [CRD_COLUMN]: {
      description: 'CustomResourceColumnDefinition specifies a column for server side printing.',
      type: 'object',
      required: ['name', 'type', 'jsonPath'],
      properties: {
        description: str('description is a human readable description of this column.'),
        format: str("format is an optional OpenAPI type definition for this column. The 'name' format is applied to the primary identifier column to assist in clients identifying column is the resource name."),
        jsonPath: str('jsonPath is a simple JSON path (i.e. with array notation) which is evaluated against each custom resource to produce the value for this column.'),
        name: str('name is a human readable name for the column.'),
        priority: int32('priority is an integer defining the relative importance of this column compared to others. Lower numbers are considered higher priority. Columns that may be omitted in limited space scenarios should be given a priority greater than 0.'),
        type: str('type is an OpenAPI type definition for this column: integer, number, string, boolean or date.'),
      },
      ...OPEN,
    },
    [CRD_VALIDATION]: {
      description: 'CustomResourceValidation is a list of validation methods for CustomResources.',
      type: 'object',
      properties: {
        openAPIV3Schema: { type: 'object', description: 'openAPIV3Schema is the OpenAPI v3 schema to use for validation and pruning.', ...OPEN },
      },
      ...OPEN,
    },
    [CRD_SUBRESOURCES]: {
      description: 'CustomResourceSubresources defines the status and scale subresources for CustomResources.',
      type: 'object',
      properties: {
        scale: { type: 'object', description: 'scale indicates the custom resource should serve a `/scale` subresource that returns an `autoscaling/v1` Scale object.', ...OPEN },
        status: { type: 'object', description: 'status indicates the custom resource should serve a `/status` subresource. When enabled, requests to the custom resource primary endpoint ignore changes to the `status` stanza of the object and requests to the custom resource `/status` subresource ignore changes to anything other than the `status` stanza of the object.', ...OPEN },
      },
      ...OPEN,
    },
    [CRD_STATUS]: {
      description: 'CustomResourceDefinitionStatus indicates the state of the CustomResourceDefinition',
      type: 'object',
      ...OPEN,
    },
  };
}

// OpenAPI documents generated from the CRD schemas, in the shape kubectl reads them:
//   GET /openapi/v3                      -> openapiV3Root(defs)
//   GET /openapi/v3/apis/hyprbox.io/v1alpha1 -> openapiV3Group(defs)
//   GET /openapi/v3/api/v1               -> openapiV3Core()
//   GET /openapi/v3/apis/apiextensions.k8s.io/v1 -> openapiV3Apiextensions()
//   GET /openapi/v2 (JSON, and protobuf) -> openapiV2(defs), encoded by openapi-proto.ts
// What kubectl 1.32 relies on:
// - explain: a schema in components.schemas whose `x-kubernetes-group-version-kind` is a LIST holding
//   the kind's GVK, reached from a path's operation carrying the GVK; descriptions on fields.
// - apply/create/replace validation: for each kind, a PATCH operation whose
//   `x-kubernetes-group-version-kind` is an OBJECT equal to the GVK and which has a `fieldValidation`
//   query parameter (inline, not a $ref). Then kubectl relies on server-side validation
//   (`?fieldValidation=Strict`) instead of validating the object itself. This is why the Namespace and
//   CustomResourceDefinition documents describe a PATCH operation although those resources do not list
//   the `patch` verb in discovery (the server answers 405 to it).
// - otherwise (a kind no v3 document has: every `kind: List`, whose items it then checks one by one, and
//   unknown kinds) kubectl falls back to /openapi/v2 in protobuf, served from the same document as the
//   JSON, and validates client-side against the v2 schemas. Those must not be stricter than the server:
//   see forKubectlV2.
// - apply must NOT find `application/strategic-merge-patch+json` among a kind's PATCH request content
//   types, or it computes a strategic merge patch, which the server does not support for these kinds.
import { createHash } from 'node:crypto';
import { API_VERSION } from '@hyprbox/crds';
import type { ResourceDef } from '@hyprbox/crds';
import { APIEXTENSIONS_GROUP, APIEXTENSIONS_VERSION, KUBE_VERSION } from './discovery.js';
import {
  API_VERSION_DESCRIPTION,
  COMPONENTS,
  CRD,
  CRD_LIST,
  DELETE_OPTIONS,
  KIND_DESCRIPTION,
  LIST_META,
  LIST_METADATA_DESCRIPTION,
  NAMESPACE,
  NAMESPACE_LIST,
  OBJECT_META,
  OBJECT_METADATA_DESCRIPTION,
  PATCH,
  STATUS,
  WATCH_EVENT,
  crdSchemas,
  metaSchemas,
  namespaceSchemas,
  ref,
} from './openapi-meta.js';
import type { GVK, Schema } from './openapi-meta.js';

export type { GVK, Schema } from './openapi-meta.js';
export type OpenAPIDocument = Record<string, unknown>;

/** The root of GET /openapi/v3. */
export interface OpenAPIV3Root {
  paths: Record<string, { serverRelativeURL: string }>;
}

export const CORE_PATH = 'api/v1';
export const APIEXTENSIONS_PATH = `apis/${APIEXTENSIONS_GROUP}/${APIEXTENSIONS_VERSION}`;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k] as T]));
}

/** The component schema name of a kind: `io.hyprbox.v1alpha1.Node` for hyprbox.io/v1alpha1 Node. */
export function schemaName(group: string, version: string, kind: string): string {
  const prefix = group === '' ? 'io.k8s.api.core' : group.split('.').reverse().join('.');
  return `${prefix}.${version}.${kind}`;
}

/** The sha512 of a document's JSON (JSON.stringify), upper-case hex, as kube-apiserver computes its ETag. */
export function openapiHash(doc: unknown): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
}

// ---------------------------------------------------------------------------------------------
// Schemas

/** Keys JSON Schema drafts allow but an OpenAPI 3.0 Schema Object does not. */
const NOT_OPENAPI3 = new Set(['$schema', 'id', '$id', 'definitions', 'dependencies', 'patternProperties', 'additionalItems']);

/**
 * A deep copy of a CRD schema as an OpenAPI 3.0 schema: keys OpenAPI 3.0 rejects are dropped, all
 * `x-kubernetes-*` extensions and descriptions kept; embedded resources (x-kubernetes-embedded-resource)
 * get apiVersion, kind and metadata as the apiserver publishes them.
 */
export function toOpenAPIV3Schema(s: unknown): Schema {
  if (!isObject(s)) return {};
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (NOT_OPENAPI3.has(k)) continue;
    if (k === 'properties' && isObject(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, sub]) => [name, toOpenAPIV3Schema(sub)]));
    } else if (k === 'items') {
      out[k] = toOpenAPIV3Schema(Array.isArray(v) ? v[0] : v);
    } else if (k === 'additionalProperties') {
      out[k] = typeof v === 'boolean' ? v : toOpenAPIV3Schema(v);
    } else if ((k === 'allOf' || k === 'anyOf' || k === 'oneOf') && Array.isArray(v)) {
      out[k] = v.map(toOpenAPIV3Schema);
    } else if (k === 'not') {
      out[k] = toOpenAPIV3Schema(v);
    } else {
      out[k] = structuredClone(v);
    }
  }
  if (out['x-kubernetes-embedded-resource'] === true) {
    const props = isObject(out.properties) ? (out.properties as Record<string, Schema>) : {};
    out.properties = {
      apiVersion: { type: 'string', description: API_VERSION_DESCRIPTION },
      kind: { type: 'string', description: KIND_DESCRIPTION },
      metadata: ref(OBJECT_META, OBJECT_METADATA_DESCRIPTION),
      ...props,
    };
  }
  return out;
}

function withDescription(s: Schema | undefined, fallback: string): Schema {
  const base: Schema = s ?? { type: 'string' };
  return typeof base.description === 'string' ? base : { ...base, description: fallback };
}

/** The component schema of a kind: its CRD schema with TypeMeta/ObjectMeta and the GVK list. */
export function kindSchema(def: ResourceDef): Schema {
  const base = toOpenAPIV3Schema(def.schema);
  const props = isObject(base.properties) ? (base.properties as Record<string, Schema>) : {};
  const { apiVersion, kind, metadata, ...rest } = props;
  const metaDescription = typeof metadata?.description === 'string' ? metadata.description : OBJECT_METADATA_DESCRIPTION;
  return {
    ...base,
    type: 'object',
    properties: {
      apiVersion: withDescription(apiVersion, API_VERSION_DESCRIPTION),
      kind: withDescription(kind, KIND_DESCRIPTION),
      metadata: ref(OBJECT_META, metaDescription),
      ...rest,
    },
    'x-kubernetes-group-version-kind': [{ group: def.group, kind: def.kind, version: def.version }],
  };
}

/** The component schema of a kind's list. */
export function listSchema(def: ResourceDef): Schema {
  return {
    description: `${def.listKind} is a list of ${def.kind}`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { type: 'string', description: API_VERSION_DESCRIPTION },
      items: {
        type: 'array',
        items: ref(schemaName(def.group, def.version, def.kind)),
        description: `List of ${def.plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`,
      },
      kind: { type: 'string', description: KIND_DESCRIPTION },
      metadata: ref(LIST_META, LIST_METADATA_DESCRIPTION),
    },
    'x-kubernetes-group-version-kind': [{ group: def.group, kind: def.listKind, version: def.version }],
  };
}

// ---------------------------------------------------------------------------------------------
// Paths and operations

interface Parameter {
  name: string;
  in: 'query' | 'path';
  description: string;
  required?: boolean;
  schema: Schema;
}

const query = (name: string, description: string, type = 'string'): Parameter => ({ name, in: 'query', description, schema: { type } });

const P = {
  pretty: query('pretty', "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget)."),
  dryRun: query(
    'dryRun',
    'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed',
  ),
  fieldManager: query(
    'fieldManager',
    'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.',
  ),
  fieldManagerPatch: query(
    'fieldManager',
    'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint. This field is required for apply requests (application/apply-patch) but optional for non-apply patch types (JsonPatch, MergePatch).',
  ),
  fieldValidation: query(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: unknown fields are silently dropped from the object, and all but the last duplicate field are ignored. - Warn: a warning is sent via the standard warning response header for each unknown field that is dropped and for each duplicate field; the request still succeeds if there are no other errors. - Strict: the request fails with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present; the error names all unknown and duplicate fields.',
  ),
  force: query(
    'force',
    'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.',
    'boolean',
  ),
  allowWatchBookmarks: query('allowWatchBookmarks', 'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers that do not implement bookmarks may ignore this flag.', 'boolean'),
  continue: query(
    'continue',
    'The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue).',
  ),
  fieldSelector: query('fieldSelector', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  labelSelector: query('labelSelector', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  limit: query(
    'limit',
    'limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results.',
    'integer',
  ),
  resourceVersion: query(
    'resourceVersion',
    'resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset',
  ),
  resourceVersionMatch: query(
    'resourceVersionMatch',
    'resourceVersionMatch determines how resourceVersion is applied to list calls. It is highly recommended that resourceVersionMatch be set for list calls where resourceVersion is set See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset',
  ),
  sendInitialEvents: query(
    'sendInitialEvents',
    '`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection.',
    'boolean',
  ),
  timeoutSeconds: query('timeoutSeconds', 'Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.', 'integer'),
  watch: query('watch', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.', 'boolean'),
  gracePeriodSeconds: query(
    'gracePeriodSeconds',
    'The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately.',
    'integer',
  ),
  orphanDependents: query(
    'orphanDependents',
    'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the "orphan" finalizer will be added to/removed from the object\'s finalizers list. Either this field or PropagationPolicy may be set, but not both.',
    'boolean',
  ),
  propagationPolicy: query(
    'propagationPolicy',
    "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground.",
  ),
  namespace: { name: 'namespace', in: 'path', description: 'object name and auth scope, such as for teams and projects', required: true, schema: { type: 'string' } } as Parameter,
};

const LIST_PARAMS = [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds, P.watch];
const WRITE_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation];
const PATCH_PARAMS = [P.dryRun, P.fieldManagerPatch, P.fieldValidation, P.force];
const DELETE_PARAMS = [P.dryRun, P.gracePeriodSeconds, P.orphanDependents, P.propagationPolicy];

/** Content types of request and response bodies. */
export const BODY_CONTENT_TYPES = ['application/json', 'application/yaml'];
/** Content types of PATCH request bodies (no strategic merge patch: see the note at the top). */
export const PATCH_CONTENT_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json'];

function content(schemaRef: string, types: string[] = BODY_CONTENT_TYPES): Record<string, { schema: Schema }> {
  return Object.fromEntries(types.map((t) => [t, { schema: ref(schemaRef) }]));
}

const STATUS_TEXT: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted' };

function responses(schemaRef: string, codes: string[], extra: Record<string, string> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const code of codes) {
    const c = content(schemaRef);
    for (const [type, r] of Object.entries(extra)) c[type] = { schema: ref(r) };
    out[code] = { description: STATUS_TEXT[code] ?? code, content: c };
  }
  out['401'] = { description: 'Unauthorized' };
  return out;
}

export type Verb = 'list' | 'create' | 'deletecollection' | 'get' | 'update' | 'patch' | 'delete';

interface ResourcePathSpec {
  /** `/apis/<group>/<version>` or `/api/v1`. */
  prefix: string;
  gvk: GVK;
  plural: string;
  namespaced: boolean;
  kindSchema: string;
  listSchema: string;
  verbs: Verb[];
  /** Verbs of the status subresource (none: no status path). */
  statusVerbs: Array<'get' | 'update' | 'patch'>;
  /** Appended to the description of operations the server does not implement. */
  unsupported?: Verb[];
}

function groupWords(group: string): string[] {
  if (group === '') return ['core'];
  return group.replace(/\.k8s\.io$/, '').split(/[.-]/).filter(Boolean);
}
const upperFirst = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** The operationId infix k8s uses: `HyprboxIoV1alpha1`, `CoreV1`, `ApiextensionsV1`. */
function opIdInfix(gvk: GVK): string {
  return groupWords(gvk.group).map(upperFirst).join('') + upperFirst(gvk.version);
}
/** The tag k8s uses: `hyprboxIo_v1alpha1`, `core_v1`, `apiextensions_v1`. */
function tag(gvk: GVK): string {
  const words = groupWords(gvk.group);
  return [words[0] ?? '', ...words.slice(1).map(upperFirst)].join('') + `_${gvk.version}`;
}

/** The paths of one resource: collection, item, status, and (namespaced) the all-namespaces list. */
function resourcePaths(spec: ResourcePathSpec): Record<string, Record<string, unknown>> {
  const { gvk, plural, namespaced } = spec;
  const gvkExt = { group: gvk.group, kind: gvk.kind, version: gvk.version };
  const infix = opIdInfix(gvk);
  const ns = namespaced ? 'Namespaced' : '';
  const tags = [tag(gvk)];
  const verbs = new Set(spec.verbs);
  const unsupported = new Set(spec.unsupported ?? []);
  const nameParam: Parameter = { name: 'name', in: 'path', description: `name of the ${gvk.kind}`, required: true, schema: { type: 'string' } };
  const op = (verb: Verb | 'list-all', action: string, operationId: string, description: string, body: Record<string, unknown>): Record<string, unknown> => ({
    tags,
    description: unsupported.has(verb as Verb)
      ? `${description}. Not supported by this server (405 Method Not Allowed); described so that kubectl detects server-side field validation.`
      : description,
    operationId,
    ...body,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { ...gvkExt },
  });
  const writeBody = { required: true, content: content(spec.kindSchema) };
  const deleteBody = { content: content(DELETE_OPTIONS) };
  const patchBody = { required: true, content: content(PATCH, PATCH_CONTENT_TYPES) };

  const base = namespaced ? `${spec.prefix}/namespaces/{namespace}/${plural}` : `${spec.prefix}/${plural}`;
  const scopeParams = namespaced ? [P.namespace] : [];
  const paths: Record<string, Record<string, unknown>> = {};

  const collection: Record<string, unknown> = {};
  if (verbs.has('list')) {
    collection.get = op('list', 'list', `list${infix}${ns}${gvk.kind}`, `list or watch objects of kind ${gvk.kind}`, {
      parameters: LIST_PARAMS,
      responses: responses(spec.listSchema, ['200'], { 'application/json;stream=watch': WATCH_EVENT }),
    });
  }
  if (verbs.has('create')) {
    collection.post = op('create', 'post', `create${infix}${ns}${gvk.kind}`, `create a ${gvk.kind}`, {
      parameters: WRITE_PARAMS,
      requestBody: writeBody,
      responses: responses(spec.kindSchema, ['200', '201', '202']),
    });
  }
  if (verbs.has('deletecollection')) {
    collection.delete = op('deletecollection', 'deletecollection', `delete${infix}Collection${ns}${gvk.kind}`, `delete collection of ${gvk.kind}`, {
      parameters: [...LIST_PARAMS, ...DELETE_PARAMS],
      requestBody: deleteBody,
      responses: responses(STATUS, ['200']),
    });
  }
  if (Object.keys(collection).length > 0) paths[base] = { ...collection, parameters: [...scopeParams, P.pretty] };

  const item: Record<string, unknown> = {};
  if (verbs.has('get')) {
    item.get = op('get', 'get', `read${infix}${ns}${gvk.kind}`, `read the specified ${gvk.kind}`, { responses: responses(spec.kindSchema, ['200']) });
  }
  if (verbs.has('update')) {
    item.put = op('update', 'put', `replace${infix}${ns}${gvk.kind}`, `replace the specified ${gvk.kind}`, {
      parameters: WRITE_PARAMS,
      requestBody: writeBody,
      responses: responses(spec.kindSchema, ['200', '201']),
    });
  }
  if (verbs.has('patch')) {
    item.patch = op('patch', 'patch', `patch${infix}${ns}${gvk.kind}`, `partially update the specified ${gvk.kind}`, {
      parameters: PATCH_PARAMS,
      requestBody: patchBody,
      responses: responses(spec.kindSchema, ['200', '201']),
    });
  }
  if (verbs.has('delete')) {
    item.delete = op('delete', 'delete', `delete${infix}${ns}${gvk.kind}`, `delete a ${gvk.kind}`, {
      parameters: DELETE_PARAMS,
      requestBody: deleteBody,
      responses: responses(STATUS, ['200', '202']),
    });
  }
  if (Object.keys(item).length > 0) paths[`${base}/{name}`] = { ...item, parameters: [nameParam, ...scopeParams, P.pretty] };

  if (spec.statusVerbs.length > 0) {
    const status: Record<string, unknown> = {};
    const sv = new Set(spec.statusVerbs);
    if (sv.has('get')) {
      status.get = op('get', 'get', `read${infix}${ns}${gvk.kind}Status`, `read status of the specified ${gvk.kind}`, { responses: responses(spec.kindSchema, ['200']) });
    }
    if (sv.has('update')) {
      status.put = op('update', 'put', `replace${infix}${ns}${gvk.kind}Status`, `replace status of the specified ${gvk.kind}`, {
        parameters: WRITE_PARAMS,
        requestBody: writeBody,
        responses: responses(spec.kindSchema, ['200', '201']),
      });
    }
    if (sv.has('patch')) {
      status.patch = op('patch', 'patch', `patch${infix}${ns}${gvk.kind}Status`, `partially update status of the specified ${gvk.kind}`, {
        parameters: PATCH_PARAMS,
        requestBody: patchBody,
        responses: responses(spec.kindSchema, ['200', '201']),
      });
    }
    paths[`${base}/{name}/status`] = { ...status, parameters: [nameParam, ...scopeParams, P.pretty] };
  }

  if (namespaced && verbs.has('list')) {
    paths[`${spec.prefix}/${plural}`] = {
      get: op('list-all', 'list', `list${infix}${gvk.kind}ForAllNamespaces`, `list or watch objects of kind ${gvk.kind}`, {
        parameters: LIST_PARAMS,
        responses: responses(spec.listSchema, ['200'], { 'application/json;stream=watch': WATCH_EVENT }),
      }),
      parameters: [P.pretty],
    };
  }
  return paths;
}

function document(title: string, groupVersions: Array<{ group: string; version: string }>, schemas: Record<string, Schema>, specs: ResourcePathSpec[]): OpenAPIDocument {
  const paths: Record<string, unknown> = {};
  for (const spec of specs) Object.assign(paths, resourcePaths(spec));
  return {
    openapi: '3.0.0',
    info: { title, version: KUBE_VERSION },
    paths: sortKeys(paths),
    components: {
      schemas: sortKeys({ ...metaSchemas(groupVersions), ...schemas }),
      securitySchemes: {
        BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' },
      },
    },
    security: [{ BearerToken: [] }],
  };
}

const ALL_VERBS: Verb[] = ['list', 'create', 'deletecollection', 'get', 'update', 'patch', 'delete'];

/**
 * The OpenAPI v3 document of one HyprBox group version (hyprbox.io/v1alpha1 unless given): a schema per
 * kind (`io.hyprbox.v1alpha1.<Kind>`) and per list, the apimachinery schemas, and every path.
 */
export function openapiV3Group(defs: readonly ResourceDef[], gv: string = API_VERSION): OpenAPIDocument {
  const [group = '', version = ''] = gv.split('/');
  const mine = defs.filter((d) => d.group === group && d.version === version);
  const schemas: Record<string, Schema> = {};
  const specs: ResourcePathSpec[] = [];
  for (const def of mine) {
    const kindName = schemaName(def.group, def.version, def.kind);
    const listName = schemaName(def.group, def.version, def.listKind);
    schemas[kindName] = kindSchema(def);
    schemas[listName] = listSchema(def);
    specs.push({
      prefix: `/apis/${def.group}/${def.version}`,
      gvk: { group: def.group, version: def.version, kind: def.kind },
      plural: def.plural,
      namespaced: def.namespaced,
      kindSchema: kindName,
      listSchema: listName,
      verbs: ALL_VERBS,
      statusVerbs: def.hasStatus ? ['get', 'update', 'patch'] : [],
    });
  }
  return document('HyprBox', [{ group, version }], schemas, specs);
}

/** The OpenAPI v3 document of core/v1: Namespace only. */
export function openapiV3Core(): OpenAPIDocument {
  return document('HyprBox', [], namespaceSchemas(), [
    {
      prefix: '/api/v1',
      gvk: { group: '', version: 'v1', kind: 'Namespace' },
      plural: 'namespaces',
      namespaced: false,
      kindSchema: NAMESPACE,
      listSchema: NAMESPACE_LIST,
      verbs: ['list', 'create', 'get', 'delete', 'patch'],
      statusVerbs: [],
      unsupported: ['patch'],
    },
  ]);
}

/** The OpenAPI v3 document of apiextensions.k8s.io/v1: CustomResourceDefinition, served read-only. */
export function openapiV3Apiextensions(): OpenAPIDocument {
  return document('HyprBox', [{ group: APIEXTENSIONS_GROUP, version: APIEXTENSIONS_VERSION }], crdSchemas(), [
    {
      prefix: `/apis/${APIEXTENSIONS_GROUP}/${APIEXTENSIONS_VERSION}`,
      gvk: { group: APIEXTENSIONS_GROUP, version: APIEXTENSIONS_VERSION, kind: 'CustomResourceDefinition' },
      plural: 'customresourcedefinitions',
      namespaced: false,
      kindSchema: CRD,
      listSchema: CRD_LIST,
      verbs: ['list', 'get', 'patch'],
      statusVerbs: [],
      unsupported: ['patch'],
    },
  ]);
}

/** The group versions the HyprBox kinds are served at (always including hyprbox.io/v1alpha1). */
function hyprboxGroupVersions(defs: readonly ResourceDef[]): string[] {
  return [...new Set([API_VERSION, ...defs.map((d) => `${d.group}/${d.version}`)])].sort();
}

/**
 * Every OpenAPI v3 document by its root path key (`api/v1`, `apis/<group>/<version>`); the handler of
 * `GET /openapi/v3/<key>` serves `JSON.stringify(documents[key])`, whose hash is the root's.
 */
export function openapiV3Documents(defs: readonly ResourceDef[]): Record<string, OpenAPIDocument> {
  const docs: Record<string, OpenAPIDocument> = {
    [CORE_PATH]: openapiV3Core(),
    [APIEXTENSIONS_PATH]: openapiV3Apiextensions(),
  };
  for (const gv of hyprboxGroupVersions(defs)) docs[`apis/${gv}`] = openapiV3Group(defs, gv);
  return sortKeys(docs);
}

/** `GET /openapi/v3`: each document's URL with `?hash=` its sha512 (changes exactly when the document does). */
export function openapiV3Root(defs: readonly ResourceDef[]): OpenAPIV3Root {
  const paths: OpenAPIV3Root['paths'] = {};
  for (const [key, doc] of Object.entries(openapiV3Documents(defs))) {
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${openapiHash(doc)}` };
  }
  return { paths };
}

// ---------------------------------------------------------------------------------------------
// Swagger 2.0

const V2_REF = '#/definitions/';

/**
 * An OpenAPI 3.0 schema as a Swagger 2.0 schema: refs to #/definitions, `allOf: [{$ref}]` wrappers
 * unwrapped, nullable as x-nullable, no anyOf/oneOf/not.
 */
export function toSwaggerV2Schema(s: unknown): Schema {
  if (!isObject(s)) return {};
  const out: Schema = {};
  // `allOf: [{$ref}]` next to a description is published in v2 as `$ref` with a sibling description.
  const allOf = s.allOf;
  const single = Array.isArray(allOf) && allOf.length === 1 && isObject(allOf[0]) && Object.keys(allOf[0]).join() === '$ref' && s.properties === undefined && s.type === undefined;
  for (const [k, v] of Object.entries(single ? { $ref: (allOf[0] as Schema).$ref, ...s, allOf: undefined } : s)) {
    if (v === undefined) continue;
    if (k === 'anyOf' || k === 'oneOf' || k === 'not') continue;
    if (k === '$ref' && typeof v === 'string') out[k] = v.startsWith(COMPONENTS) ? V2_REF + v.slice(COMPONENTS.length) : v;
    else if (k === 'nullable') out['x-nullable'] = v;
    else if (k === 'properties' && isObject(v)) out[k] = Object.fromEntries(Object.entries(v).map(([n, sub]) => [n, toSwaggerV2Schema(sub)]));
    else if (k === 'items' || k === 'additionalProperties') out[k] = typeof v === 'boolean' ? v : toSwaggerV2Schema(v);
    else if (k === 'allOf' && Array.isArray(v)) out[k] = v.map(toSwaggerV2Schema);
    else out[k] = structuredClone(v);
  }
  return forKubectlV2(out);
}

/**
 * What kube-apiserver does to CRD schemas before publishing them in v2 (ToStructuralOpenAPIV2), because
 * kubectl validates `kind: List` items against v2 and its v2 reader is stricter than the server: a null where
 * a typed value, array item or map value is expected is an error, and so are fields a schema with properties
 * does not list. So nullable and x-kubernetes-preserve-unknown-fields schemas lose what kubectl would check
 * (type, properties, items) and read as "any value"; an array left without items loses its type; a nullable
 * field is no longer required. (x-kubernetes-int-or-string has no type once anyOf is dropped: any value too.)
 */
function forKubectlV2(s: Schema): Schema {
  const props = isObject(s.properties) ? (s.properties as Record<string, Schema>) : {};
  if (Array.isArray(s.required)) {
    const nullableMap = isObject(s.additionalProperties) && s.additionalProperties['x-nullable'] === true;
    const required = nullableMap ? [] : (s.required as string[]).filter((f) => props[f]?.['x-nullable'] !== true);
    if (required.length > 0) s.required = required;
    else delete s.required;
  }
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (s['x-nullable'] === true || preserve) {
    delete s.items;
    delete s.properties;
    if (s['x-nullable'] === true || s.type === 'object') delete s.type;
  }
  if (s.type === 'array' && s.items === undefined) delete s.type;
  return s;
}

function v2Parameter(p: Parameter): Record<string, unknown> {
  const { schema, ...rest } = p;
  return { ...rest, ...schema, uniqueItems: true };
}

function v2Operation(op: Record<string, unknown>): Record<string, unknown> {
  const { requestBody, responses: rs, parameters, ...rest } = op;
  const params = ((parameters as Parameter[] | undefined) ?? []).map(v2Parameter);
  const out: Record<string, unknown> = { ...rest };
  if (isObject(requestBody) && isObject(requestBody.content)) {
    const types = Object.keys(requestBody.content);
    const first = requestBody.content[types[0] as string] as { schema: Schema };
    out.consumes = types;
    params.push({ name: 'body', in: 'body', required: requestBody.required === true, schema: toSwaggerV2Schema(first.schema) });
  }
  const produces = new Set<string>();
  const v2Responses: Record<string, unknown> = {};
  for (const [code, r] of Object.entries((rs as Record<string, { description: string; content?: Record<string, { schema: Schema }> }>) ?? {})) {
    if (r.content) {
      const types = Object.keys(r.content);
      for (const t of types) produces.add(t);
      v2Responses[code] = { description: r.description, schema: toSwaggerV2Schema(r.content[types[0] as string]?.schema) };
    } else {
      v2Responses[code] = { description: r.description };
    }
  }
  out.produces = [...produces];
  out.schemes = ['https'];
  if (params.length > 0) out.parameters = params;
  out.responses = v2Responses;
  return out;
}

/**
 * `GET /openapi/v2`: a Swagger 2.0 document with the content of all v3 documents, served as JSON and (the
 * only form kubectl asks for, when the v3 documents lack a kind) as protobuf (openapi-proto.ts).
 */
export function openapiV2(defs: readonly ResourceDef[]): OpenAPIDocument {
  const docs = Object.values(openapiV3Documents(defs));
  const paths: Record<string, unknown> = {};
  const definitions: Record<string, unknown> = {};
  const groupVersions: Array<{ group: string; version: string }> = [{ group: APIEXTENSIONS_GROUP, version: APIEXTENSIONS_VERSION }];
  for (const gv of hyprboxGroupVersions(defs)) {
    const [group = '', version = ''] = gv.split('/');
    groupVersions.push({ group, version });
  }
  for (const doc of docs) {
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      const v2Item: Record<string, unknown> = {};
      for (const [method, op] of Object.entries(item)) {
        v2Item[method] = method === 'parameters' ? (op as Parameter[]).map(v2Parameter) : v2Operation(op as Record<string, unknown>);
      }
      paths[path] = v2Item;
    }
    const schemas = (doc.components as { schemas: Record<string, Schema> }).schemas;
    for (const [name, s] of Object.entries(schemas)) definitions[name] = toSwaggerV2Schema(s);
  }
  for (const [name, s] of Object.entries(metaSchemas(groupVersions))) definitions[name] = toSwaggerV2Schema(s);
  return {
    swagger: '2.0',
    info: { title: 'HyprBox', version: KUBE_VERSION },
    paths: sortKeys(paths),
    definitions: sortKeys(definitions),
    securityDefinitions: {
      BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' },
    },
    security: [{ BearerToken: [] }],
  };
}

// What the API server does to an object between the request body and the store: identity checks, server-set
// metadata, unknown-field policy, defaults, schema and metadata validation, spec/status separation and the
// generation rule. Pure functions over plain objects, so every rule has one place and one test.
import { randomUUID, randomInt } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { createValidator, validateObjectMeta } from '@hyprbox/crds';
import type { Cause, ObjectMeta, ResourceValidator } from '@hyprbox/crds';
import { badRequest, invalid } from './errors.js';
import type { ApiError, StatusCause } from './errors.js';
import type { Resource } from './resource.js';

export type Obj = Record<string, unknown> & { metadata: Meta };
/** Object metadata as stored; the index signature lets the server copy fields by name. */
export type Meta = ObjectMeta & Record<string, unknown>;

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface AdmitResult {
  obj: Obj;
  warnings: string[];
}

const validators = new WeakMap<Resource, ResourceValidator>();
function validatorOf(r: Resource): ResourceValidator {
  let v = validators.get(r);
  if (!v) {
    v = createValidator(r.def);
    validators.set(r, v);
  }
  return v;
}

const ref = (r: Resource) => ({ plural: r.def.plural, group: r.def.group, kind: r.def.kind });
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseFieldValidation(v: unknown): FieldValidation {
  if (v === undefined || v === '') return 'Strict';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw badRequest(`fieldValidation must be one of Strict, Warn, Ignore (got "${String(v)}")`);
}

/** Checks that the body is an object of this resource's kind and returns it typed. */
export function asObject(r: Resource, body: unknown): Obj {
  if (!isPlainObject(body)) throw badRequest(`the request body must be a ${r.def.kind} object`);
  if (body.apiVersion !== r.apiVersion || body.kind !== r.def.kind) {
    throw badRequest(
      `the body is apiVersion "${String(body.apiVersion ?? '')}" kind "${String(body.kind ?? '')}", ` +
        `but this endpoint serves apiVersion "${r.apiVersion}" kind "${r.def.kind}"`,
      [{ reason: 'FieldValueInvalid', field: body.apiVersion !== r.apiVersion ? 'apiVersion' : 'kind', message: `must be ${body.apiVersion !== r.apiVersion ? r.apiVersion : r.def.kind}` }],
    );
  }
  if (body.metadata !== undefined && !isPlainObject(body.metadata)) {
    throw invalid(ref(r), '', [{ reason: 'FieldValueTypeInvalid', field: 'metadata', message: 'must be an object' }]);
  }
  return { ...body, metadata: { ...((body.metadata as Meta | undefined) ?? {}) } } as Obj;
}

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
function generateSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return s;
}

/** Removes the fields at the given paths (`spec.states[0].bogus`). */
export function pruneFields(obj: Record<string, unknown>, paths: string[]): void {
  for (const path of paths) {
    const parts = path.match(/[^.[\]]+/g) ?? [];
    let cur: unknown = obj;
    for (let i = 0; i < parts.length - 1 && cur !== undefined; i++) {
      cur = (cur as Record<string, unknown>)[parts[i]!];
    }
    if (isPlainObject(cur)) delete cur[parts[parts.length - 1]!];
  }
}

/** The fields of ObjectMeta; any other key under metadata is unknown, as in Kubernetes. */
const OBJECT_META = new Set(['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields']);

function applyFieldPolicy(r: Resource, obj: Obj, policy: FieldValidation, warnings: string[]): void {
  const meta = typeof obj.metadata === 'object' && obj.metadata !== null ? Object.keys(obj.metadata).filter((k) => !OBJECT_META.has(k)).map((k) => `metadata.${k}`) : [];
  const unknown = [...validatorOf(r).unknownFields(obj).filter((f) => !meta.includes(f)), ...meta];
  if (unknown.length === 0) return;
  if (policy === 'Strict') {
    throw badRequest(
      `${r.def.kind} in version "${r.def.version}" cannot be handled as a ${r.def.kind}: strict decoding error: ${unknown
        .map((f) => `unknown field "${f}"`)
        .join(', ')}`,
      unknown.map((f) => ({ reason: 'FieldValueUnknown', field: f, message: `unknown field "${f}"` })),
    );
  }
  if (policy === 'Warn') warnings.push(...unknown.map((f) => `unknown field "${f}"`));
  pruneFields(obj, unknown);
}

function check(r: Resource, obj: Obj, isCreate: boolean): void {
  const v = validatorOf(r);
  v.applyDefaults(obj);
  const causes: Cause[] = [
    ...validateObjectMeta(obj.metadata, { namespaced: r.def.namespaced, isCreate, labelNames: r.def.group === '' && r.def.kind === 'Namespace' }),
    ...v.validate(obj).filter((c) => !c.field.startsWith('metadata')),
  ];
  if (causes.length) throw invalid(ref(r), obj.metadata.name ?? obj.metadata.generateName ?? '', causes as StatusCause[]);
}

/** Everything but metadata and status: a change here bumps metadata.generation. */
function specOf(obj: Record<string, unknown>): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

export interface CreateOptions {
  namespace: string | undefined;
  fieldValidation: FieldValidation;
  now: Date;
}

/** Prepares a new object for the store (without resourceVersion, which the store assigns). */
export function admitCreate(r: Resource, body: unknown, o: CreateOptions): AdmitResult {
  const obj = asObject(r, body);
  const meta = obj.metadata;
  const warnings: string[] = [];
  if (r.def.namespaced) {
    if (meta.namespace !== undefined && meta.namespace !== o.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    meta.namespace = o.namespace;
  } else {
    delete meta.namespace;
  }
  if (meta.resourceVersion !== undefined && meta.resourceVersion !== '') {
    throw invalid(ref(r), meta.name ?? '', [
      { reason: 'FieldValueInvalid', field: 'metadata.resourceVersion', message: 'must be empty on create' },
    ]);
  }
  delete meta.resourceVersion;
  if (!meta.name && typeof meta.generateName === 'string' && meta.generateName !== '') {
    meta.name = meta.generateName + generateSuffix();
  }
  applyFieldPolicy(r, obj, o.fieldValidation, warnings);
  // With a status subresource, status is written only through /status (Kubernetes resets it on create).
  if (r.def.hasStatus && r.def.group !== '') delete obj.status;
  check(r, obj, true);
  meta.uid = randomUUID();
  meta.creationTimestamp = isoSeconds(o.now);
  meta.generation = 1;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.managedFields;
  return { obj, warnings };
}

export interface UpdateOptions {
  fieldValidation: FieldValidation;
  subresource?: 'status';
  /** Require body.metadata.resourceVersion (PUT); patches carry the current one implicitly. */
  requireResourceVersion: boolean;
}

/** Merges an update of `current` into the object to store; throws 4xx ApiErrors. */
export function admitUpdate(r: Resource, current: Obj, body: unknown, o: UpdateOptions): AdmitResult {
  const incoming = asObject(r, body);
  const warnings: string[] = [];
  const name = current.metadata.name!;
  if (incoming.metadata.name !== undefined && incoming.metadata.name !== name) {
    throw badRequest(`the name of the object (${String(incoming.metadata.name)}) does not match the name on the URL (${name})`);
  }
  if (r.def.namespaced && incoming.metadata.namespace !== undefined && incoming.metadata.namespace !== current.metadata.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  const rv = incoming.metadata.resourceVersion;
  if (o.requireResourceVersion && (rv === undefined || rv === '')) {
    throw invalid(ref(r), name, [
      { reason: 'FieldValueInvalid', field: 'metadata.resourceVersion', message: 'must be specified for an update' },
    ]);
  }
  const uid = incoming.metadata.uid;
  if (uid !== undefined && uid !== '' && uid !== current.metadata.uid) {
    throw invalid(ref(r), name, [{ reason: 'FieldValueInvalid', field: 'metadata.uid', message: `Invalid value: "${String(uid)}": field is immutable` }]);
  }
  applyFieldPolicy(r, incoming, o.fieldValidation, warnings);
  let next: Obj;
  if (o.subresource === 'status') {
    // Only status changes through /status: spec and metadata stay as stored.
    next = structuredClone(current);
    if (incoming.status === undefined) delete next.status;
    else next.status = incoming.status;
  } else {
    next = incoming;
    if (r.def.hasStatus) {
      if (current.status === undefined) delete next.status;
      else next.status = structuredClone(current.status);
    }
    const keep = ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'namespace', 'name'];
    for (const k of keep) {
      if (current.metadata[k] === undefined) delete next.metadata[k];
      else next.metadata[k] = current.metadata[k];
    }
    delete next.metadata.managedFields;
    if (current.metadata.deletionTimestamp) {
      const added = (next.metadata.finalizers ?? []).filter((f) => !(current.metadata.finalizers ?? []).includes(f));
      if (added.length) {
        throw invalid(ref(r), name, [
          { reason: 'FieldValueForbidden', field: 'metadata.finalizers', message: `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}` },
        ]);
      }
    }
  }
  check(r, next, false);
  if (r.def.group === '' && r.def.kind === 'Namespace') checkNamespacePhase(r, next);
  if (o.subresource !== 'status' && !isDeepStrictEqual(specOf(next), specOf(current))) {
    next.metadata.generation = (current.metadata.generation ?? 1) + 1;
  }
  next.metadata.resourceVersion = rv ?? current.metadata.resourceVersion;
  return { obj: next, warnings };
}

/** A namespace is Active until it is being deleted, then Terminating: its phase says which, never otherwise. */
function checkNamespacePhase(r: Resource, ns: Obj): void {
  const phase = (ns.status as { phase?: string } | undefined)?.phase;
  const want = ns.metadata.deletionTimestamp ? 'Terminating' : 'Active';
  if (phase !== undefined && phase !== want) {
    const why = want === 'Active' ? 'may only be Active if deletionTimestamp is empty' : 'may only be Terminating if deletionTimestamp is not empty';
    throw invalid(ref(r), ns.metadata.name!, [{ reason: 'FieldValueInvalid', field: 'status.phase', message: `Invalid value: "${phase}": ${why}` }]);
  }
}

/** A copy of a stored object with the schema's defaults applied, as a write of it would be admitted. */
export function withDefaults(r: Resource, obj: Obj): Obj {
  const copy = structuredClone(obj);
  validatorOf(r).applyDefaults(copy);
  return copy;
}

/** True when an object being deleted has no finalizers left and must now leave the store. */
export function readyToDelete(obj: Obj): boolean {
  return obj.metadata.deletionTimestamp !== undefined && (obj.metadata.finalizers ?? []).length === 0;
}

export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export type { ApiError };

// Server-side apply (PATCH application/apply-patch+yaml), the part GitOps needs: each field manager owns the
// fields it applied (recorded in metadata.managedFields as FieldsV1); applying again sets those fields,
// removes the ones this manager applied before and no longer does (unless someone else owns them), and a
// field another manager owns with a different value is a 409 conflict unless force=true.
// Simplification, documented in docs/API.md: lists are atomic (owned and replaced whole); maps are granular.
import { isDeepStrictEqual } from 'node:util';
import { ApiError, invalid } from './errors.js';
import type { ResourceRef } from './errors.js';
import type { ManagedFieldsEntry as CrdManagedFieldsEntry } from '@hyprbox/crds';
import type { Obj } from './admission.js';

/** A field path, e.g. ['spec', 'remediation', 'mode']. */
type Path = string[];

/** A managedFields entry as this server writes it (every field set). */
type ManagedFieldsEntry = Required<Omit<CrdManagedFieldsEntry, 'subresource'>> & Pick<CrdManagedFieldsEntry, 'subresource'>;

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Metadata the server owns; never part of anyone's field set. */
const SERVER_META = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'generateName']);

/**
 * Which part of an object a write owns fields in, as in Kubernetes: writes to the object own everything but
 * status; writes to /status own only status (their managedFields entries say `subresource: status`).
 */
export type Subresource = 'status' | undefined;

/** Leaf paths of an object within a subresource's part: scalars, lists and empty maps are leaves. */
export function leafPaths(obj: Record<string, unknown>, sub: Subresource = undefined, base: Path = []): Path[] {
  const out: Path[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (base.length === 0 && (k === 'apiVersion' || k === 'kind' || (k === 'status') !== (sub === 'status'))) continue;
    if (base.length === 1 && base[0] === 'metadata' && SERVER_META.has(k)) continue;
    const p = [...base, k];
    if (isMap(v) && Object.keys(v).length > 0) out.push(...leafPaths(v, sub, p));
    else out.push(p);
  }
  return out;
}

/** Whether a managedFields entry is this manager's, for this operation, on this subresource. */
const owns = (e: ManagedFieldsEntry, manager: string, operation: string, sub: Subresource): boolean =>
  e.manager === manager && e.operation === operation && (e.subresource ?? undefined) === sub;

export function toFieldsV1(paths: Path[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const p of paths) {
    let node = root;
    for (const k of p) {
      const key = `f:${k}`;
      node[key] ??= {};
      node = node[key] as Record<string, unknown>;
    }
  }
  return root;
}

export function fromFieldsV1(f: unknown, base: Path = []): Path[] {
  if (!isMap(f)) return [];
  const out: Path[] = [];
  for (const [k, v] of Object.entries(f)) {
    if (!k.startsWith('f:')) continue;
    const p = [...base, k.slice(2)];
    if (isMap(v) && Object.keys(v).some((x) => x.startsWith('f:'))) out.push(...fromFieldsV1(v, p));
    else out.push(p);
  }
  return out;
}

const key = (p: Path): string => JSON.stringify(p);

// Paths come from request bodies and stored managedFields: only own properties are read or written, and a
// `__proto__` segment is never followed (it would reach, or replace, an object's prototype).
const unsafe = (p: Path): boolean => p.includes('__proto__');

function get(obj: unknown, p: Path): unknown {
  let cur = obj;
  for (const k of p) {
    if (!isMap(cur) || !Object.hasOwn(cur, k) || k === '__proto__') return undefined;
    cur = cur[k];
  }
  return cur;
}

function set(obj: Record<string, unknown>, p: Path, value: unknown): void {
  if (unsafe(p)) return;
  let cur = obj;
  for (const k of p.slice(0, -1)) {
    if (!Object.hasOwn(cur, k) || !isMap(cur[k])) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[p[p.length - 1]!] = structuredClone(value);
}

/** Removes the field and any map it leaves empty (up to, not including, the top level). */
function unset(obj: Record<string, unknown>, p: Path): void {
  if (unsafe(p)) return;
  const parents: Array<[Record<string, unknown>, string]> = [];
  let cur: unknown = obj;
  for (const k of p.slice(0, -1)) {
    if (!isMap(cur) || !Object.hasOwn(cur, k)) return;
    parents.push([cur, k]);
    cur = cur[k];
  }
  if (!isMap(cur)) return;
  delete cur[p[p.length - 1]!];
  for (let i = parents.length - 1; i >= 1; i--) {
    const [parent, k] = parents[i]!;
    if (isMap(parent[k]) && Object.keys(parent[k] as object).length === 0) delete parent[k];
  }
}

function entries(obj: Obj): ManagedFieldsEntry[] {
  const mf = obj.metadata.managedFields;
  return Array.isArray(mf) ? (mf as ManagedFieldsEntry[]).filter((e) => isMap(e) && typeof e.manager === 'string') : [];
}

export interface ApplyInput {
  /** The object as stored, or undefined when apply creates it. */
  live: Obj | undefined;
  /** The applied configuration (a partial object of the same kind). */
  applied: Obj;
  manager: string;
  force: boolean;
  apiVersion: string;
  now: string;
  subresource?: Subresource;
}

/** Computes the object after an apply, with managedFields updated; throws 409 listing conflicts. */
export function serverSideApply(i: ApplyInput): Obj {
  const sub = i.subresource;
  const appliedPaths = leafPaths(i.applied, sub);
  const mine = new Set(appliedPaths.map(key));
  const others = entries(i.live ?? ({ metadata: {} } as Obj)).filter((e) => !owns(e, i.manager, 'Apply', sub));
  const previous = entries(i.live ?? ({ metadata: {} } as Obj)).find((e) => owns(e, i.manager, 'Apply', sub));

  // An empty map in the configuration claims the map itself, not its contents (maps are granular): it agrees
  // with any map that is there, and is merged into it rather than replacing it.
  const claimsMap = (p: Path): boolean => isMap(get(i.applied, p)) && Object.keys(get(i.applied, p) as object).length === 0;
  const agrees = (p: Path): boolean => (claimsMap(p) ? isMap(get(i.live, p)) : isDeepStrictEqual(get(i.live, p), get(i.applied, p)));
  const conflicts: Array<{ path: Path; manager: string }> = [];
  for (const e of others) {
    for (const p of fromFieldsV1(e.fieldsV1)) {
      if (mine.has(key(p)) && !agrees(p)) conflicts.push({ path: p, manager: e.manager });
    }
  }
  if (conflicts.length && !i.force) {
    throw new ApiError(409, 'Conflict', `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: ${conflicts.map((c) => `conflict with "${c.manager}": .${c.path.join('.')}`).join('; ')}`, {
      causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', field: `.${c.path.join('.')}`, message: `conflict with "${c.manager}"` })),
    });
  }
  // Forced: the other managers lose the conflicting fields.
  const lost = new Set(conflicts.map((c) => key(c.path)));
  const remaining = others
    .map((e) => ({ ...e, fieldsV1: toFieldsV1(fromFieldsV1(e.fieldsV1).filter((p) => !lost.has(key(p)))) }))
    .filter((e) => Object.keys(e.fieldsV1).length > 0);
  // A field that is still applied, or owned by another manager, or the parent of either, stays when this
  // manager stops applying it.
  const held = [...appliedPaths, ...remaining.flatMap((e) => fromFieldsV1(e.fieldsV1))];
  const stays = (p: Path): boolean => held.some((q) => q.length >= p.length && p.every((k, n) => q[n] === k));

  const result = structuredClone(i.live ?? ({ apiVersion: i.applied.apiVersion, kind: i.applied.kind, metadata: {} } as Obj));
  for (const p of fromFieldsV1(previous?.fieldsV1)) {
    if (!stays(p)) unset(result, p);
  }
  for (const p of appliedPaths) {
    if (claimsMap(p) && isMap(get(result, p))) continue;
    set(result, p, get(i.applied, p));
  }
  for (const k of ['name', 'namespace', 'generateName'] as const) {
    if (i.applied.metadata[k] !== undefined && result.metadata[k] === undefined) result.metadata[k] = i.applied.metadata[k];
  }
  const fieldsV1 = toFieldsV1(appliedPaths);
  // Re-applying the same configuration keeps the entry as it was, so an unchanged apply writes nothing.
  const time = previous && isDeepStrictEqual(previous.fieldsV1, fieldsV1) ? previous.time : i.now;
  result.metadata.managedFields = [...remaining, { manager: i.manager, operation: 'Apply', apiVersion: i.apiVersion, time, fieldsType: 'FieldsV1', fieldsV1, ...(sub ? { subresource: sub } : {}) }];
  return result;
}

/**
 * After a non-apply write by `manager`: it takes ownership of the fields it changed, which leave every other
 * manager's set, so a later apply that disagrees reports the conflict.
 */
export function recordUpdate(before: Obj | undefined, after: Obj, manager: string | undefined, apiVersion: string, now: string, sub: Subresource = undefined): void {
  const list = entries(before ?? ({ metadata: {} } as Obj));
  if (!manager) {
    if (list.length) after.metadata.managedFields = list;
    else delete after.metadata.managedFields;
    return;
  }
  const changed = leafPaths(after, sub).filter((p) => !isDeepStrictEqual(get(before, p), get(after, p)));
  const removed = before ? leafPaths(before, sub).filter((p) => get(after, p) === undefined) : [];
  const touched = new Set([...changed, ...removed].map(key));
  if (touched.size === 0) {
    if (list.length) after.metadata.managedFields = list;
    return;
  }
  const next = list
    .map((e) => ({ ...e, fieldsV1: toFieldsV1(fromFieldsV1(e.fieldsV1).filter((p) => !touched.has(key(p)))) }))
    .filter((e) => Object.keys(e.fieldsV1).length > 0 && !owns(e, manager, 'Update', sub));
  const own = list.find((e) => owns(e, manager, 'Update', sub));
  const ownPaths = [...fromFieldsV1(own?.fieldsV1).filter((p) => get(after, p) !== undefined), ...changed];
  const uniq = [...new Map(ownPaths.map((p) => [key(p), p])).values()];
  next.push({ manager, operation: 'Update', apiVersion, time: now, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(uniq), ...(sub ? { subresource: sub } : {}) });
  after.metadata.managedFields = next;
}

/**
 * The managedFields a write asks for, when it changes them (kubectl moves client-side apply ownership to
 * server-side apply by patching them): undefined when the request leaves them as stored (absent, the same,
 * or an empty list, which Kubernetes ignores); [] for the reset form `[{}]`; else the entries, checked.
 */
export function requestedManagedFields(ref: ResourceRef, name: string, asked: unknown, stored: Obj): ManagedFieldsEntry[] | undefined {
  if (asked === undefined || asked === null || isDeepStrictEqual(asked, stored.metadata.managedFields)) return undefined;
  const bad = (field: string, message: string): never => {
    throw invalid(ref, name, [{ reason: 'FieldValueInvalid', field: `metadata.managedFields${field}`, message }]);
  };
  if (!Array.isArray(asked)) return bad('', 'must be a list');
  if (asked.length === 0) return undefined;
  if (asked.length === 1 && isMap(asked[0]) && Object.keys(asked[0]).length === 0) return [];
  return asked.map((e: unknown, i): ManagedFieldsEntry => {
    if (!isMap(e)) return bad(`[${i}]`, 'must be an object');
    if (typeof e.manager !== 'string') bad(`[${i}].manager`, 'Required value');
    if (e.operation !== 'Apply' && e.operation !== 'Update') bad(`[${i}].operation`, 'must be Apply or Update');
    if (e.fieldsType !== 'FieldsV1') bad(`[${i}].fieldsType`, 'must be FieldsV1');
    if (!isMap(e.fieldsV1)) bad(`[${i}].fieldsV1`, 'must be an object');
    if (e.subresource !== undefined && e.subresource !== '' && e.subresource !== 'status') bad(`[${i}].subresource`, 'must be empty or status');
    return e as unknown as ManagedFieldsEntry;
  });
}

/** The stored object as a write's field ownership starts from: with the managedFields the request set, if any. */
export function ownershipBase(stored: Obj, requested: ManagedFieldsEntry[] | undefined): Obj {
  return requested === undefined ? stored : { ...stored, metadata: { ...stored.metadata, managedFields: requested } };
}

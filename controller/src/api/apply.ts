// Server-side apply (PATCH application/apply-patch+yaml), the part GitOps needs: each field manager owns the
// fields it applied (recorded in metadata.managedFields as FieldsV1); applying again sets those fields,
// removes the ones this manager applied before and no longer does (unless someone else owns them), and a
// field another manager owns with a different value is a 409 conflict unless force=true.
// Simplification, documented in docs/API.md: lists are atomic (owned and replaced whole); maps are granular.
import { isDeepStrictEqual } from 'node:util';
import { ApiError } from './errors.js';
import type { ManagedFieldsEntry as CrdManagedFieldsEntry } from '@hyprbox/crds';
import type { Obj } from './admission.js';

/** A field path, e.g. ['spec', 'remediation', 'mode']. */
type Path = string[];

/** A managedFields entry as this server writes it (every field set). */
type ManagedFieldsEntry = Required<Omit<CrdManagedFieldsEntry, 'subresource'>> & Pick<CrdManagedFieldsEntry, 'subresource'>;

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Metadata the server owns; never part of anyone's field set. */
const SERVER_META = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'generateName']);

/** Leaf paths of an object: scalars, lists and empty maps are leaves. */
export function leafPaths(obj: Record<string, unknown>, base: Path = []): Path[] {
  const out: Path[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (base.length === 0 && (k === 'apiVersion' || k === 'kind' || k === 'status')) continue;
    if (base.length === 1 && base[0] === 'metadata' && SERVER_META.has(k)) continue;
    const p = [...base, k];
    if (isMap(v) && Object.keys(v).length > 0) out.push(...leafPaths(v, p));
    else out.push(p);
  }
  return out;
}

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

function get(obj: unknown, p: Path): unknown {
  let cur = obj;
  for (const k of p) {
    if (!isMap(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

function set(obj: Record<string, unknown>, p: Path, value: unknown): void {
  let cur = obj;
  for (const k of p.slice(0, -1)) {
    if (!isMap(cur[k])) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[p[p.length - 1]!] = structuredClone(value);
}

/** Removes the field and any map it leaves empty (up to, not including, the top level). */
function unset(obj: Record<string, unknown>, p: Path): void {
  const parents: Array<[Record<string, unknown>, string]> = [];
  let cur: unknown = obj;
  for (const k of p.slice(0, -1)) {
    if (!isMap(cur)) return;
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
}

/** Computes the object after an apply, with managedFields updated; throws 409 listing conflicts. */
export function serverSideApply(i: ApplyInput): Obj {
  const appliedPaths = leafPaths(i.applied);
  const mine = new Set(appliedPaths.map(key));
  const others = entries(i.live ?? ({ metadata: {} } as Obj)).filter((e) => !(e.manager === i.manager && e.operation === 'Apply'));
  const previous = entries(i.live ?? ({ metadata: {} } as Obj)).find((e) => e.manager === i.manager && e.operation === 'Apply');

  const conflicts: Array<{ path: Path; manager: string }> = [];
  for (const e of others) {
    for (const p of fromFieldsV1(e.fieldsV1)) {
      if (mine.has(key(p)) && !isDeepStrictEqual(get(i.live, p), get(i.applied, p))) conflicts.push({ path: p, manager: e.manager });
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
  const ownedByOthers = new Set(remaining.flatMap((e) => fromFieldsV1(e.fieldsV1)).map(key));

  const result = structuredClone(i.live ?? ({ apiVersion: i.applied.apiVersion, kind: i.applied.kind, metadata: {} } as Obj));
  for (const p of fromFieldsV1(previous?.fieldsV1)) {
    if (!mine.has(key(p)) && !ownedByOthers.has(key(p))) unset(result, p);
  }
  for (const p of appliedPaths) set(result, p, get(i.applied, p));
  for (const k of ['name', 'namespace', 'generateName'] as const) {
    if (i.applied.metadata[k] !== undefined && result.metadata[k] === undefined) result.metadata[k] = i.applied.metadata[k];
  }
  const fieldsV1 = toFieldsV1(appliedPaths);
  // Re-applying the same configuration keeps the entry as it was, so an unchanged apply writes nothing.
  const time = previous && isDeepStrictEqual(previous.fieldsV1, fieldsV1) ? previous.time : i.now;
  result.metadata.managedFields = [...remaining, { manager: i.manager, operation: 'Apply', apiVersion: i.apiVersion, time, fieldsType: 'FieldsV1', fieldsV1 }];
  return result;
}

/**
 * After a non-apply write by `manager`: it takes ownership of the fields it changed, which leave every other
 * manager's set, so a later apply that disagrees reports the conflict.
 */
export function recordUpdate(before: Obj | undefined, after: Obj, manager: string | undefined, apiVersion: string, now: string): void {
  const list = entries(before ?? ({ metadata: {} } as Obj));
  if (!manager) {
    if (list.length) after.metadata.managedFields = list;
    else delete after.metadata.managedFields;
    return;
  }
  const changed = leafPaths(after).filter((p) => !isDeepStrictEqual(get(before, p), get(after, p)));
  const removed = before ? leafPaths(before).filter((p) => get(after, p) === undefined) : [];
  const touched = new Set([...changed, ...removed].map(key));
  if (touched.size === 0) {
    if (list.length) after.metadata.managedFields = list;
    return;
  }
  const next = list
    .map((e) => ({ ...e, fieldsV1: toFieldsV1(fromFieldsV1(e.fieldsV1).filter((p) => !touched.has(key(p)))) }))
    .filter((e) => Object.keys(e.fieldsV1).length > 0 && !(e.manager === manager && e.operation === 'Update'));
  const own = list.find((e) => e.manager === manager && e.operation === 'Update');
  const ownPaths = [...fromFieldsV1(own?.fieldsV1).filter((p) => get(after, p) !== undefined), ...changed];
  const uniq = [...new Map(ownPaths.map((p) => [key(p), p])).values()];
  next.push({ manager, operation: 'Update', apiVersion, time: now, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(uniq) });
  after.metadata.managedFields = next;
}

// GitOps apply: server-side apply of every manifest (validated as a whole by a server dry run first, so a
// bad file applies nothing), each object labelled with its apply set, and prune of the set's objects that
// are no longer in the files. Shared by `apply`, `diff` and `sync`.
import { basename, resolve } from 'node:path';
import type { Client, Obj } from './client.js';
import { ApiError, CliError, EXIT } from './errors.js';
import type { Manifest } from './manifests.js';
import { locateCauses } from './manifests.js';
import type { ResourceInfo, Resources } from './resources.js';
import { collectionPath, objectPath } from './resources.js';

export const APPLYSET_LABEL = 'hyprbox.io/applyset';
export const FIELD_MANAGER = 'hyprbox';
const APPLY_TYPE = 'application/apply-patch+yaml';

/** Kinds other objects depend on go first: namespaces, then presets (profiles name them), then the rest. */
const ORDER = ['namespaces', 'presets', 'users', 'rolebindings', 'nodes', 'nodeprofiles'];
const rank = (r: ResourceInfo): number => {
  const i = ORDER.indexOf(r.plural);
  return i < 0 ? ORDER.length : i;
};

export interface Target {
  m: Manifest;
  resource: ResourceInfo;
  namespace: string | undefined;
  name: string;
  body: Obj;
}

export type Outcome = 'created' | 'configured' | 'unchanged' | 'pruned';

export interface Result {
  kind: string;
  plural: string;
  namespace?: string;
  name: string;
  outcome: Outcome;
  source?: string;
}

export const describeResult = (r: Result, dryRun: boolean): string =>
  `${r.plural}/${r.name}${r.namespace ? ` (${r.namespace})` : ''} ${r.outcome}${dryRun ? ' (server dry run)' : ''}`;

/** A label value naming the apply set: `--applyset`, else the base name of the first path. */
export function applySetId(flag: string | undefined, paths: string[]): string {
  const raw = flag ?? (paths[0] && paths[0] !== '-' ? basename(resolve(paths[0])) : '');
  if (!raw) throw new CliError('--applyset is required when applying from stdin', EXIT.usage);
  const id = raw.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '').slice(0, 63);
  if (!id) throw new CliError(`--applyset: "${raw}" has no letters or digits to make a label value from`, EXIT.usage);
  if (flag !== undefined && id !== flag) throw new CliError(`--applyset: "${flag}" is not a valid label value (letters, digits, - _ . up to 63)`, EXIT.usage);
  return id;
}

export function targets(manifests: Manifest[], res: Resources, o: { namespace: string; explicitNamespace: boolean; applySet: string }): Target[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const out: Target[] = [];
  for (const m of manifests) {
    const resource = res.byKind(m.obj.apiVersion, m.obj.kind);
    if (!resource) {
      problems.push(`${m.position('kind')}: unknown kind ${m.obj.apiVersion}/${m.obj.kind}`);
      continue;
    }
    const own = m.obj.metadata.namespace;
    if (resource.namespaced && own && o.explicitNamespace && own !== o.namespace) {
      problems.push(`${m.position('metadata.namespace')}: namespace "${own}" does not match --namespace ${o.namespace}`);
      continue;
    }
    if (!resource.namespaced && own) {
      problems.push(`${m.position('metadata.namespace')}: ${m.obj.kind} is cluster-scoped and takes no namespace`);
      continue;
    }
    const namespace = resource.namespaced ? own || o.namespace : undefined;
    const name = m.obj.metadata.name!;
    const key = `${resource.plural}/${namespace ?? ''}/${name}`;
    if (seen.has(key)) {
      problems.push(`${m.source}: ${m.obj.kind} ${namespace ? `${namespace}/` : ''}${name} is also defined at ${seen.get(key)}`);
      continue;
    }
    seen.set(key, m.source);
    const body: Obj = { ...m.obj, metadata: { ...m.obj.metadata, ...(namespace ? { namespace } : {}), labels: { ...(m.obj.metadata.labels ?? {}), [APPLYSET_LABEL]: o.applySet } } };
    out.push({ m, resource, namespace, name, body });
  }
  if (problems.length) throw new CliError(problems.join('\n'), EXIT.usage);
  return out.sort((a, b) => rank(a.resource) - rank(b.resource));
}

export const keyOf = (plural: string, ns: string | undefined, name: string): string => `${plural}/${ns ?? ''}/${name}`;

async function getOrUndefined(client: Client, path: string): Promise<Obj | undefined> {
  try {
    return await client.json<Obj>('GET', path);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

/** Server-side apply of one object (dry run or real); errors carry the manifest's file:line per field. */
export async function applyOne(client: Client, t: Target, o: { dryRun: boolean; force: boolean }): Promise<{ before?: Obj; after: Obj }> {
  const path = objectPath(t.resource, t.namespace, t.name);
  const before = await getOrUndefined(client, path);
  if (t.resource.plural === 'namespaces' && !before && o.dryRun) return { after: t.body };
  try {
    const after = await client.json<Obj>('PATCH', path, { body: t.body, contentType: APPLY_TYPE, query: { fieldManager: FIELD_MANAGER, fieldValidation: 'Strict', ...(o.force ? { force: 'true' } : {}), ...(o.dryRun ? { dryRun: 'All' } : {}) } });
    return { ...(before ? { before } : {}), after };
  } catch (err) {
    if (err instanceof ApiError) {
      // A namespace this apply creates does not exist during the dry run: its objects are checked for real later.
      if (o.dryRun && err.status === 404 && t.namespace && /namespace/i.test(err.message)) return { after: t.body };
      throw new ApiError(err.status, err.reason, `${t.m.source}: ${t.resource.kind} ${t.name}: ${err.message}`, locateCauses(t.m, err.causes));
    }
    throw err;
  }
}

const outcomeOf = (before: Obj | undefined, after: Obj): Outcome => (!before ? 'created' : before.metadata.resourceVersion === after.metadata.resourceVersion ? 'unchanged' : 'configured');

export interface ApplyOptions {
  dryRun: boolean;
  force: boolean;
  prune: boolean;
  applySet: string;
  /** Extra label selector limiting what prune may delete (`-l`). */
  selector?: string;
  onResult?: (r: Result) => void;
}

/** Validates everything (server dry run), then applies for real, then prunes. */
export async function applyAll(client: Client, res: Resources, ts: Target[], o: ApplyOptions): Promise<Result[]> {
  const errors: ApiError[] = [];
  for (const t of ts) {
    try {
      await applyOne(client, t, { dryRun: true, force: o.force });
    } catch (err) {
      if (err instanceof ApiError && err.status !== 401 && err.status !== 403 && err.status < 500) errors.push(err);
      else throw err;
    }
  }
  if (errors.length) {
    throw new ApiError(errors[0]!.status, errors[0]!.reason, `nothing applied: ${errors.length} of ${ts.length} objects were refused\n${errors.map((e) => e.message).join('\n')}`, errors.flatMap((e) => e.causes));
  }
  const results: Result[] = [];
  for (const t of ts) {
    const { before, after } = await applyOne(client, t, { dryRun: o.dryRun, force: o.force });
    const r: Result = { kind: t.resource.kind, plural: t.resource.plural, ...(t.namespace ? { namespace: t.namespace } : {}), name: t.name, outcome: o.dryRun && !before ? 'created' : outcomeOf(before, after), source: t.m.source };
    results.push(r);
    o.onResult?.(r);
  }
  if (o.prune) {
    for (const p of await prunable(client, res, ts, o)) {
      if (!o.dryRun) await deleteQuietly(client, objectPath(p.resource, p.namespace, p.name));
      const r: Result = { kind: p.resource.kind, plural: p.resource.plural, ...(p.namespace ? { namespace: p.namespace } : {}), name: p.name, outcome: 'pruned' };
      results.push(r);
      o.onResult?.(r);
    }
  }
  return results;
}

async function deleteQuietly(client: Client, path: string): Promise<void> {
  try {
    await client.json('DELETE', path);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
  }
}

/** Objects labelled with this apply set (and matching -l) that the files no longer define. */
export async function prunable(client: Client, res: Resources, ts: Target[], o: { applySet: string; selector?: string }): Promise<Array<{ resource: ResourceInfo; namespace?: string; name: string }>> {
  const keep = new Set(ts.map((t) => keyOf(t.resource.plural, t.namespace, t.name)));
  const selector = [`${APPLYSET_LABEL}=${o.applySet}`, ...(o.selector ? [o.selector] : [])].join(',');
  const out: Array<{ resource: ResourceInfo; namespace?: string; name: string }> = [];
  // Namespaces last: deleting one deletes everything in it.
  const kinds = res.all.filter((r) => r.verbs.includes('list') && r.verbs.includes('delete')).sort((a, b) => Number(a.plural === 'namespaces') - Number(b.plural === 'namespaces'));
  for (const r of kinds) {
    const list = await client.json<{ items: Obj[] }>('GET', collectionPath(r, undefined), { query: { labelSelector: selector } });
    for (const item of list.items) {
      const ns = r.namespaced ? item.metadata.namespace : undefined;
      if (!keep.has(keyOf(r.plural, ns, item.metadata.name!))) out.push({ resource: r, ...(ns ? { namespace: ns } : {}), name: item.metadata.name! });
    }
  }
  return out;
}

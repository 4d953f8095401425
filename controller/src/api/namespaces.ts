// Deleting a namespace deletes everything in it. The namespace is marked Terminating first (so nothing new
// can be created in it), its objects are deleted (finalizers hold some of them), and it leaves the store
// once the last one is gone.
import { isoSeconds } from './admission.js';
import type { Obj } from './admission.js';
import type { Repository } from './repository.js';
import type { Registry, Resource } from './resource.js';

export interface NamespaceDeps {
  registry: Registry;
  repo(r: Resource): Repository;
  now(): Date;
  /** Deletes one object the way a client's DELETE would (finalizers honoured). */
  deleteObject(r: Resource, obj: Obj): Promise<void>;
}

const namespaced = (registry: Registry): Resource[] => registry.all.filter((r) => r.def.namespaced);

/** Marks the namespace Terminating, deletes its content, and removes it when empty. Returns its state. */
export async function terminateNamespace(deps: NamespaceDeps, ns: Obj): Promise<Obj> {
  const repo = deps.repo(deps.registry.namespaces);
  let current = ns;
  if (!current.metadata.deletionTimestamp) {
    const marked = structuredClone(current);
    marked.metadata.deletionTimestamp = isoSeconds(deps.now());
    marked.status = { ...(marked.status as object | undefined), phase: 'Terminating' };
    current = await repo.update(marked, Number(current.metadata.resourceVersion));
  }
  for (const r of namespaced(deps.registry)) {
    const { items } = await deps.repo(r).list({ namespace: current.metadata.name });
    for (const obj of items) await deps.deleteObject(r, obj).catch(ignoreGone);
  }
  return (await finishIfEmpty(deps, current.metadata.name!)) ?? current;
}

/** Removes a Terminating namespace that has no objects left; returns the deleted namespace if it did. */
export async function finishIfEmpty(deps: Pick<NamespaceDeps, 'registry' | 'repo'>, name: string): Promise<Obj | undefined> {
  const repo = deps.repo(deps.registry.namespaces);
  const ns = await repo.get(undefined, name);
  if (!ns?.metadata.deletionTimestamp) return undefined;
  for (const r of namespaced(deps.registry)) {
    if ((await deps.repo(r).list({ namespace: name, limit: 1 })).items.length > 0) return undefined;
  }
  return repo.delete(ns, Number(ns.metadata.resourceVersion)).catch((err: unknown) => {
    ignoreGone(err);
    return undefined;
  });
}

function ignoreGone(err: unknown): void {
  const code = (err as { code?: number }).code;
  if (code !== 404 && code !== 409) throw err;
}

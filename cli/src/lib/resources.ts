// Kinds by any name a user types (plural, singular, kind, short name, `plural.hyprbox.io`), from the
// controller's discovery; a typo suggests the nearest name.
import type { Client } from './client.js';
import { GROUP_PATH } from './client.js';
import { CliError, EXIT } from './errors.js';

export interface ResourceInfo {
  plural: string;
  singular: string;
  kind: string;
  group: string;
  version: string;
  namespaced: boolean;
  shortNames: string[];
  verbs: string[];
}

interface ApiResourceList {
  groupVersion: string;
  resources: Array<{ name: string; singularName?: string; namespaced: boolean; kind: string; verbs: string[]; shortNames?: string[] }>;
}

export class Resources {
  private constructor(readonly all: ResourceInfo[]) {}

  static async discover(client: Client): Promise<Resources> {
    const [group, core] = await Promise.all([client.json<ApiResourceList>('GET', GROUP_PATH), client.json<ApiResourceList>('GET', '/api/v1')]);
    const toInfo = (list: ApiResourceList, g: string, v: string): ResourceInfo[] =>
      list.resources
        .filter((r) => !r.name.includes('/'))
        .map((r) => ({ plural: r.name, singular: r.singularName || r.kind.toLowerCase(), kind: r.kind, group: g, version: v, namespaced: r.namespaced, shortNames: r.shortNames ?? [], verbs: r.verbs }));
    return new Resources([...toInfo(group, 'hyprbox.io', 'v1alpha1'), ...toInfo(core, '', 'v1')]);
  }

  names(r: ResourceInfo): string[] {
    return [r.plural, r.singular, r.kind.toLowerCase(), ...r.shortNames, ...(r.group ? [`${r.plural}.${r.group}`, `${r.singular}.${r.group}`] : [])];
  }

  /** The resource a user means; throws with a suggestion when nothing matches. */
  resolve(typed: string): ResourceInfo {
    const want = typed.toLowerCase();
    const hit = this.all.find((r) => this.names(r).includes(want));
    if (hit) return hit;
    const near = this.suggest(want);
    throw new CliError(`unknown kind "${typed}"${near ? `; did you mean "${near}"?` : ''} (see 'hyprbox api-resources')`, EXIT.usage);
  }

  byKind(apiVersion: string | undefined, kind: string | undefined): ResourceInfo | undefined {
    const [g, v] = (apiVersion ?? '').includes('/') ? apiVersion!.split('/') : ['', apiVersion];
    return this.all.find((r) => r.kind === kind && r.group === g && r.version === v);
  }

  private suggest(want: string): string | undefined {
    let best: { name: string; d: number } | undefined;
    for (const r of this.all) {
      for (const n of this.names(r)) {
        const d = distance(want, n);
        if (!best || d < best.d) best = { name: r.plural, d };
      }
    }
    return best && best.d <= Math.max(2, Math.floor(want.length / 3)) ? best.name : undefined;
  }
}

/** Base path of a resource's collection: namespaced ones in `ns` (or across all with undefined). */
export function collectionPath(r: ResourceInfo, ns: string | undefined): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  return r.namespaced && ns ? `${base}/namespaces/${encodeURIComponent(ns)}/${r.plural}` : `${base}/${r.plural}`;
}

export function objectPath(r: ResourceInfo, ns: string | undefined, name: string): string {
  return `${collectionPath(r, r.namespaced ? ns : undefined)}/${encodeURIComponent(name)}`;
}

/** Levenshtein distance, for suggestions. */
export function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** `kind/name`, `kind name...` or `kind` → the resource and names. */
export function parseTarget(resources: Resources, args: string[]): { resource: ResourceInfo; names: string[] } {
  if (!args.length) throw new CliError('name a kind, e.g. `nodes` or `finding/web-1-abc`', EXIT.usage);
  if (args[0]!.includes('/')) {
    const pairs = args.map((a) => {
      const i = a.indexOf('/');
      if (i <= 0 || i === a.length - 1) throw new CliError(`"${a}": expected kind/name`, EXIT.usage);
      return { resource: resources.resolve(a.slice(0, i)), name: a.slice(i + 1) };
    });
    const first = pairs[0]!.resource;
    if (pairs.some((p) => p.resource !== first)) throw new CliError('name objects of one kind at a time', EXIT.usage);
    return { resource: first, names: pairs.map((p) => p.name) };
  }
  return { resource: resources.resolve(args[0]!), names: args.slice(1) };
}

// `diff`: what applying the files would change, as unified diffs of the live object against the server's
// dry-run result (so defaults and other managers' fields are accounted for), plus what prune would delete.
import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import type { Client, Obj } from './client.js';
import { applyOne, prunable } from './apply.js';
import type { Target } from './apply.js';
import { clean } from './output.js';
import type { Resources } from './resources.js';
import { objectPath } from './resources.js';

/** Server-maintained fields that change on every write and say nothing about the desired state. */
function comparable(o: Obj | undefined): string {
  if (!o) return '';
  const c = clean(o);
  const md = { ...c.metadata };
  for (const k of ['resourceVersion', 'generation', 'uid', 'creationTimestamp', 'managedFields', 'selfLink']) delete md[k];
  const { status: _status, ...rest } = c;
  void _status;
  return stringify({ ...rest, metadata: md }, { lineWidth: 0, sortMapEntries: true });
}

export interface DiffEntry {
  kind: string;
  namespace?: string;
  name: string;
  change: 'create' | 'update' | 'delete';
  patch: string;
}

export async function diffAll(client: Client, res: Resources, ts: Target[], o: { prune: boolean; applySet: string; selector?: string; force: boolean }): Promise<DiffEntry[]> {
  const out: DiffEntry[] = [];
  for (const t of ts) {
    const { before, after } = await applyOne(client, t, { dryRun: true, force: o.force });
    const a = comparable(before);
    const b = comparable(after);
    if (a === b) continue;
    const label = `${t.resource.plural}/${t.namespace ? `${t.namespace}/` : ''}${t.name}`;
    out.push({ kind: t.resource.kind, ...(t.namespace ? { namespace: t.namespace } : {}), name: t.name, change: before ? 'update' : 'create', patch: createTwoFilesPatch(`live/${label}`, `merged/${label}`, a, b, '', '', { context: 3 }) });
  }
  if (o.prune) {
    for (const p of await prunable(client, res, ts, o)) {
      const path = `${p.resource.plural}/${p.namespace ? `${p.namespace}/` : ''}${p.name}`;
      const live = await client.json<Obj>('GET', objectPath(p.resource, p.namespace, p.name));
      out.push({ kind: p.resource.kind, ...(p.namespace ? { namespace: p.namespace } : {}), name: p.name, change: 'delete', patch: createTwoFilesPatch(`live/${path}`, `merged/${path}`, comparable(live), '', '', '', { context: 3 }) });
    }
  }
  return out;
}

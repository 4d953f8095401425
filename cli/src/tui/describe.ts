// Enter: the CLI's `describe` text, with what relates to the object taken from the watched objects (so it
// stays live and costs no request): the same relations `hyprbox describe` asks the API for.
import type { Obj } from '../lib/client.js';
import { renderDescribe } from '../lib/describe.js';
import type { Related } from '../lib/describe.js';
import type { Resources } from '../lib/resources.js';
import type { LiveStore } from './live.js';
import { VIEWS } from './views.js';
import type { ViewId } from './views.js';

const field = (o: Obj, part: 'spec' | 'status', key: string): unknown => (o[part] as Record<string, unknown> | undefined)?.[key];

export function relatedFromStore(store: LiveStore, view: ViewId, kind: string, o: Obj): Related {
  const name = o.metadata.name;
  const events = store.list('events').filter((e) => (e.involvedObject as { kind?: string; name?: string } | undefined)?.name === name && (e.involvedObject as { kind?: string }).kind === kind);
  const findings = store.list('findings');
  const runs = store.list('runs');
  switch (view) {
    case 'nodes':
      return { events, findings: findings.filter((f) => field(f, 'spec', 'nodeName') === name), runs: runs.filter((r) => field(r, 'spec', 'nodeName') === name) };
    case 'profiles':
      return { events, findings: findings.filter((f) => field(f, 'spec', 'profile') === name), runs: runs.filter((r) => r.metadata.labels?.['hyprbox.io/profile'] === name) };
    case 'findings':
      return { events, findings: [], runs: runs.filter((r) => r.metadata.name === field(o, 'status', 'runRef') || field(r, 'spec', 'findingRef') === name) };
    case 'runs':
      return { events, findings: findings.filter((f) => f.metadata.name === field(o, 'spec', 'findingRef')), runs: [] };
    default:
      return { events, findings: [], runs: [] };
  }
}

/** The lines Enter shows for an object. */
export function describeLines(store: LiveStore, resources: Resources, view: ViewId, o: Obj, now: number): string[] {
  const r = resources.resolve(VIEWS[view].plural);
  return renderDescribe(r, o, relatedFromStore(store, view, r.kind, o), now).split('\n');
}

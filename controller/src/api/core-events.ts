// GET /api/v1/[namespaces/{ns}/]events: HyprBox Events read as core v1 Events, so that `kubectl describe`
// shows an object's events (it asks this path, by involvedObject) and `kubectl events [-w]` lists or follows
// them. A read-only view: the objects are hyprbox.io Events (`kubectl get hev`), which already have the core
// Event's fields. It is not in discovery, so `kubectl get events` keeps meaning the HyprBox kind and its
// printer columns.
import type { Request, Response } from 'express';
import type { Obj } from './admission.js';
import { checkNotOlderThan, listPosition, readableFilter, watchResource } from './handlers.js';
import type { HandlerDeps, RequestAttributes } from './handlers.js';
import type { WatchView } from './watch.js';
import type { Resource } from './resource.js';
import { querySelector } from './query-selector.js';

/** The field selectors kubectl sends (describe: involvedObject.*; events --for: the same; types, reasons). */
const FIELDS = ['metadata.name', 'metadata.namespace', 'reason', 'type', ...['kind', 'name', 'namespace', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'].map((f) => `involvedObject.${f}`)];

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);


const asCore = ({ apiVersion: _a, ...rest }: Obj): Obj => ({ ...rest, apiVersion: 'v1', kind: 'Event' } as Obj);
const VIEW: WatchView = { apiVersion: 'v1', kind: 'Event', map: asCore };

export function coreEventsHandler(deps: HandlerDeps, events: Resource) {
  return async (req: Request, res: Response): Promise<void> => {
    const namespace = req.params.ns === undefined ? undefined : String(req.params.ns);
    const watch = str(req.query.watch);
    const attrs: RequestAttributes = { verb: watch === 'true' || watch === '1' ? 'watch' : 'list', resource: events, ...(namespace !== undefined ? { namespace } : {}) };
    req.attributes = attrs;
    const constraint = deps.guard.authorize(req, attrs);
    const filter = readableFilter(deps.guard, constraint, querySelector(req.query, FIELDS));
    if (attrs.verb === 'watch') {
      await watchResource(deps, req, res, events, { namespace, query: req.query as Record<string, string>, matches: filter, view: VIEW });
      return;
    }
    const limit = Number(str(req.query.limit) ?? 0);
    const cont = str(req.query.continue);
    const pos = listPosition(req.query as Record<string, string>);
    const result = await deps.repo(events).list({ namespace, filter, ...(limit > 0 ? { limit } : {}), ...(cont ? { continueToken: cont } : {}), ...(pos.exact !== undefined ? { revision: pos.exact } : {}) });
    checkNotOlderThan(pos, result.resourceVersion);
    res.json({
      apiVersion: 'v1',
      kind: 'EventList',
      metadata: { resourceVersion: result.resourceVersion, ...(result.continueToken ? { continue: result.continueToken } : {}) },
      items: result.items.map(asCore),
    });
  };
}

// GET /api/v1/[namespaces/{ns}/]events: HyprBox Events read as core v1 Events, so that `kubectl describe`
// shows an object's events (it asks this path, by involvedObject) and `kubectl events` lists them. A read-only
// view: the objects are hyprbox.io Events (`kubectl get hev`), which already have the core Event's fields. It
// is not in discovery, so `kubectl get events` keeps meaning the HyprBox kind and its printer columns.
import type { Request, Response } from 'express';
import type { Obj } from './admission.js';
import { badRequest } from './errors.js';
import type { HandlerDeps, RequestAttributes } from './handlers.js';
import type { Resource } from './resource.js';
import { querySelector } from './query-selector.js';

/** The field selectors kubectl sends (describe: involvedObject.*; events --for: the same; types, reasons). */
const FIELDS = ['metadata.name', 'metadata.namespace', 'reason', 'type', ...['kind', 'name', 'namespace', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'].map((f) => `involvedObject.${f}`)];

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);


const asCore = ({ apiVersion: _a, ...rest }: Obj): Obj => ({ ...rest, apiVersion: 'v1', kind: 'Event' } as Obj);

export function coreEventsHandler(deps: HandlerDeps, events: Resource) {
  return async (req: Request, res: Response): Promise<void> => {
    const namespace = req.params.ns === undefined ? undefined : String(req.params.ns);
    const watch = str(req.query.watch);
    if (watch === 'true' || watch === '1') {
      throw badRequest('watching events is served on the HyprBox kind: kubectl get events.hyprbox.io -w (or hev -w)');
    }
    const attrs: RequestAttributes = { verb: 'list', resource: events, ...(namespace !== undefined ? { namespace } : {}) };
    req.attributes = attrs;
    deps.guard.authorize(req, attrs);
    const limit = Number(str(req.query.limit) ?? 0);
    const cont = str(req.query.continue);
    const result = await deps.repo(events).list({ namespace, filter: querySelector(req.query, FIELDS), ...(limit > 0 ? { limit } : {}), ...(cont ? { continueToken: cont } : {}) });
    res.json({
      apiVersion: 'v1',
      kind: 'EventList',
      metadata: { resourceVersion: result.resourceVersion, ...(result.continueToken ? { continue: result.continueToken } : {}) },
      items: result.items.map(asCore),
    });
  };
}

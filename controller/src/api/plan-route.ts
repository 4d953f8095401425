// POST /apis/hyprbox.io/v1alpha1/namespaces/{ns}/nodeprofiles/{name}/plan: what the profile (the stored one,
// or the one in the body, validated like a create and never stored) would do on each node it matches.
import express from 'express';
import type { Request, Response } from 'express';
import { isDns1123Label, isDns1123Subdomain } from '@hyprbox/crds';
import { planProfile } from '../reconcilers/plan.js';
import { admitCreate, parseFieldValidation } from './admission.js';
import { OBJECT_TYPES, parseBody } from './body.js';
import { badRequest } from './errors.js';
import type { HandlerDeps, RequestAttributes } from './handlers.js';
import type { Registry } from './resource.js';

export function planRouter(deps: HandlerDeps, registry: Registry): express.Router {
  const router = express.Router({ mergeParams: true });
  const res = (plural: string) => registry.byPlural('hyprbox.io', plural)!;
  router.post('/', async (req: Request, resp: Response) => {
    const ns = String(req.params.ns);
    const name = String(req.params.name);
    if (!isDns1123Label(ns) || !isDns1123Subdomain(name)) throw badRequest('invalid namespace or name in the URL');
    const attrs: RequestAttributes = { verb: 'get', resource: res('nodeprofiles'), namespace: ns, name };
    req.attributes = attrs;
    deps.guard.authorize(req, attrs);
    const hasBody = Buffer.isBuffer(req.body) && req.body.length > 0;
    let profile;
    if (hasBody) {
      const body = parseBody(req.body, req.headers['content-type'], OBJECT_TYPES) as { metadata?: { name?: string } };
      body.metadata = { ...(body.metadata ?? {}), name };
      profile = admitCreate(res('nodeprofiles'), body, { namespace: ns, fieldValidation: parseFieldValidation(req.query.fieldValidation), now: deps.now() }).obj;
    } else {
      profile = await deps.repo(res('nodeprofiles')).mustGet(ns, name);
    }
    const [nodes, presets, runs] = await Promise.all([
      deps.repo(res('nodes')).list({ namespace: ns }),
      deps.repo(res('presets')).list({ namespace: undefined }),
      deps.repo(res('runs')).list({ namespace: ns }),
    ]);
    const byName = new Map(presets.items.map((p) => [p.metadata.name!, p]));
    resp.json(planProfile(profile, nodes.items, (n) => byName.get(n), runs.items, deps.now()));
  });
  return router;
}

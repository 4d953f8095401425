// GET /metrics against a running controller: the Prometheus text format, requests counted by verb, resource
// and code (timed unless long-running), the fleet read from the reconcilers' informers, and who may read it
// (a cluster-wide role; not a namespace-only user, not an agent, not without a token).
import { expect } from 'chai';
import { startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';
import { until } from '../lib/wait.js';

const API = 'hyprbox.io/v1alpha1';
const G = `/apis/${API}`;

/** The value of one sample (exact label set), or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',');
  const line = text.split('\n').find((l) => l.startsWith(want ? `${name}{${want}} ` : `${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('metrics', function () {
  this.timeout(60_000);
  let c: TestController;
  const tokenFor = async (spec: Record<string, unknown>): Promise<string> => {
    const r = await c.api(`${G}/tokens`, { method: 'POST', json: { apiVersion: API, kind: 'Token', metadata: {}, spec } });
    expect(r.status).to.equal(201);
    return ((await r.json()) as { status: { token: string } }).status.token;
  };
  const scrape = async (token = c.token): Promise<Response> => fetch(`${c.url}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
  const text = async (): Promise<string> => {
    const r = await scrape();
    expect(r.status).to.equal(200);
    return r.text();
  };

  before(async () => {
    c = await startTestController('sqlite', ['--tls', 'off']);
  });
  after(async () => c?.stop());

  it('answers in the Prometheus text format, with the process metrics and the store', async () => {
    const r = await scrape();
    expect(r.status).to.equal(200);
    expect(r.headers.get('content-type')).to.equal('text/plain; version=0.0.4; charset=utf-8');
    const t = await r.text();
    expect(t).to.contain('# TYPE hyprbox_api_requests_total counter');
    expect(sample(t, 'process_resident_memory_bytes')).to.be.greaterThan(0);
    expect(sample(t, 'hyprbox_store_revision')).to.be.within(1, await c.controller.store.currentRevision());
    expect(sample(t, 'hyprbox_store_write_failing')).to.equal(0);
    expect(sample(t, 'hyprbox_reconcile_queue_depth', { queue: 'nodeprofiles' })).to.be.a('number');
  });

  it('counts requests by verb, resource, subresource and code, and times all but watches', async () => {
    const before = await text();
    const created = (n: string) => sample(n, 'hyprbox_api_requests_total', { verb: 'create', resource: 'nodes', subresource: '', code: '201' }) ?? 0;
    const missing = (n: string) => sample(n, 'hyprbox_api_requests_total', { verb: 'get', resource: 'nodes', subresource: '', code: '404' }) ?? 0;
    const timedCreates = (n: string) => sample(n, 'hyprbox_api_request_duration_seconds_count', { verb: 'create', resource: 'nodes', subresource: '' }) ?? 0;
    for (const name of ['m-1', 'm-2']) {
      expect((await c.api(`${G}/namespaces/default/nodes`, { method: 'POST', json: { apiVersion: API, kind: 'Node', metadata: { name }, spec: {} } })).status).to.equal(201);
    }
    expect((await c.api(`${G}/namespaces/default/nodes/absent`)).status).to.equal(404);
    expect((await c.api(`${G}/namespaces/default/nodes/m-1/status`)).status).to.equal(200);
    const w = await c.api(`${G}/namespaces/default/nodes?watch=1&timeoutSeconds=1`);
    await w.text();
    // The scrape counts itself once its answer ends, so the requests above are all in the next one.
    await until('the watch is counted', async () => (sample(await text(), 'hyprbox_api_requests_total', { verb: 'watch', resource: 'nodes', subresource: '', code: '200' }) ?? 0) >= 1);
    const after = await text();
    expect(created(after) - created(before)).to.equal(2);
    expect(missing(after) - missing(before)).to.equal(1);
    expect(timedCreates(after) - timedCreates(before)).to.equal(2);
    expect(sample(after, 'hyprbox_api_requests_total', { verb: 'get', resource: 'nodes', subresource: 'status', code: '200' })).to.be.at.least(1);
    expect(sample(after, 'hyprbox_api_request_duration_seconds_count', { verb: 'watch', resource: 'nodes', subresource: '' })).to.equal(undefined);
    expect(sample(after, 'hyprbox_api_requests_total', { verb: 'get', resource: '', subresource: '', code: '200' })).to.be.at.least(1);
  });

  it('reports the fleet: nodes by readiness and health, findings by severity and phase', async () => {
    await c.api('/api/v1/namespaces', { method: 'POST', json: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fleet' } } });
    const nodes = `${G}/namespaces/fleet/nodes`;
    expect((await c.api(nodes, { method: 'POST', json: { apiVersion: API, kind: 'Node', metadata: { name: 'web-1' }, spec: {} } })).status).to.equal(201);
    const status = { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z', reason: 'Heartbeat', message: 'ok' }], health: 'warning' };
    const patched = await c.api(`${nodes}/web-1/status`, { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: JSON.stringify({ status }) });
    expect(patched.status, await patched.clone().text()).to.equal(200);
    const finding = { apiVersion: API, kind: 'Finding', metadata: { name: 'f-1' }, spec: { nodeName: 'web-1', type: 'tls.expiring', key: 'example.org', severity: 'CRITICAL', source: 'scanner' } };
    expect((await c.api(`${G}/namespaces/fleet/findings`, { method: 'POST', json: finding })).status).to.equal(201);
    await until('the fleet is in the metrics', async () => {
      const t = await text();
      return sample(t, 'hyprbox_nodes', { namespace: 'fleet', ready: 'True', health: 'warning' }) === 1 &&
        sample(t, 'hyprbox_findings', { namespace: 'fleet', severity: 'CRITICAL', phase: 'Open' }) === 1;
    });
    expect((await c.api(`${G}/namespaces/fleet/findings/f-1`, { method: 'DELETE' })).status).to.equal(200);
    await until('a deleted finding leaves the metrics', async () => sample(await text(), 'hyprbox_findings', { namespace: 'fleet', severity: 'CRITICAL', phase: 'Open' }) === undefined);
  });

  it('needs a cluster-wide role: a viewer reads it; a namespace-only admin and an agent get 403, no token 401', async () => {
    for (const [user, namespace] of [['watcher', undefined], ['tenant', 'default']] as const) {
      expect((await c.api(`${G}/users`, { method: 'POST', json: { apiVersion: API, kind: 'User', metadata: { name: user }, spec: {} } })).status).to.equal(201);
      const role = namespace ? 'admin' : 'viewer';
      const binding = { apiVersion: API, kind: 'RoleBinding', metadata: { name: `${user}-${role}` }, spec: { user, role, ...(namespace ? { namespace } : {}) } };
      expect((await c.api(`${G}/rolebindings`, { method: 'POST', json: binding })).status).to.equal(201);
    }
    expect((await scrape(await tokenFor({ user: 'watcher' }))).status).to.equal(200);
    const tenant = await scrape(await tokenFor({ user: 'tenant' }));
    expect(tenant.status).to.equal(403);
    expect(((await tenant.json()) as { message: string }).message).to.contain('cluster-wide role');
    expect((await scrape(await tokenFor({ node: { namespace: 'default', name: 'm-1' } }))).status).to.equal(403);
    expect((await fetch(`${c.url}/metrics`)).status).to.equal(401);
  });
});

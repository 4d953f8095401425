// Scanner findings as an agent writes them: the controller adds the recommendation, ends snoozes on time and
// resolves findings their node stopped reporting.
import { expect } from 'chai';
import { send, startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';
import { until } from '../lib/wait.js';

const G = '/apis/hyprbox.io/v1alpha1';
const NS = `${G}/namespaces/default`;
const API = 'hyprbox.io/v1alpha1';
type Json = Record<string, unknown> & { status?: Record<string, unknown>; spec?: Record<string, unknown> };

describe('scanner findings', function () {
  this.timeout(60_000);
  let c: TestController;
  let agentToken: string;
  const asAgent = (method: string, path: string, body?: unknown, type = 'application/json') =>
    send(c.url + path, method, new Headers({ Authorization: `Bearer ${agentToken}`, ...(body !== undefined ? { 'Content-Type': type } : {}) }), body === undefined ? undefined : JSON.stringify(body));
  const get = async (name: string): Promise<Json> => (await (await c.api(`${NS}/findings/${name}`)).json()) as Json;

  before(async () => {
    c = await startTestController('sqlite', ['--tls', 'off', '--finding-stale-seconds', '2']);
    await c.api(`${G}/presets`, { method: 'POST', json: { apiVersion: API, kind: 'Preset', metadata: { name: 'renew-cert' }, spec: { apply: { script: 'true' }, resolves: ['tls.expiring'] } } });
    await c.api(`${NS}/nodes`, { method: 'POST', json: { apiVersion: API, kind: 'Node', metadata: { name: 'web-1' }, spec: {} } });
    const tok = (await (await c.api(`${G}/tokens`, { method: 'POST', json: { apiVersion: API, kind: 'Token', metadata: {}, spec: { node: { namespace: 'default', name: 'web-1' } } } })).json()) as { status: { token: string } };
    agentToken = tok.status.token;
  });
  after(async () => c?.stop());

  const report = async (name: string, lastSeen: string): Promise<void> => {
    const created = await asAgent('POST', `${NS}/findings`, { apiVersion: API, kind: 'Finding', metadata: { name }, spec: { nodeName: 'web-1', type: 'tls.expiring', key: `/etc/ssl/${name}.pem`, severity: 'WARN', source: 'scanner', message: 'expires in 6 days' } });
    expect(created.status).to.equal(201);
    // A merge patch, as the agent writes status: no resourceVersion to race the controller with.
    const st = await asAgent('PATCH', `${NS}/findings/${name}/status`, { status: { phase: 'Open', firstSeen: lastSeen, lastSeen } }, 'application/merge-patch+json');
    expect(st.status).to.equal(200);
  };

  it('points a scanner finding at the preset that resolves its type', async () => {
    await report('cert-a', new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    await until('the recommendation', async () => ((await get('cert-a')).spec?.recommendation as { preset?: string } | undefined)?.preset === 'renew-cert');
  });

  it('resolves a scanner finding its node stopped reporting', async () => {
    await report('cert-b', new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'));
    await until('resolved as stale', async () => (await get('cert-b')).status?.phase === 'Resolved', 20_000);
    const history = (await get('cert-b')).status?.history as Array<{ message: string }>;
    expect(history.at(-1)!.message).to.match(/has not reported it since/);
  });

  it('ends a snooze at its time', async () => {
    const until1 = new Date(Date.now() + 1500).toISOString();
    const snoozed = await c.api(`${NS}/findings/cert-a/status`, { method: 'PATCH', body: JSON.stringify({ status: { phase: 'Snoozed', snoozedUntil: until1 } }), headers: { 'Content-Type': 'application/merge-patch+json' } });
    expect(snoozed.status).to.equal(200);
    expect((await get('cert-a')).status?.phase).to.equal('Snoozed');
    await until('the snooze to end', async () => (await get('cert-a')).status?.phase === 'Open', 20_000);
    const history = (await get('cert-a')).status?.history as Array<{ message: string }>;
    expect(history.at(-1)!.message).to.equal('the snooze ended');
  });
});

// A server-side plan: for a stored or proposed NodeProfile, per node, what would happen and the exact steps.
import { expect } from 'chai';
import { startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';

const G = '/apis/hyprbox.io/v1alpha1';
const NS = `${G}/namespaces/default`;
const API = 'hyprbox.io/v1alpha1';

describe('plan', function () {
  this.timeout(60_000);
  let c: TestController;
  const post = (path: string, body: unknown) => c.api(path, { method: 'POST', json: body });
  before(async () => {
    c = await startTestController('sqlite', ['--tls', 'off']);
    const preset = (name: string, risk: string) => ({ apiVersion: API, kind: 'Preset', metadata: { name }, spec: { risk, check: { probes: { 'sshd.passwordAuthentication': 'no' } }, apply: { script: `echo ${name} "$note"` }, params: { type: 'object', properties: { note: { type: 'string' } } } } });
    expect((await post(`${G}/presets`, preset('safe-fix', 'SAFE'))).status).to.equal(201);
    expect((await post(`${G}/presets`, preset('risky-fix', 'DANGEROUS'))).status).to.equal(201);
    for (const [name, value, paused] of [['a-1', 'yes', false], ['b-1', 'no', false], ['c-1', 'yes', true]] as const) {
      const created = (await (await post(`${NS}/nodes`, { apiVersion: API, kind: 'Node', metadata: { name, labels: { role: 'web' } }, spec: { paused } })).json()) as Record<string, unknown>;
      const st = await c.api(`${NS}/nodes/${name}/status`, { method: 'PUT', json: { ...created, status: { probes: { 'sshd.passwordAuthentication': { state: 'ok', value, observedAt: '2026-11-21T00:00:00Z' } } } } });
      expect(st.status).to.equal(200);
    }
  });
  after(async () => c?.stop());

  it('plans a proposed profile without storing it', async () => {
    const proposed = { apiVersion: API, kind: 'NodeProfile', metadata: {}, spec: { nodeSelector: { matchLabels: { role: 'web' } }, states: [{ preset: 'safe-fix', with: { note: 'hi' } }, { preset: 'risky-fix' }], remediation: { mode: 'auto', autoApproveUpTo: 'SAFE' }, rollout: { canary: 1, maxParallel: 5 } } };
    const res = await post(`${NS}/nodeprofiles/web/plan`, proposed);
    expect(res.status).to.equal(200);
    const plan = (await res.json()) as { nodes: Array<{ node: string; states: Array<{ preset: string; action: string; why?: string; risk?: string; steps?: Array<{ script: string }>; params?: unknown }> }> };
    const summary = plan.nodes.map((n) => [n.node, n.states.map((s) => `${s.preset}:${s.action}`)]);
    expect(summary).to.deep.equal([
      ['a-1', ['safe-fix:run', 'risky-fix:blocked']],
      ['b-1', ['safe-fix:none', 'risky-fix:none']],
      ['c-1', ['safe-fix:blocked', 'risky-fix:blocked']],
    ]);
    const a = plan.nodes[0]!.states;
    expect(a[0]!.steps![0]!.script).to.equal('echo safe-fix "$note"');
    expect(a[0]!.params).to.deep.equal({ note: 'hi' });
    expect(a[1]!.why).to.equal('waiting for the canary to succeed');
    expect(plan.nodes[2]!.states[0]!.why).to.equal('the node is cordoned');
    expect((await c.api(`${NS}/nodeprofiles/web`)).status).to.equal(404);
  });

  it('refuses a proposed profile that would not be admitted, naming the field', async () => {
    const res = await post(`${NS}/nodeprofiles/web/plan`, { apiVersion: API, kind: 'NodeProfile', metadata: {}, spec: { states: [{ preset: 'safe-fix' }], remediation: { mode: 'sometimes' } } });
    expect(res.status).to.equal(422);
    expect(JSON.stringify(await res.json())).to.contain('spec.remediation.mode');
  });

  it("fills in the preset's param defaults, as a run gets them at queue time", async () => {
    const preset = { apiVersion: API, kind: 'Preset', metadata: { name: 'with-defaults' }, spec: { risk: 'SAFE', check: { probes: { 'sshd.passwordAuthentication': 'no' } }, apply: { script: 'echo "$level" "$count"' }, params: { type: 'object', properties: { level: { type: 'string', default: 'high' }, count: { type: 'integer', default: 3 } } } } };
    expect((await post(`${G}/presets`, preset)).status).to.equal(201);
    const res = await post(`${NS}/nodeprofiles/defaults/plan`, { apiVersion: API, kind: 'NodeProfile', metadata: {}, spec: { nodeNames: ['a-1'], states: [{ preset: 'with-defaults', with: { count: 5 } }] } });
    const plan = (await res.json()) as { nodes: Array<{ states: Array<{ params: unknown }> }> };
    expect(plan.nodes[0]!.states[0]!.params).to.deep.equal({ level: 'high', count: 5 });
  });

  it('plans the stored profile when no body is sent', async () => {
    expect((await post(`${NS}/nodeprofiles`, { apiVersion: API, kind: 'NodeProfile', metadata: { name: 'stored' }, spec: { nodeNames: ['a-1'], states: [{ preset: 'risky-fix' }], remediation: { mode: 'observe' } } })).status).to.equal(201);
    const plan = (await (await c.api(`${NS}/nodeprofiles/stored/plan`, { method: 'POST' })).json()) as { nodes: Array<{ node: string; states: Array<{ action: string; why: string }> }> };
    expect(plan.nodes.map((n) => [n.node, n.states[0]!.action, n.states[0]!.why])).to.deep.equal([['a-1', 'blocked', 'observe mode: findings only']]);
  });
});

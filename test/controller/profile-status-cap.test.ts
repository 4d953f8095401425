// A NodeProfile's status.nodes is capped (every status write carries the whole list): at most 100 entries,
// the nodes that need a look first, and nodesOmitted for the rest, while the counts still cover every node.
// Against a real controller (SQLite), so the capped status also passes the CRD's status schema.
import { expect } from 'chai';
import type { NodeProfile } from '@hyprbox/crds';
import { listedNodes, STATUS_NODES_MAX } from '@hyprbox/controller/reconcilers/nodeprofile';
import { startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';
import { until } from '../lib/wait.js';

const G = '/apis/hyprbox.io/v1alpha1';
const NS = `${G}/namespaces/default`;
const API = 'hyprbox.io/v1alpha1';
const name = (i: number): string => `n-${String(i).padStart(3, '0')}`;

describe('NodeProfile status.nodes cap', function () {
  this.timeout(120_000);

  it('orders non-compliant nodes first and cuts the list at the cap', () => {
    const entry = (n: string, state: string) => ({ name: n, state });
    expect(listedNodes([entry('a', 'Compliant'), entry('b', 'Failed'), entry('c', 'Drifted')])).to.deep.equal({ nodes: [entry('b', 'Failed'), entry('c', 'Drifted'), entry('a', 'Compliant')] });
    const many = Array.from({ length: STATUS_NODES_MAX + 7 }, (_, i) => entry(name(i), i < 3 ? 'Compliant' : 'Unknown'));
    const listed = listedNodes(many);
    expect(listed.nodes).to.have.length(STATUS_NODES_MAX);
    expect(listed.nodes.every((n) => n.state === 'Unknown')).to.equal(true);
    expect(listed.nodesOmitted).to.equal(7);
  });

  describe('on a real controller with 110 nodes', () => {
    let c: TestController;
    before(async () => {
      c = await startTestController('sqlite', ['--tls', 'off']);
      const preset = { apiVersion: API, kind: 'Preset', metadata: { name: 'pw' }, spec: { risk: 'SAFE', check: { probes: { 'sshd.passwordAuthentication': 'no' } }, apply: { script: 'true' } } };
      expect((await c.json('POST', `${G}/presets`, preset)).status).to.equal(201);
      // n-000..n-004 compliant, the other 105 drifted.
      for (let i = 0; i < 110; i++) {
        const created = await c.json('POST', `${NS}/nodes`, { apiVersion: API, kind: 'Node', metadata: { name: name(i), labels: { role: 'cap' } } });
        expect(created.status).to.equal(201);
        const value = i < 5 ? 'no' : 'yes';
        const st = await c.json('PUT', `${NS}/nodes/${name(i)}/status`, { ...created.body, status: { probes: { 'sshd.passwordAuthentication': { state: 'ok', value, observedAt: new Date().toISOString() } } } });
        expect(st.status).to.equal(200);
      }
    });
    after(async () => c?.stop());

    it('lists the first 100 drifted nodes, counts all 110, and says 10 were left out', async () => {
      const p = await c.json('POST', `${NS}/nodeprofiles`, { apiVersion: API, kind: 'NodeProfile', metadata: { name: 'cap' }, spec: { nodeSelector: { matchLabels: { role: 'cap' } }, states: [{ preset: 'pw' }], remediation: { mode: 'observe' } } });
      expect(p.status, JSON.stringify(p.body)).to.equal(201);
      const status = async () => (await c.json<NodeProfile>('GET', `${NS}/nodeprofiles/cap`)).body.status;
      await until('the status', async () => (await status())?.matched === 110, 60_000);
      const s = (await status())!;
      expect([s.matched, s.compliant, s.drifted, s.nodesOmitted]).to.deep.equal([110, 5, 105, 10]);
      expect(s.nodes!.map((n) => n.name)).to.deep.equal(Array.from({ length: 100 }, (_, i) => name(i + 5)));
      expect(new Set(s.nodes!.map((n) => n.state))).to.deep.equal(new Set(['Drifted']));
    });
  });
});

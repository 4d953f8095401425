// A canary rollout over three Debian test hosts (each its own network namespace, each with the real agent),
// against one real controller listening on every address (each host reaches it at its own hostAddress, all
// of them in the certificate). The canary host is set to fail: its run fails, the rollout pauses and the
// other two never get a run; `hyprbox rollout resume` (the real CLI) lets it continue: the canary runs again,
// and only once its fix is verified (its finding resolved by a fresh probe) do the others get their runs.
// The order is read back from the store's history (one global revision across kinds), not from timing.
import { expect } from 'chai';
import type { Finding, Node, NodeProfile, Run } from '@hyprbox/crds';
import { startAgentInHost } from '../lib/agent.js';
import type { AgentInHost } from '../lib/agent.js';
import { hyprbox } from '../lib/cli.js';
import { startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';
import { useTestHost } from '../lib/testhost.js';
import { until } from '../lib/wait.js';

const G = '/apis/hyprbox.io/v1alpha1';
const NS = `${G}/namespaces/default`;
const API = 'hyprbox.io/v1alpha1';
const NODES = ['ro-1', 'ro-2', 'ro-3']; // ro-1 sorts first: the canary
const PROFILE = 'roll';
const DROPIN = '/etc/ssh/sshd_config.d/00-rollout.conf';

// Password logins off with a drop-in; apply fails on a host holding /etc/hb-break (the broken canary).
const preset = {
  apiVersion: API, kind: 'Preset', metadata: { name: 'rollout-fixture' },
  spec: {
    risk: 'SAFE',
    check: { probes: { 'sshd.passwordAuthentication': 'no' } },
    apply: { script: `if [ -e /etc/hb-break ]; then echo "this host is set to fail" >&2; exit 1; fi\nprintf 'PasswordAuthentication no\\n' > ${DROPIN}` },
    verify: { script: `grep -q '^PasswordAuthentication no' ${DROPIN}` },
  },
};

interface WatchEvent<T> {
  type: string;
  object: T;
}

describe('a canary rollout over three test hosts', function () {
  this.timeout(240_000);
  const hosts = NODES.map((name) => useTestHost({ network: true, name }));
  let c: TestController;
  const agents: AgentInHost[] = [];

  const runs = async (): Promise<Run[]> => (await c.json<{ items: Run[] }>('GET', `${NS}/runs?labelSelector=hyprbox.io%2Fprofile%3D${PROFILE}`)).body.items;
  const nodeOf = (r: Run): string => r.spec.nodeName;
  const drift = async (node: string): Promise<Finding | undefined> => (await c.json<{ items: Finding[] }>('GET', `${NS}/findings`)).body.items.find((f) => f.spec.nodeName === node && f.spec.type === 'drift.rollout-fixture');
  const paused = async (): Promise<boolean> => ((await c.json<NodeProfile>('GET', `${NS}/nodeprofiles/${PROFILE}`)).body.status?.conditions ?? []).some((x) => x.type === 'Stalled' && x.status === 'True' && x.reason === 'RolloutPaused');
  /** Every change to a kind since `rv`, replayed from the store's history (the watch ends after a second). */
  const history = async <T>(kind: string, rv: string): Promise<Array<WatchEvent<T>>> => {
    const text = await (await c.api(`${NS}/${kind}?watch=1&resourceVersion=${rv}&timeoutSeconds=1`)).text();
    return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as WatchEvent<T>);
  };
  const rvOf = (o: { metadata?: { resourceVersion?: string } }): number => Number(o.metadata!.resourceVersion);

  before(async function () {
    this.timeout(30 * 60_000);
    const addresses = hosts.map((t) => t.host.hostAddress!);
    c = await startTestController('sqlite', ['--listen', '0.0.0.0:0', '--tls-san', addresses.join(',')]);
    expect((await c.json('POST', `${G}/presets`, preset)).status).to.equal(201);
    hosts[0]!.host.writeFile('/etc/hb-break', 'the canary fails here\n');
    for (const [i, t] of hosts.entries()) agents.push(await startAgentInHost(t.host, c, { nodeName: NODES[i]!, env: { HYPRBOX_HEARTBEAT_INTERVAL: '2s' } }));
    // All three drifted before the profile exists, so the first reconcile sees them all and ro-1 is the canary.
    await until('every node to report password logins on', async () => {
      const nodes = await Promise.all(NODES.map((n) => c.json<Node>('GET', `${NS}/nodes/${n}`)));
      return nodes.every((n) => (n.body.status?.probes as Record<string, { value?: unknown }> | undefined)?.['sshd.passwordAuthentication']?.value === 'yes');
    }, 90_000);
  });
  after(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await c?.stop();
  });

  it('a failing canary pauses the rollout; after `hyprbox rollout resume` the others run only once the canary is verified', async () => {
    const start = (await c.json<{ metadata: { resourceVersion: string } }>('GET', `${NS}/runs`)).body.metadata.resourceVersion;
    const r = await c.json('POST', `${NS}/nodeprofiles`, {
      apiVersion: API, kind: 'NodeProfile', metadata: { name: PROFILE },
      spec: { nodeNames: NODES, states: [{ preset: 'rollout-fixture' }], remediation: { mode: 'auto', autoApproveUpTo: 'SAFE' }, rollout: { canary: 1, maxParallel: 2 } },
    });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);

    // The canary fails; the rollout pauses and the other two say why they get no run.
    await until('the canary run to fail', async () => (await runs()).some((x) => x.status?.phase === 'Failed'), 60_000);
    await until('the rollout paused', paused, 30_000);
    for (const n of ['ro-2', 'ro-3']) await until(`${n}'s finding to say the rollout is paused`, async () => ((await drift(n))?.spec.message ?? '').includes('the rollout is paused after a failure'), 30_000);
    expect((await runs()).map((x) => [nodeOf(x), x.status?.phase])).to.deep.equal([['ro-1', 'Failed']]);
    expect((await drift('ro-1'))?.status?.phase).to.equal('Failed');
    expect((await hosts[1]!.host.exec(['test', '-e', DROPIN])).code).to.equal(1);

    // A person fixes the canary host and resumes the rollout with the CLI.
    expect((await hosts[0]!.host.exec(['rm', '/etc/hb-break'])).code).to.equal(0);
    const resume = await hyprbox(c.kubeconfig, ['rollout', 'resume', PROFILE]);
    expect(resume.code, `${resume.stdout}${resume.stderr}`).to.equal(0);
    await until('every node compliant', async () => (await c.json<NodeProfile>('GET', `${NS}/nodeprofiles/${PROFILE}`)).body.status?.compliant === 3, 120_000).catch(async (err: Error) => {
      throw new Error(`${err.message}; runs: ${JSON.stringify((await runs()).map((x) => [x.metadata!.name, x.status?.phase, x.status?.message]))}`);
    });
    const all = await runs();
    expect(all.map((x) => [nodeOf(x), x.status?.phase]).sort()).to.deep.equal([['ro-1', 'Failed'], ['ro-1', 'Succeeded'], ['ro-2', 'Succeeded'], ['ro-3', 'Succeeded']]);
    for (const t of hosts) expect(t.host.readFile(DROPIN)).to.equal('PasswordAuthentication no\n');

    // The order, from the store's history: the canary's finding was resolved (its fix verified by a fresh
    // probe) at a revision before either other node's run was created.
    const runEvents = (await history<Run>('runs', start)).filter((e) => e.type === 'ADDED' && e.object.metadata?.labels?.['hyprbox.io/profile'] === PROFILE);
    const findingEvents = await history<Finding>('findings', start);
    const canaryVerified = findingEvents.find((e) => e.object.spec.nodeName === 'ro-1' && e.object.spec.type === 'drift.rollout-fixture' && e.object.status?.phase === 'Resolved');
    expect(canaryVerified, 'the canary finding resolved in the history').to.not.equal(undefined);
    const others = runEvents.filter((e) => nodeOf(e.object) !== 'ro-1');
    expect(others.map((e) => nodeOf(e.object)).sort()).to.deep.equal(['ro-2', 'ro-3']);
    for (const e of others) expect(rvOf(e.object), `${nodeOf(e.object)}'s run created before the canary was verified`).to.be.greaterThan(rvOf(canaryVerified!.object));
  });
});

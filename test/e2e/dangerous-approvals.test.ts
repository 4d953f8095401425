// A DANGEROUS run that needs two distinct approvers, through the real path: the catalog's ssh-hardening preset
// (synced from presets/ at controller start) in a NodeProfile with dangerousApprovals: 2, on a Debian test host
// with an authorized key and the real agent. Users, role bindings and tokens are made with the real CLI, and
// approvals given with `hyprbox approve` under each user's own token. One approval leaves the run waiting, the
// same person approving again counts once, a second person starts it; it converges (sshd -t passes) and
// both the drift finding and the scanner's ssh.password-auth-enabled finding resolve. Until approved, the run
// has no signature, so editing its phase in the store licenses nothing.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { findingName } from '@hyprbox/crds';
import type { Finding, Run } from '@hyprbox/crds';
import { verifyRun } from '@hyprbox/crds/signing';
import { startAgentInHost } from '../lib/agent.js';
import type { AgentInHost } from '../lib/agent.js';
import { send, startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';
import { repoPath } from '../lib/paths.js';
import { useTestHost } from '../lib/testhost.js';
import { sleep, until } from '../lib/wait.js';
import { as, ok, userWithRole } from '../cli/cli-access-helpers.js';

const G = '/apis/hyprbox.io/v1alpha1';
const NS = `${G}/namespaces/default`;
const NODE = 'da-1';
const PROFILE = 'harden';
// A real public key (ssh-hardening's precheck counts only keys ssh-keygen can read); its private half was thrown away.
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKc7t3StIJrIrPlxYr7aJXSeczS4jXY1wJBGc/+Rigdj ops@laptop\n';
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('a DANGEROUS preset that needs two distinct approvers, on a test host', function () {
  this.timeout(240_000);
  const t = useTestHost({ network: true, name: NODE });
  let c: TestController;
  let agent: AgentInHost | undefined;
  const tokens: Record<string, string> = {};

  const finding = async (type: string, key: string): Promise<Finding | undefined> => {
    const r = await c.json<Finding>('GET', `${NS}/findings/${findingName(NODE, type, key)}`);
    return r.status === 200 ? r.body : undefined;
  };
  const drift = () => finding('drift.ssh-hardening', `${PROFILE}/ssh-hardening`);
  const runs = async (): Promise<Run[]> => (await c.json<{ items: Run[] }>('GET', `${NS}/runs?labelSelector=hyprbox.io%2Fprofile%3D${PROFILE}`)).body.items;
  const config = (): string => sha(t.host.readFile('/etc/ssh/sshd_config'));

  before(async function () {
    this.timeout(30 * 60_000);
    c = await startTestController('sqlite', ['--listen', `${t.host.hostAddress}:0`, '--presets-dir', repoPath('presets')]);
    tokens.ana = await userWithRole(c, 'ana', 'operator');
    tokens.ben = await userWithRole(c, 'ben', 'operator');
    expect((await t.host.exec(['ssh-keygen', '-A'])).code).to.equal(0);
    t.host.writeFile('/root/.ssh/authorized_keys', KEY, 0o600);
    agent = await startAgentInHost(t.host, c, { nodeName: NODE, env: { HYPRBOX_HEARTBEAT_INTERVAL: '2s' } });
    await until('the scanner to report password logins', async () => (await finding('ssh.password-auth-enabled', 'sshd:/etc/ssh/sshd_config'))?.status?.phase === 'Open', 90_000);
  });
  after(async () => {
    await agent?.stop();
    await c?.stop();
  });

  it('waits for two people (the same one twice counts once), then converges and resolves the findings', async () => {
    const before = config();
    const p = await c.json('POST', `${NS}/nodeprofiles`, {
      apiVersion: 'hyprbox.io/v1alpha1', kind: 'NodeProfile', metadata: { name: PROFILE },
      spec: { nodeNames: [NODE], states: [{ preset: 'ssh-hardening' }], remediation: { mode: 'auto', autoApproveUpTo: 'CONFIRM', dangerousApprovals: 2 } },
    });
    expect(p.status, JSON.stringify(p.body)).to.equal(201);
    await until('a run awaiting approval', async () => (await runs())[0]?.status?.phase === 'AwaitingApproval', 60_000);
    const run = (await runs())[0]!;
    const name = run.metadata!.name!;
    expect(run.spec.risk).to.equal('DANGEROUS');
    expect((await drift())?.status?.phase).to.equal('AwaitingApproval');

    const phase = async (): Promise<string | undefined> => (await c.json<Run>('GET', `${NS}/runs/${name}`)).body.status?.phase;
    const approvers = async (): Promise<string[] | undefined> => (await c.json<Run>('GET', `${NS}/runs/${name}`)).body.spec.approvedBy;
    // One person, twice through the CLI (it adds a name only once), and once more straight through the API
    // with the name repeated (refused: approvedBy is a set): still one approver.
    await ok(c, ['approve', `run/${name}`], as(tokens.ana!));
    await ok(c, ['approve', `run/${name}`], as(tokens.ana!));
    expect(await approvers()).to.deep.equal(['ana']);
    const current = (await c.json<Run>('GET', `${NS}/runs/${name}`)).body;
    const dup = await send(`${c.url}${NS}/runs/${name}`, 'PATCH', new Headers({ Authorization: `Bearer ${tokens.ana}`, 'Content-Type': 'application/merge-patch+json' }),
      JSON.stringify({ metadata: { resourceVersion: current.metadata!.resourceVersion }, spec: { approvedBy: ['ana', 'ana'] } }), c.controller.caCert);
    expect(dup.status).to.equal(422);
    expect((JSON.parse(await dup.text()) as { details: { causes: Array<{ field: string; reason: string }> } }).details.causes).to.deep.equal([{ field: 'spec.approvedBy[1]', reason: 'FieldValueDuplicate', message: 'Duplicate value: "ana"' }]);
    expect(await approvers()).to.deep.equal(['ana']);
    // Ben cannot add a name that is not his own.
    const forged = await send(`${c.url}${NS}/runs/${name}`, 'PATCH', new Headers({ Authorization: `Bearer ${tokens.ben}`, 'Content-Type': 'application/merge-patch+json' }),
      JSON.stringify({ spec: { approvedBy: ['ana', 'carl'] } }), c.controller.caCert);
    expect(forged.status).to.equal(403);
    await sleep(2000); // the approval reconciler has seen Ana's approvals (a few ms) and must not start the run
    expect(await phase()).to.equal('AwaitingApproval');
    // Until approved the run carries no signature: its phase set to Pending in the store (as someone with the
    // store's file or etcd credentials could) licenses nothing, as the agent's own check says.
    const waiting = (await c.json<Run>('GET', `${NS}/runs/${name}`)).body;
    expect(waiting.spec.signature).to.equal(undefined);
    const pinned = (await (await c.api('/hyprbox/v1/signing-key')).text());
    const edited: Run = { ...waiting, status: { ...waiting.status, phase: 'Pending' } };
    expect(verifyRun(edited, pinned, { now: new Date() })).to.deep.include({ ok: false, reason: 'Unsigned' });
    expect(config(), 'sshd_config untouched while waiting').to.equal(before);

    // A second, distinct person starts it.
    const second = await ok(c, ['approve', `run/${name}`], as(tokens.ben!));
    expect(second.stdout).to.contain('approved by ben');
    await until('the run to finish', async () => ['Succeeded', 'Failed', 'RolledBack'].includes((await phase()) ?? ''), 90_000);
    const log = await (await c.api(`${NS}/runs/${name}/log`)).text();
    expect(await phase(), log).to.equal('Succeeded');
    const signed = (await c.json<Run>('GET', `${NS}/runs/${name}`)).body;
    expect(verifyRun(signed, pinned, { now: new Date() })).to.deep.equal({ ok: true });
    expect(new Set(await approvers())).to.deep.equal(new Set(['ana', 'ben']));

    expect((await t.host.exec(['sshd', '-t'])).code).to.equal(0);
    const eff = (await t.host.exec(['sshd', '-T'])).stdout;
    expect(eff).to.match(/^passwordauthentication no$/m);
    expect(eff).to.match(/^permitrootlogin (without-password|prohibit-password)$/m);
    await until('the drift finding resolved', async () => (await drift())?.status?.phase === 'Resolved', 60_000);
    await until('the scanner finding resolved', async () => (await finding('ssh.password-auth-enabled', 'sshd:/etc/ssh/sshd_config'))?.status?.phase === 'Resolved', 60_000);
    expect((await runs()).map((r) => r.metadata!.name)).to.deep.equal([name]);
  });
});

// The loop end to end on a Debian test host: a NodeProfile's drift opens a finding, an auto-approved SAFE run
// fixes it and the finding resolves; a CONFIRM run waits for a person; a DANGEROUS run never starts
// unapproved; a verify failure rolls back and pauses the rollout; a cordoned node gets findings but no runs.
import { expect } from 'chai';
import { pino } from 'pino';
import { loadConfig } from '@hyprbox/controller/config';
import { startController } from '@hyprbox/controller/server';
import type { RunningController } from '@hyprbox/controller/server';
import type { Finding, NodeProfile, Run } from '@hyprbox/crds';
import { startAgentInHost } from '../lib/agent.js';
import type { AgentInHost } from '../lib/agent.js';
import { startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';
import { useTestHost } from '../lib/testhost.js';
import { until } from '../lib/wait.js';

const G = '/apis/hyprbox.io/v1alpha1';
const API = 'hyprbox.io/v1alpha1';
const NS = `${G}/namespaces/default`;

/** A preset that turns sshd password authentication off with a drop-in file (SAFE here for the test). */
const pwPreset = (name: string, risk: string, verify = 'grep -q "^PasswordAuthentication no" /etc/ssh/sshd_config.d/00-hyprbox.conf') => ({
  apiVersion: API, kind: 'Preset', metadata: { name },
  spec: {
    risk,
    check: { probes: { 'sshd.passwordAuthentication': 'no' } },
    precheck: { script: 'test -d /etc/ssh/sshd_config.d' },
    apply: { script: 'cp -p /etc/ssh/sshd_config.d/00-hyprbox.conf /root/00-hyprbox.conf.bak 2>/dev/null || true\nprintf "PasswordAuthentication no\\n" > /etc/ssh/sshd_config.d/00-hyprbox.conf' },
    verify: { script: verify },
    rollback: { script: 'if [ -e /root/00-hyprbox.conf.bak ]; then mv /root/00-hyprbox.conf.bak /etc/ssh/sshd_config.d/00-hyprbox.conf; else rm -f /etc/ssh/sshd_config.d/00-hyprbox.conf; fi' },
    resolves: ['ssh.password-auth-enabled'],
  },
});

describe('the reconcile loop on a Debian test host', function () {
  this.timeout(240_000);
  const t = useTestHost({ network: true, name: 'rh-1' });
  let c: TestController;
  let agent: AgentInHost | undefined;
  let current: RunningController | undefined;
  let n = 0;

  const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, type = 'application/json') => c.json<T>(method, path, body, type);
  const findings = async (): Promise<Finding[]> => (await api<{ items: Finding[] }>('GET', `${NS}/findings`)).body.items;
  const runsOf = async (profile: string): Promise<Run[]> => (await api<{ items: Run[] }>('GET', `${NS}/runs?labelSelector=hyprbox.io%2Fprofile%3D${profile}`)).body.items;
  const profileStatus = async (name: string) => (await api<NodeProfile>('GET', `${NS}/nodeprofiles/${name}`)).body.status;
  const drift = async (preset: string, profile: string): Promise<Finding | undefined> => (await findings()).find((f) => f.spec.type === `drift.${preset}` && f.spec.nodeName === 'rh-1' && f.spec.key === `${profile}/${preset}`);
  const applyProfile = async (preset: string, remediation: Record<string, unknown>): Promise<string> => {
    const name = `prof-${++n}`;
    const r = await api('POST', `${NS}/nodeprofiles`, { apiVersion: API, kind: 'NodeProfile', metadata: { name }, spec: { nodeNames: ['rh-1'], states: [{ preset }], remediation } });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    return name;
  };
  const removeProfile = (name: string) => api('DELETE', `${NS}/nodeprofiles/${name}`);
  /** What the controller and the host say right now, for a wait that timed out. */
  const diagnose = (profile: string) => async (err: Error): Promise<never> => {
    const runs = (await api<{ items: Run[] }>('GET', `${NS}/runs`)).body.items.map((r) => [r.metadata!.name, r.status?.phase]);
    const node = await api<{ spec?: unknown; status?: { probes?: Record<string, unknown> } }>('GET', `${NS}/nodes/rh-1`);
    const file = await t.host.exec(['cat', '/etc/ssh/sshd_config.d/00-hyprbox.conf']);
    const fs = (await findings()).filter((f) => f.spec.key.startsWith(`${profile}/`)).map((f) => [f.spec.type, f.status?.phase, f.spec.message]);
    throw new Error(`${err.message}; now ${new Date().toISOString()}; runs: ${JSON.stringify(runs)}; node spec ${JSON.stringify(node.body.spec)} probe ${JSON.stringify(node.body.status?.probes?.['sshd.passwordAuthentication'])}; file: ${file.code} ${file.stdout.trim()}; profile status: ${JSON.stringify(await profileStatus(profile))}; its findings: ${JSON.stringify(fs)}`, { cause: err });
  };
  const resetHost = async (): Promise<void> => {
    await t.host.exec(['rm', '-f', '/etc/ssh/sshd_config.d/00-hyprbox.conf', '/root/00-hyprbox.conf.bak']);
    await until('password auth back to yes', async () => {
      const node = await api<{ status?: { probes?: Record<string, { value?: unknown }> } }>('GET', `${NS}/nodes/rh-1`);
      return node.body.status?.probes?.['sshd.passwordAuthentication']?.value === 'yes';
    }, 30_000);
  };

  before(async function () {
    this.timeout(30 * 60_000);
    c = await startTestController('sqlite', ['--listen', `${t.host.hostAddress}:0`]);
    for (const [name, risk] of [['pw-safe', 'SAFE'], ['pw-confirm', 'CONFIRM'], ['pw-danger', 'DANGEROUS']] as const) {
      expect((await api('POST', `${G}/presets`, pwPreset(name, risk))).status).to.equal(201);
    }
    expect((await api('POST', `${G}/presets`, pwPreset('pw-badverify', 'SAFE', 'false'))).status).to.equal(201);
    const motd = {
      apiVersion: API, kind: 'Preset', metadata: { name: 'motd' },
      spec: {
        risk: 'SAFE',
        params: { type: 'object', required: ['text'], properties: { text: { type: 'string' } }, additionalProperties: false },
        check: { script: 'if [ "$(cat /etc/motd 2>/dev/null)" = "$text" ]; then exit 0; else exit 1; fi', timeoutSeconds: 10 },
        apply: { script: 'printf "%s\n" "$text" > /etc/motd' },
        verify: { script: '[ "$(cat /etc/motd)" = "$text" ]' },
      },
    };
    expect((await api('POST', `${G}/presets`, motd)).status).to.equal(201);
    agent = await startAgentInHost(t.host, c, { nodeName: 'rh-1', env: { HYPRBOX_HEARTBEAT_INTERVAL: '2s' } });
    await until('the node to report sshd', async () => {
      const node = await api<{ status?: { probes?: Record<string, { value?: unknown }> } }>('GET', `${NS}/nodes/rh-1`);
      return node.body.status?.probes?.['sshd.passwordAuthentication']?.value === 'yes';
    }, 60_000);
  });
  after(async () => {
    await agent?.stop();
    await current?.stop();
    await c?.stop();
  });

  it('drift opens a finding, an auto-approved SAFE run fixes it, and the finding resolves', async () => {
    const p = await applyProfile('pw-safe', { mode: 'auto', autoApproveUpTo: 'SAFE' });
    await until('a drift finding', async () => (await drift('pw-safe', p)) !== undefined, 30_000);
    await until('the finding resolved by the run', async () => (await drift('pw-safe', p))?.status?.phase === 'Resolved', 60_000);
    const runs = await runsOf(p);
    expect(runs).to.have.length(1);
    expect(runs[0]!.status!.phase).to.equal('Succeeded');
    expect(runs[0]!.spec.steps!.map((s) => s.name)).to.deep.equal(['precheck', 'apply', 'verify', 'rollback']);
    expect(t.host.readFile('/etc/ssh/sshd_config.d/00-hyprbox.conf')).to.equal('PasswordAuthentication no\n');
    await until('the profile compliant', async () => (await profileStatus(p))?.compliant === 1, 30_000);
    // Drifting again later is a new drift, not a failed fix: a second run fixes it, the rollout stays open.
    await t.host.exec(['rm', '-f', '/etc/ssh/sshd_config.d/00-hyprbox.conf']);
    await until('a second run resolves the new drift', async () => {
      const rs = await runsOf(p);
      return rs.length === 2 && rs.every((r) => r.status?.phase === 'Succeeded') && (await drift('pw-safe', p))?.status?.phase === 'Resolved';
    }, 60_000);
    expect((await profileStatus(p))?.conditions?.find((x) => x.type === 'Stalled')?.status).to.equal('False');
    await removeProfile(p);
    await resetHost();
  });

  it("a preset's check script, assigned and signed by the controller, drives drift and its fix", async () => {
    const p = `prof-${++n}`;
    const bad = await api('POST', `${NS}/nodeprofiles`, { apiVersion: API, kind: 'NodeProfile', metadata: { name: p }, spec: { nodeNames: ['rh-1'], states: [{ preset: 'motd', with: { txt: 'typo' } }] } });
    expect(bad.status).to.equal(422);
    expect(JSON.stringify(bad.body)).to.contain('spec.states[0].with');
    const r = await api('POST', `${NS}/nodeprofiles`, { apiVersion: API, kind: 'NodeProfile', metadata: { name: p }, spec: { nodeNames: ['rh-1'], states: [{ preset: 'motd', with: { text: 'managed by hyprbox; $(touch /root/injected)' } }], remediation: { mode: 'auto', autoApproveUpTo: 'SAFE' } } });
    expect(r.status).to.equal(201);
    await until('the motd finding resolved by a run', async () => {
      const f = (await findings()).find((x) => x.spec.type === 'drift.motd' && x.spec.key === `${p}/motd`);
      return f?.status?.phase === 'Resolved';
    }, 60_000);
    expect(t.host.readFile('/etc/motd')).to.equal('managed by hyprbox; $(touch /root/injected)\n');
    // Params are data: nothing in them was executed.
    expect((await t.host.exec(['test', '-e', '/root/injected'])).code).to.equal(1);
    await removeProfile(p);
  });

  it('refuses a check script that the controller did not sign', async () => {
    const forged = JSON.stringify([{ preset: 'evil', script: 'touch /root/pwned-check', timeoutSeconds: 5, params: {}, signature: Buffer.alloc(64).toString('base64') }]);
    await api('PATCH', `${NS}/nodes/rh-1`, { metadata: { annotations: { 'hyprbox.io/checks': forged } } }, 'application/merge-patch+json');
    // Whatever the agent saw meanwhile, the forged script never ran, and the controller put its own list back.
    await until('the annotation restored', async () => ((await api<{ metadata: { annotations?: Record<string, string> } }>('GET', `${NS}/nodes/rh-1`)).body.metadata.annotations?.['hyprbox.io/checks'] ?? '') !== forged, 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await t.host.exec(['test', '-e', '/root/pwned-check'])).code).to.equal(1);
  });

  it('a CONFIRM run waits for a person, then runs once approved', async () => {
    const p = await applyProfile('pw-confirm', { mode: 'auto', autoApproveUpTo: 'SAFE' });
    await until('a run awaiting approval', async () => (await runsOf(p))[0]?.status?.phase === 'AwaitingApproval', 30_000);
    expect((await drift('pw-confirm', p))?.status?.phase).to.equal('AwaitingApproval');
    const run = (await runsOf(p))[0]!;
    // Approving in someone else's name is refused.
    const forged = await api('PATCH', `${NS}/runs/${run.metadata!.name}`, { spec: { approvedBy: ['someone-else'] } }, 'application/merge-patch+json');
    expect(forged.status).to.equal(403);
    expect((await api('PATCH', `${NS}/runs/${run.metadata!.name}`, { spec: { approvedBy: ['admin'] } }, 'application/merge-patch+json')).status).to.equal(200);
    await until('the finding resolved', async () => (await drift('pw-confirm', p))?.status?.phase === 'Resolved', 60_000);
    await removeProfile(p);
    await resetHost();
  });

  it('a DANGEROUS run never starts unapproved, even when the profile auto-approves up to CONFIRM', async () => {
    const p = await applyProfile('pw-danger', { mode: 'auto', autoApproveUpTo: 'CONFIRM' });
    await until('a run', async () => (await runsOf(p)).length === 1, 30_000).catch(diagnose(p));
    const run = (await runsOf(p))[0]!;
    expect(run.status!.phase).to.equal('AwaitingApproval');
    expect(run.spec.risk).to.equal('DANGEROUS');
    expect((await t.host.exec(['test', '-e', '/etc/ssh/sshd_config.d/00-hyprbox.conf'])).code).to.equal(1);
    // Cancelled before anyone approved: it never ran.
    const cancel = await api('PATCH', `${NS}/runs/${run.metadata!.name}`, { spec: { cancel: true } }, 'application/merge-patch+json');
    expect(cancel.status, JSON.stringify(cancel.body)).to.equal(200);
    await until('cancelled', async () => (await runsOf(p))[0]?.status?.phase === 'Cancelled', 30_000);
    expect((await t.host.exec(['test', '-e', '/etc/ssh/sshd_config.d/00-hyprbox.conf'])).code).to.equal(1);
    await removeProfile(p);
  });

  it('a verify failure rolls back and pauses the rollout until a person resumes it', async () => {
    const p = await applyProfile('pw-badverify', { mode: 'auto', autoApproveUpTo: 'SAFE' });
    await until('the run rolled back', async () => (await runsOf(p))[0]?.status?.phase === 'RolledBack', 60_000).catch(diagnose(p));
    expect((await t.host.exec(['test', '-e', '/etc/ssh/sshd_config.d/00-hyprbox.conf'])).code).to.equal(1);
    await until('the rollout paused', async () => (await profileStatus(p))?.conditions?.some((x) => x.type === 'Stalled' && x.status === 'True' && x.reason === 'RolloutPaused') === true, 30_000);
    // The apply's file briefly made the probe compliant; the finding turns Failed once the agent reports the
    // rolled-back state, which may arrive after the run's RolledBack status.
    await until('the finding Failed', async () => (await drift('pw-badverify', p))?.status?.phase === 'Failed', 30_000);
    const events = (await api<{ items: Array<{ reason: string; type: string; count: number; involvedObject: { name: string } }> }>('GET', `${NS}/events`)).body.items.filter((e) => e.involvedObject.name === p);
    expect(events.map((e) => [e.type, e.reason]).sort()).to.deep.equal([['Normal', 'RunCreated'], ['Warning', 'RolloutPaused']]);
    // Nothing loops: no second run while paused.
    const before = (await runsOf(p)).length;
    await new Promise((r) => setTimeout(r, 3000));
    expect((await runsOf(p)).length).to.equal(before);
    await removeProfile(p);
  });

  it('a maintenance window defers the run until it opens', async () => {
    const p = `prof-${++n}`;
    const hour = (new Date().getUTCHours() + 12) % 24;
    const r = await api('POST', `${NS}/nodeprofiles`, { apiVersion: API, kind: 'NodeProfile', metadata: { name: p }, spec: { nodeNames: ['rh-1'], states: [{ preset: 'pw-safe' }], remediation: { mode: 'auto', autoApproveUpTo: 'SAFE' }, maintenanceWindows: [{ schedule: `0 ${hour} * * *`, duration: '1h', timeZone: 'UTC' }] } });
    expect(r.status).to.equal(201);
    await until('the deferred finding', async () => ((await drift('pw-safe', p))?.spec.message ?? '').includes('outside the maintenance window'), 30_000);
    expect(await runsOf(p)).to.have.length(0);
    await removeProfile(p);
  });

  it('two controller restarts in the middle lose nothing and run nothing twice', async () => {
    const p = await applyProfile('pw-confirm', { mode: 'auto', autoApproveUpTo: 'SAFE' });
    await until('a run awaiting approval', async () => (await runsOf(p))[0]?.status?.phase === 'AwaitingApproval', 30_000);
    const restart = async (): Promise<void> => {
      const port = new URL(c.url).port;
      await (current ?? c.controller).stop();
      current = await startController(loadConfig(['--data-dir', c.dataDir, '--listen', `${t.host.hostAddress}:${port}`], {}), { log: pino({ level: 'silent' }) });
    };
    await restart();
    await new Promise((r) => setTimeout(r, 1000));
    expect((await runsOf(p)).map((r) => r.status?.phase)).to.deep.equal(['AwaitingApproval']);
    const run = (await runsOf(p))[0]!;
    expect((await api('PATCH', `${NS}/runs/${run.metadata!.name}`, { spec: { approvedBy: ['admin'] } }, 'application/merge-patch+json')).status).to.equal(200);
    await restart();
    await until('the finding resolved after the restarts', async () => (await drift('pw-confirm', p))?.status?.phase === 'Resolved', 60_000).catch(async (err: Error) => {
      throw new Error(`${err.message}; runs: ${JSON.stringify((await runsOf(p)).map((r) => [r.metadata!.name, r.status]))}; finding: ${JSON.stringify((await drift('pw-confirm', p))?.status)}`);
    });
    const runs = await runsOf(p);
    expect(runs.map((r) => [r.metadata!.name, r.status?.phase])).to.deep.equal([[run.metadata!.name, 'Succeeded']]);
    await removeProfile(p);
    await resetHost();
  });

  it('a cordoned node gets findings but no runs; observe mode only reports', async () => {
    expect((await api('PATCH', `${NS}/nodes/rh-1`, { spec: { paused: true } }, 'application/merge-patch+json')).status).to.equal(200);
    const p = await applyProfile('pw-safe', { mode: 'auto', autoApproveUpTo: 'SAFE' });
    await until('the drift finding', async () => (await drift('pw-safe', p))?.status?.phase === 'Open', 30_000).catch(diagnose(p));
    expect((await drift('pw-safe', p))!.spec.message).to.contain('cordoned');
    expect(await runsOf(p)).to.have.length(0);
    await removeProfile(p);
    await api('PATCH', `${NS}/nodes/rh-1`, { spec: { paused: false } }, 'application/merge-patch+json');
    const o = await applyProfile('pw-safe', { mode: 'observe' });
    await until('the observe finding', async () => ((await drift('pw-safe', o))?.spec.message ?? '').includes('observe mode'), 30_000).catch(diagnose(o));
    expect(await runsOf(o)).to.have.length(0);
    await removeProfile(o);
  });
});

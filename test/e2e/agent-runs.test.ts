// How the real agent executes Runs when things go wrong, in a networked Debian test host against a real
// controller: Runs one at a time (and a queued Run cancelled), the rollback after a failed, timed-out or
// cancelled step, an output flood, the agent killed or stopped during a step, and a controller outage.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { pino } from 'pino';
import { loadConfig } from '@hyprbox/controller/config';
import { startController } from '@hyprbox/controller/server';
import type { RunningController } from '@hyprbox/controller/server';
import type { Run } from '@hyprbox/crds';
import { agentCommand, agentEnvironment } from '../lib/agent-command.js';
import { startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';
import { repoPath } from '../lib/paths.js';
import { useTestHost } from '../lib/testhost.js';
import { sleep, until } from '../lib/wait.js';

const G = '/apis/hyprbox.io/v1alpha1';
const API = 'hyprbox.io/v1alpha1';
const FINAL = ['Succeeded', 'Failed', 'Cancelled', 'RolledBack'];
type Step = { name: string; script: string; timeoutSeconds?: number };

describe('hyprnode runs: one at a time, rolled back, bounded, and honest across crashes and outages', function () {
  this.timeout(240_000);
  const t = useTestHost({ network: true, name: 'ar-1' });
  let c: TestController;
  let token: string;
  let agent: ChildProcess | undefined;
  let restarted: RunningController | undefined;
  let seq = 0;
  // Test hosts share the machine's process table: a sleep looked for by its command line has a unique duration.
  const uniq = `${process.pid}${Date.now() % 1000}`;

  const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, type = 'application/json') => c.json<T>(method, path, body, type);
  const run = async (name: string): Promise<Run> => (await api<Run>('GET', `${G}/namespaces/default/runs/${name}`)).body;
  const log = async (name: string): Promise<string> => (await c.api(`${G}/namespaces/default/runs/${name}/log`)).text();
  const sh = async (cmd: string): Promise<string> => (await t.host.exec(['bash', '-c', cmd])).stdout;
  const exists = async (path: string): Promise<boolean> => (await t.host.exec(['test', '-e', path])).code === 0;
  const createRun = async (steps: Step[]): Promise<string> => {
    const name = `run-${++seq}`;
    const r = await api('POST', `${G}/namespaces/default/runs`, { apiVersion: API, kind: 'Run', metadata: { name }, spec: { nodeName: 'ar-1', preset: 'p', steps } });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    return name;
  };
  const cancel = async (name: string): Promise<void> => {
    const r = await api('PATCH', `${G}/namespaces/default/runs/${name}`, { spec: { cancel: true } }, 'application/merge-patch+json');
    expect(r.status).to.equal(200);
  };
  const finished = async (name: string, ms = 90_000): Promise<Run> => {
    await until(`run ${name} to finish`, async () => FINAL.includes((await run(name)).status?.phase ?? ''), ms);
    return run(name);
  };
  const sleeping = async (): Promise<string> => (await t.host.exec(['pgrep', '-f', `sleep 8.${uniq}`])).stdout.trim();
  const steps = (r: Run) => r.status!.steps!.map((s) => [s.name, s.phase, s.exitCode ?? null]);

  // Started as the systemd unit starts it (V8 flags included).
  function startAgent(): ChildProcess {
    agent = t.host.spawn(agentCommand('/usr/local/bin/node'), {
      env: {
        ...agentEnvironment(),
        HYPRBOX_API_URL: c.url,
        HYPRBOX_NODE_TOKEN: token,
        HYPRBOX_NODE_NAME: 'ar-1',
        HYPRBOX_CA_DATA: Buffer.from(c.controller.caCert!).toString('base64'),
        HYPRBOX_HEARTBEAT_INTERVAL: '1s',
        HYPRBOX_LOG_LEVEL: process.env.HYPRBOX_TEST_LOG ?? 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    return agent;
  }
  const kill = async (signal: NodeJS.Signals): Promise<void> => {
    const a = agent;
    if (!a || a.exitCode !== null || a.signalCode !== null) return;
    const gone = new Promise((r) => a.once('exit', r));
    a.kill(signal);
    await gone;
  };
  const port = (): string => new URL(c.url).port;
  const startControllerAgain = async (): Promise<void> => {
    restarted = await startController(loadConfig(['--data-dir', c.dataDir, '--listen', `${t.host.hostAddress}:${port()}`, '--node-grace-seconds', '3'], {}), { log: pino({ level: 'silent' }) });
  };

  before(async function () {
    this.timeout(30 * 60_000);
    c = await startTestController('sqlite', ['--listen', `${t.host.hostAddress}:0`, '--node-grace-seconds', '3']);
    await api('POST', `${G}/presets`, { apiVersion: API, kind: 'Preset', metadata: { name: 'p' }, spec: { apply: { script: 'true' } } });
    const tok = await api<{ status: { token: string } }>('POST', `${G}/tokens`, { apiVersion: API, kind: 'Token', metadata: {}, spec: { node: { namespace: 'default', name: 'ar-1' } } });
    token = tok.body.status.token;
    await t.host.bind(process.execPath, '/usr/local/bin/node');
    await t.host.bind(repoPath(), '/opt/hyprbox');
    startAgent();
  });
  beforeEach(() => {
    if (!agent || agent.exitCode !== null || agent.signalCode !== null) startAgent();
  });
  after(async () => {
    await kill('SIGKILL').catch(() => undefined);
    await restarted?.stop();
    await c?.stop();
  });

  it('executes the Runs of a node one at a time, and never a queued Run that was cancelled', async () => {
    await sh('echo 0 > /root/counter');
    const rmw: Step[] = [{ name: 'apply', script: 'v=$(cat /root/counter); sleep 1.5; echo $((v+1)) > /root/counter' }];
    const a = await createRun(rmw);
    const b = await createRun(rmw);
    const q = await createRun([{ name: 'apply', script: 'echo ran > /root/queued-ran' }]);
    await until('the first run to start', async () => (await run(a)).status?.phase === 'Running', 30_000);
    expect((await run(q)).status?.phase ?? 'Pending').to.equal('Pending');
    await cancel(q);
    const [ra, rb, rq] = [await finished(a), await finished(b), await finished(q)];
    expect([ra.status!.phase, rb.status!.phase]).to.deep.equal(['Succeeded', 'Succeeded']);
    expect((await sh('cat /root/counter')).trim()).to.equal('2');
    expect(Date.parse(rb.status!.steps![0]!.startedAt!)).to.be.at.least(Date.parse(ra.status!.steps![0]!.finishedAt!));
    expect(rq.status!.phase).to.equal('Cancelled');
    expect(await exists('/root/queued-ran')).to.equal(false);
  });

  it('runs the declared rollback after a failed or timed-out apply and a cancelled verify; names only the steps that ran', async () => {
    const rollback: Step = { name: 'rollback', script: 'rm -f /root/f; echo rolled-back' };
    const failed = await createRun([{ name: 'apply', script: 'echo half > /root/f; exit 5' }, { name: 'verify', script: 'true' }, rollback]);
    const timedOut = await createRun([{ name: 'apply', script: 'echo half > /root/f; sleep 30', timeoutSeconds: 1 }, rollback]);
    const applyOnly = await createRun([{ name: 'apply', script: 'echo ok' }]);
    const f = await finished(failed);
    expect([f.status!.phase, f.status!.message]).to.deep.equal(['RolledBack', 'apply failed (exit 5); the rollback ran and succeeded']);
    expect(steps(f)).to.deep.equal([['apply', 'Failed', 5], ['verify', 'Skipped', null], ['rollback', 'Succeeded', 0]]);
    const to = await finished(timedOut);
    expect([to.status!.phase, to.status!.message]).to.deep.equal(['RolledBack', 'apply timed out after 1 s; the rollback ran and succeeded']);
    expect(await exists('/root/f')).to.equal(false);
    expect((await finished(applyOnly)).status!.message).to.equal('apply passed');

    const cancelled = await createRun([{ name: 'apply', script: 'echo x > /root/f' }, { name: 'verify', script: 'echo verifying; sleep 60' }, rollback]);
    await until('verify to start', async () => (await log(cancelled)).includes('verifying'), 30_000);
    await cancel(cancelled);
    const cv = await finished(cancelled);
    expect([cv.status!.phase, cv.status!.message]).to.deep.equal(['RolledBack', 'cancelled during verify; the rollback ran and succeeded']);
    expect(await exists('/root/f')).to.equal(false);
  });

  it('keeps its memory bounded under an output flood, and the log keeps each step header, the head and the tail', async () => {
    const name = await createRun([
      { name: 'apply', script: 'echo first-line; yes | head -c 200000000; echo; echo last-line-of-apply' },
      { name: 'verify', script: 'echo verify-line' },
    ]);
    const r = await finished(name);
    expect(r.status!.phase).to.equal('Succeeded');
    const text = await log(name);
    expect(text.startsWith('--- apply ---\nfirst-line\n'), text.slice(0, 100)).to.equal(true);
    expect(text).to.match(/\n\[\.\.\. \d+ bytes of output dropped \.\.\.\]\n/);
    expect(text.endsWith('last-line-of-apply\n--- verify ---\nverify-line\n'), text.slice(-100)).to.equal(true);
    expect(r.status!.logBytes).to.equal(text.length - text.match(/\n\[\.\.\. \d+ bytes of output dropped \.\.\.\]\n/)![0].length + Number(/(\d+) bytes of output dropped/.exec(text)![1]) - '--- apply ---\n--- verify ---\n'.length);
    // The agent's peak resident memory (idle it is ~60 MiB).
    const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${agent!.pid}/status`, 'utf8'))![1]) / 1024;
    expect(hwm, `VmHWM ${hwm} MiB`).to.be.below(250);
  });

  const interrupted = (): Step[] => [
    { name: 'precheck', script: 'test ! -e /root/s2' },
    { name: 'apply', script: `echo half > /root/s1; echo applying; sleep 8.${uniq}; echo done > /root/s2` },
    { name: 'verify', script: 'test -f /root/s2' },
    { name: 'rollback', script: 'rm -f /root/s1 /root/s2; echo rolled-back' },
  ];

  it('killed during apply: the restarted agent stops the step left running, runs the rollback and says so', async () => {
    const name = await createRun(interrupted());
    await until('apply to start', async () => (await log(name)).includes('applying'), 30_000);
    await kill('SIGKILL');
    expect(await sleeping()).to.not.equal('');
    startAgent();
    const r = await finished(name);
    expect([r.status!.phase, r.status!.message]).to.deep.equal(['RolledBack', 'AgentRestarted: the agent restarted during apply; the step was stopped; the rollback ran and succeeded']);
    expect(steps(r)).to.deep.equal([['precheck', 'Succeeded', 0], ['apply', 'Failed', null], ['verify', 'Skipped', null], ['rollback', 'Succeeded', 0]]);
    expect(r.status!.steps![1]!.message).to.equal('stopped: the agent restarted during this step');
    expect(await sleeping()).to.equal('');
    expect([await exists('/root/s1'), await exists('/root/s2')]).to.deep.equal([false, false]);
    expect(await log(name)).to.contain('rolled-back');
  });

  it('stopped (SIGTERM) during apply: stops the step, runs the rollback and reports the Run before it exits', async () => {
    const name = await createRun(interrupted());
    await until('apply to start', async () => (await log(name)).includes('applying'), 30_000);
    const a = agent!;
    await kill('SIGTERM');
    expect(a.exitCode).to.equal(0);
    const r = await run(name);
    expect([r.status!.phase, r.status!.message]).to.deep.equal(['RolledBack', 'the agent was stopped during apply; the rollback ran and succeeded']);
    expect(r.status!.steps![1]!.message).to.equal('stopped: the agent is stopping');
    expect(await sleeping()).to.equal('');
    expect([await exists('/root/s1'), await exists('/root/s2')]).to.deep.equal([false, false]);
  });

  it('reports a Run that ended while the controller was down, when it returns, and after an agent restart', async () => {
    // (a) The controller goes away during apply and returns after the Run ended on the host.
    await until('the node to be Ready', async () => (await api<{ status?: { conditions?: Array<{ type: string; status: string }> } }>('GET', `${G}/namespaces/default/nodes/ar-1`)).body.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') === true, 30_000);
    const steps2 = (file: string): Step[] => [{ name: 'apply', script: `echo before-outage; sleep 3; echo after-outage; echo x > ${file}` }, { name: 'verify', script: `test -f ${file}` }];
    const a = await createRun(steps2('/root/a'));
    await until('apply to start', async () => (await log(a)).includes('before-outage'), 30_000);
    await c.controller.stop();
    await until('the run to end on the host', () => exists('/root/a'), 30_000);
    await sleep(3000);
    await startControllerAgain();
    await until('the run to be reported', async () => (await run(a)).status?.phase === 'Succeeded', 90_000);
    await until('the whole log', async () => (await log(a)).includes('after-outage'), 30_000);

    // (b) The same, but the agent is killed before the controller returns: its saved result is reported.
    const b = await createRun(steps2('/root/b'));
    await until('apply to start', async () => (await log(b)).includes('before-outage'), 30_000);
    await restarted!.stop();
    await until('the run to end on the host', () => exists('/root/b'), 30_000);
    await sleep(2000);
    await kill('SIGKILL');
    await startControllerAgain();
    startAgent();
    const rb = await finished(b);
    expect([rb.status!.phase, rb.status!.message]).to.deep.equal(['Succeeded', 'apply and verify passed']);
    expect(steps(rb)).to.deep.equal([['apply', 'Succeeded', 0], ['verify', 'Succeeded', 0]]);
    await until('the saved result to be removed once written', async () => (await sh('ls /var/lib/hyprnode/results')) === '', 10_000);
  });
});

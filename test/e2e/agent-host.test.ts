// The real agent, chrooted into a debootstrapped Debian host in its own network namespace, against a real
// controller reached over a veth pair with TLS: registration, heartbeat loss and return, a file change
// re-probed, runs (output, timeout, cancel, exactly-once with two agents, restart during a run), forged runs.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { pino } from 'pino';
import { loadConfig } from '@hyprbox/controller/config';
import { startController } from '@hyprbox/controller/server';
import type { RunningController } from '@hyprbox/controller/server';
import type { Node, Run } from '@hyprbox/crds';
import { agentCommand, agentEnvironment } from '../lib/agent-command.js';
import { startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';
import { repoPath } from '../lib/paths.js';
import { useTestHost } from '../lib/testhost.js';
import { until } from '../lib/wait.js';

const G = '/apis/hyprbox.io/v1alpha1';
const API = 'hyprbox.io/v1alpha1';
type Json = Record<string, unknown>;

describe('hyprnode in a Debian test host', function () {
  this.timeout(180_000);
  const t = useTestHost({ network: true, name: 'th-1' });
  let c: TestController;
  let token: string;
  let caData: string;
  const agents: ChildProcess[] = [];
  let seq = 0;
  // Test hosts share the machine's process table: a sleep this test looks for (or kills) by its command line
  // has a duration no other process uses.
  const uniq = `${process.pid}${Date.now() % 1000}`;

  const api = <T = Json>(method: string, path: string, body?: unknown, type = 'application/json') => c.json<T>(method, path, body, type);
  const node = async (): Promise<Node | undefined> => {
    const r = await api<Node>('GET', `${G}/namespaces/default/nodes/th-1`);
    return r.status === 200 ? r.body : undefined;
  };
  const run = async (name: string): Promise<Run> => (await api<Run>('GET', `${G}/namespaces/default/runs/${name}`)).body;
  const ready = async (): Promise<string | undefined> => (await node())?.status?.conditions?.find((x) => x.type === 'Ready')?.status;

  // Started as the systemd unit starts it (V8 flags included).
  function startAgent(stateDir = '/var/lib/hyprnode'): ChildProcess {
    const child = t.host.spawn(agentCommand('/usr/local/bin/node'), {
      env: {
        ...agentEnvironment(),
        HYPRBOX_API_URL: c.url,
        HYPRBOX_NODE_TOKEN: token,
        HYPRBOX_NODE_NAME: 'th-1',
        HYPRBOX_CA_DATA: caData,
        HYPRBOX_STATE_DIR: stateDir,
        HYPRBOX_HEARTBEAT_INTERVAL: '1s',
        HYPRBOX_LOG_LEVEL: process.env.HYPRBOX_TEST_LOG ?? 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    agents.push(child);
    return child;
  }
  const kill = async (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await gone;
  };
  const createRun = async (steps: Array<{ name: string; script: string; timeoutSeconds?: number }>, params: Json = {}, spec: Json = {}): Promise<string> => {
    const name = `run-${++seq}`;
    const r = await api('POST', `${G}/namespaces/default/runs`, { apiVersion: API, kind: 'Run', metadata: { name }, spec: { nodeName: 'th-1', preset: 'p', steps, params, ...spec } });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    return name;
  };
  const finished = (name: string) => until(`run ${name} to finish`, async () => ['Succeeded', 'Failed', 'Cancelled', 'RolledBack'].includes((await run(name)).status?.phase ?? ''), 60_000);
  const log = async (name: string): Promise<string> => (await c.api(`${G}/namespaces/default/runs/${name}/log`)).text();

  before(async function () {
    this.timeout(30 * 60_000);
    const host = t.host;
    c = await startTestController('sqlite', ['--listen', `${host.hostAddress}:0`, '--node-grace-seconds', '3']);
    caData = Buffer.from(c.controller.caCert!).toString('base64');
    await api('POST', `${G}/presets`, { apiVersion: API, kind: 'Preset', metadata: { name: 'p' }, spec: { apply: { script: 'true' }, params: { type: 'object', properties: { TARGET: { type: 'string' } } } } });
    const tok = await api<{ status: { token: string } }>('POST', `${G}/tokens`, { apiVersion: API, kind: 'Token', metadata: {}, spec: { node: { namespace: 'default', name: 'th-1' } } });
    token = tok.body.status.token;
    // The agent runs inside the host: Node's binary and the built repository, read-only.
    await host.bind(process.execPath, '/usr/local/bin/node');
    await host.bind(repoPath(), '/opt/hyprbox');
    startAgent();
  });
  let restarted: RunningController | undefined;
  after(async () => {
    for (const a of agents) await kill(a, 'SIGKILL').catch(() => undefined);
    await restarted?.stop();
    await c?.stop();
  });

  it('registers its node with inventory and probe results, and heartbeats', async () => {
    await until('the node to report status', async () => (await node())?.status?.agentVersion !== undefined, 60_000);
    const n = (await node())!;
    expect(n.status!.inventory!.os).to.match(/Debian GNU\/Linux 12/);
    expect(n.status!.probes!['sshd.passwordAuthentication']).to.include({ state: 'ok' });
    // No systemd in the host: services are unknown, never "down".
    expect(n.status!.probes!['services.active:ssh']).to.include({ state: 'unknown' });
    await until('Ready=True from the lease', async () => (await ready()) === 'True', 20_000);
    const lease = await api<Json>('GET', `${G}/namespaces/default/leases/th-1`);
    expect(lease.status).to.equal(200);
  });

  it('re-probes a changed file and reports it', async () => {
    t.host.writeFile('/etc/ssh/sshd_config.d/10-hardening.conf', 'PasswordAuthentication no\n');
    await until('sshd.passwordAuthentication to become no', async () => (await node())?.status?.probes?.['sshd.passwordAuthentication']?.value === 'no', 20_000);
  });

  it('runs precheck → apply → verify with params as environment, streaming output', async () => {
    const name = await createRun([
      { name: 'precheck', script: 'echo "checking $TARGET"' },
      { name: 'apply', script: 'for i in 1 2 3; do echo "line $i"; sleep 0.2; done; echo applied >> /root/marker' },
      { name: 'verify', script: 'grep -q applied /root/marker' },
    ], { TARGET: '/srv; rm -rf /' });
    await finished(name);
    const r = await run(name);
    expect(r.status!.phase, r.status!.message).to.equal('Succeeded');
    expect(r.status!.steps!.map((s) => [s.name, s.phase, s.exitCode])).to.deep.equal([['precheck', 'Succeeded', 0], ['apply', 'Succeeded', 0], ['verify', 'Succeeded', 0]]);
    const text = await log(name);
    // The param arrived as data, never as code.
    expect(text).to.contain('checking /srv; rm -rf /');
    expect(text).to.contain('line 1\nline 2\nline 3\n');
    expect(t.host.readFile('/root/marker')).to.equal('applied\n');
    // The execution is audited: which preset, the digest of what ran, each exit code.
    // The audit file is written in bursts, after the request that finished the run was answered.
    type Execution = { verb: string; name: string; user: { kind: string }; execution: { preset: string; scriptDigest: string; exitCodes: unknown[] } };
    const execution = (): Execution | undefined => readFileSync(`${c.dataDir}/audit/audit.jsonl`, 'utf8').trim().split('\n')
      .map((l) => JSON.parse(l) as Execution).find((e) => e.verb === 'execute' && e.name === name);
    await until('the execution in the audit log', async () => execution() !== undefined, 10_000);
    const exec = execution();
    expect(exec?.user.kind).to.equal('Node');
    expect(exec?.execution.preset).to.equal('p');
    expect(exec?.execution.scriptDigest).to.match(/^sha256:[0-9a-f]{64}$/);
    expect(exec?.execution.exitCodes).to.deep.equal([{ step: 'precheck', code: 0 }, { step: 'apply', code: 0 }, { step: 'verify', code: 0 }]);
  });

  it('without systemd, runs a step that has limits bare, in its own process group, and says the limits were not applied', async () => {
    // The host has no systemd as PID 1 (the transient-scope path needs one; its command line is unit-tested).
    expect((await t.host.exec(['test', '-d', '/run/systemd/system'])).code).to.equal(1);
    const name = await createRun([{ name: 'apply', script: 'read -r pid comm state ppid pgrp rest < /proc/$$/stat; echo "pid $pid group $pgrp"' }], {}, { resources: { memoryMax: '256M', cpuQuota: '50%' } });
    await finished(name);
    const r = await run(name);
    expect(r.status!.phase, r.status!.message).to.equal('Succeeded');
    const text = await log(name);
    expect(text).to.contain("(this step runs without a systemd scope here: the preset's limits MemoryMax=256M CPUQuota=50% are not applied)");
    const m = /pid (\d+) group (\d+)/.exec(text);
    expect(m, text).to.not.equal(null);
    expect(m![2]).to.equal(m![1]);
  });

  it('a failing precheck changes nothing; a failing verify runs the rollback', async () => {
    const pre = await createRun([{ name: 'precheck', script: 'exit 3' }, { name: 'apply', script: 'echo nope >> /root/never' }]);
    await finished(pre);
    const p = await run(pre);
    expect(p.status!.phase).to.equal('Failed');
    expect(p.status!.steps!.map((s) => [s.name, s.phase, s.exitCode ?? null])).to.deep.equal([['precheck', 'Failed', 3], ['apply', 'Skipped', null]]);
    expect((await t.host.exec(['test', '-e', '/root/never'])).code).to.equal(1);
    const rb = await createRun([{ name: 'apply', script: 'echo x > /root/rb' }, { name: 'verify', script: 'false' }, { name: 'rollback', script: 'rm /root/rb' }]);
    await finished(rb);
    expect((await run(rb)).status!.phase).to.equal('RolledBack');
    expect((await t.host.exec(['test', '-e', '/root/rb'])).code).to.equal(1);
  });

  it('kills a step at its timeout, with everything it started', async () => {
    const sleep = `sleep 300.${uniq}`;
    const name = await createRun([{ name: 'apply', script: `(${sleep} &) ; ${sleep}`, timeoutSeconds: 1 }]);
    await finished(name);
    const r = await run(name);
    expect(r.status!.phase).to.equal('Failed');
    expect(r.status!.steps![0]!.message).to.contain('timed out');
    const ps = await t.host.exec(['pgrep', '-f', sleep]);
    expect(ps.stdout.trim()).to.equal('');
  });

  it('cancels a running step when spec.cancel is set', async () => {
    const name = await createRun([{ name: 'apply', script: 'echo started; sleep 120' }]);
    await until('the step to start', async () => (await log(name)).includes('started'), 30_000);
    const r = await api('PATCH', `${G}/namespaces/default/runs/${name}`, { spec: { cancel: true } }, 'application/merge-patch+json');
    expect(r.status).to.equal(200);
    await finished(name);
    expect((await run(name)).status!.phase).to.equal('Cancelled');
  });

  it('refuses a run written around the API (unsigned or tampered) and never executes it', async () => {
    const kv = await c.controller.store.get((await c.controller.store.range('/registry/hyprbox.io/runs/default/')).kvs[0]!.key);
    const forged = JSON.parse(kv!.value) as Run;
    forged.metadata = { ...forged.metadata, name: 'forged-1', uid: 'forged-uid-1' };
    forged.spec.steps = [{ name: 'apply', script: 'echo pwned > /root/pwned' }];
    delete forged.status;
    await c.controller.store.create('/registry/hyprbox.io/runs/default/forged-1', JSON.stringify(forged));
    await finished('forged-1');
    const r = await run('forged-1');
    expect(r.status!.phase).to.equal('Failed');
    expect(r.status!.message).to.match(/^Tampered/);
    expect((await t.host.exec(['test', '-e', '/root/pwned'])).code).to.equal(1);
  });

  it('refuses a replay of a run it already executed', async () => {
    const name = await createRun([{ name: 'apply', script: 'echo once >> /root/replay' }]);
    await finished(name);
    expect((await run(name)).status!.phase).to.equal('Succeeded');
    // Someone with store access sends the same signed run again.
    const key = `/registry/hyprbox.io/runs/default/${name}`;
    const kv = await c.controller.store.get(key);
    const replay = JSON.parse(kv!.value) as Run;
    delete replay.status;
    await c.controller.store.update(key, JSON.stringify(replay), kv!.modRevision);
    await finished(name);
    expect((await run(name)).status!.message).to.match(/^Replayed/);
    expect(t.host.readFile('/root/replay')).to.equal('once\n');
  });

  it('two agents race for one run: it runs exactly once', async () => {
    const second = startAgent('/var/lib/hyprnode-2');
    await new Promise((r) => setTimeout(r, 2000));
    const names: string[] = [];
    for (let i = 0; i < 3; i++) names.push(await createRun([{ name: 'apply', script: `echo ${i} >> /root/once` }]));
    for (const n of names) await finished(n);
    const lines = t.host.readFile('/root/once').trim().split('\n').sort();
    expect(lines).to.deep.equal(['0', '1', '2']);
    await kill(second);
  });

  it('a run interrupted by an agent restart is reported Failed (AgentRestarted), not run again', async () => {
    const first = agents[0]!;
    const sleep = `sleep 60.${uniq}`;
    const name = await createRun([{ name: 'apply', script: `echo go >> /root/restart; ${sleep}` }]);
    await until('the step to start', async () => (await log(name)).includes('--- apply ---'), 30_000);
    await kill(first, 'SIGKILL');
    await t.host.exec(['pkill', '-f', sleep]);
    startAgent();
    await finished(name);
    const r = await run(name);
    expect(r.status!.phase).to.equal('Failed');
    expect(r.status!.message).to.match(/^AgentRestarted/);
    expect(t.host.readFile('/root/restart')).to.equal('go\n');
  });

  it('marks the node lost when heartbeats stop, and ready when they return', async () => {
    for (const a of agents) await kill(a);
    await until('NodeLost', async () => (await ready()) === 'False', 30_000);
    expect((await node())!.status!.conditions!.find((x) => x.type === 'Ready')!.reason).to.equal('NodeLost');
    startAgent();
    await until('Ready again', async () => (await ready()) === 'True', 30_000);
  });

  it('keeps probing while the controller is down and catches up when it returns', async () => {
    if (agents.every((a) => a.exitCode !== null || a.signalCode !== null)) startAgent();
    await until('Ready', async () => (await ready()) === 'True', 30_000);
    const port = new URL(c.url).port;
    await c.controller.stop();
    t.host.writeFile('/etc/ssh/sshd_config.d/10-hardening.conf', 'PasswordAuthentication yes\n');
    await new Promise((r) => setTimeout(r, 3000));
    restarted = await startController(loadConfig(['--data-dir', c.dataDir, '--listen', `${t.host.hostAddress}:${port}`, '--node-grace-seconds', '3'], {}), { log: pino({ level: 'silent' }) });
    await until('the change made while the controller was down', async () => (await node())?.status?.probes?.['sshd.passwordAuthentication']?.value === 'yes', 60_000);
    await until('Ready again after the outage', async () => (await ready()) === 'True', 30_000);
  });

  it('logs a clear line, and keeps retrying, when its token is refused', async () => {
    const child = t.host.spawn(agentCommand('/usr/local/bin/node'), {
      env: { ...agentEnvironment(), HYPRBOX_API_URL: c.url, HYPRBOX_NODE_TOKEN: `hbx_aaaaaaaaaaaa_${'A'.repeat(43)}`, HYPRBOX_NODE_NAME: 'th-1', HYPRBOX_CA_DATA: caData, HYPRBOX_STATE_DIR: '/var/lib/hyprnode-bad', HYPRBOX_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    agents.push(child);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await until('the 401 advice in the log', () => out.includes('refused the token (401)'), 30_000);
    expect(out).to.contain('HYPRBOX_NODE_TOKEN');
    expect(out).to.not.contain('AAAAAAAAAAAAAAAAAAAA');
    expect(child.exitCode).to.equal(null);
    await kill(child);
  });
});

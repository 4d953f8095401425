// The README's five-minute tour, replayed command by command on a fresh Debian test host (its own network
// namespace, sysvinit-style services, the preset packages installed but not configured): `hyprbox up` starts
// the controller and this machine's agent, then each line of the tour runs as a person would type it, from
// the repository directory. The one placeholder, <finding>, is filled with the name `hyprbox get findings`
// shows for the drift the tour's profile opens. `up` is then stopped and started again on the same data.
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { repoPath } from '../lib/paths.js';
import { PRESET_PACKAGES, useTestHost } from '../lib/testhost.js';
import type { TestHost } from '../lib/testhost.js';
import { until } from '../lib/wait.js';

/** The lines between the tour markers of the README, without comments and blank lines. */
export function tourLines(readme: string): string[] {
  const m = /<!-- tour:start -->\s*```sh\n([\s\S]*?)```\s*<!-- tour:end -->/.exec(readme);
  if (!m) throw new Error('README.md has no tour block between <!-- tour:start --> and <!-- tour:end -->');
  return m[1]!.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l && !l.startsWith('#'));
}

const REPO = '/opt/hyprbox';
/** Debian's default PATH for root (a login shell): node lives in /usr/local/bin. */
const ROOT_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };

describe('the README tour on a fresh Debian host', function () {
  this.timeout(600_000);
  const t = useTestHost({ network: true, services: true, packages: [...PRESET_PACKAGES], name: 'tour-host' });
  let up: ChildProcess | undefined;
  let upOut = '';
  const lines = tourLines(readFileSync(repoPath('README.md'), 'utf8'));
  const env: string[] = [];

  const sh = (host: TestHost, line: string, timeoutMs = 60_000) => host.exec(['bash', '-c', [`cd ${REPO}`, ...env, line].join(' && ')], { timeoutMs, env: ROOT_ENV });
  const startUp = (host: TestHost, line: string): void => {
    upOut = '';
    up = host.spawn(['bash', '-c', [`cd ${REPO}`, ...env, `exec ${line}`].join(' && ')], { stdio: ['ignore', 'pipe', 'pipe'], env: ROOT_ENV });
    up.stdout!.on('data', (d: Buffer) => (upOut += d.toString()));
    up.stderr!.on('data', (d: Buffer) => (upOut += d.toString()));
  };
  const stopUp = async (): Promise<number | null> => {
    const p = up!;
    if (p.exitCode !== null || p.signalCode !== null) return p.exitCode;
    const code = new Promise<number | null>((r) => p.once('exit', (c) => r(c)));
    p.kill('SIGINT');
    const t = setTimeout(() => p.kill('SIGKILL'), 30_000);
    return code.finally(() => clearTimeout(t));
  };
  /** Waits for `hyprbox up` to say it is up; a failure shows what it printed. */
  const ready = async (): Promise<void> => {
    try {
      await until('hyprbox up to be ready', () => upOut.includes('HyprBox is up.') || up!.exitCode !== null, 120_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- hyprbox up printed:\n${upOut}`, { cause: err });
    }
    expect(upOut, 'hyprbox up printed').to.contain('HyprBox is up.');
  };

  before(async function () {
    this.timeout(30 * 60_000);
    await t.host.bind(process.execPath, '/usr/local/bin/node');
    await t.host.bind(repoPath(), REPO);
  });
  after(async () => {
    if (up && up.exitCode === null && up.signalCode === null) up.kill('SIGKILL');
  });

  it('replays every line: up, apply, get, plan, approve, logs — and the fix lands', async () => {
    const host = t.host;
    expect(lines[0], 'the tour starts with PATH').to.match(/^export PATH=/);
    expect(lines).to.include('hyprbox up');
    let finding = '';
    for (const line of lines) {
      if (line.startsWith('export ')) {
        env.push(line);
        continue;
      }
      if (line === 'hyprbox up') {
        startUp(host, line);
        await ready();
        continue;
      }
      if (line.includes('<finding>') && !finding) {
        // A person reads the name off `hyprbox get findings`; wait as they would for the agent's first report.
        let seen = '';
        try {
          await until('the drift finding of the tour profile', async () => {
            const r = await sh(host, 'hyprbox get findings -o json');
            seen = `${r.code} ${r.stderr}`;
            const items = (JSON.parse(r.stdout || '{"items":[]}') as { items: Array<{ metadata: { name: string }; spec: { type: string }; status?: { phase?: string } }> }).items;
            seen += items.map((f) => `${f.metadata.name} ${f.spec.type} ${f.status?.phase}`).join('\n');
            finding = items.find((f) => f.spec.type === 'drift.fail2ban' && f.status?.phase === 'AwaitingApproval')?.metadata.name ?? '';
            return finding !== '';
          }, 180_000);
        } catch (err) {
          const runs = await sh(host, "hyprbox get runs -o yaml; hyprbox get findings -o yaml | grep -A12 'history:'; tail -50 /root/.hyprbox/data/agent.log");
          throw new Error(`${(err as Error).message}\n--- last get findings:\n${seen}\n--- runs:\n${runs.stdout}\n--- up:\n${upOut}`, { cause: err });
        }
      }
      const cmd = line.replaceAll('<finding>', finding);
      const r = await sh(host, cmd, 240_000);
      expect(r.code, `${cmd}\n${r.stdout}\n${r.stderr}\n--- up:\n${upOut}`).to.equal(0);
      if (cmd.startsWith('hyprbox plan')) expect(r.stdout).to.contain('preset fail2ban, risk CONFIRM');
      if (cmd.startsWith('hyprbox logs')) expect(r.stdout).to.match(/apply/);
    }
    expect(finding, 'the tour approves a finding').to.not.equal('');
    await until('the finding resolved after the run', async () => {
      const r = await sh(host, `hyprbox get finding/${finding} -o json`);
      return (JSON.parse(r.stdout) as { status?: { phase?: string } }).status?.phase === 'Resolved';
    }, 120_000);
    expect((await host.exec(['fail2ban-client', 'status', 'sshd'])).code, 'fail2ban runs with its sshd jail').to.equal(0);
  });

  it('stops with Ctrl-C and starts again on the same data', async () => {
    expect(await stopUp()).to.equal(0);
    expect(upOut).to.contain('stopped.');
    startUp(t.host, 'hyprbox up');
    await ready();
    const nodes = await sh(t.host, 'hyprbox get nodes -o name');
    expect(nodes.stdout.trim()).to.equal('nodes/tour-host');
    const runs = await sh(t.host, 'hyprbox get runs -o json');
    expect((JSON.parse(runs.stdout) as { items: Array<{ status?: { phase?: string } }> }).items.map((r) => r.status?.phase)).to.include('Succeeded');
    expect(await stopUp()).to.equal(0);
  });
});

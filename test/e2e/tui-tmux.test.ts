// `hyprbox tui` as a person uses it: the real binary in tmux (send-keys, capture-pane) against a real
// controller and a real agent on a Debian test host. A profile keeps /etc/motd (the fixture preset, SAFE) in
// approve mode: the drift finding waits for a person, who finds it, approves its run and follows the log
// until it succeeds. Colours show in a colour terminal and vanish with NO_COLOR; `:q` quits.
// HYPRBOX_UPDATE_DOCS=1 also writes the nodes view to docs/tui-main.txt (the README's capture).
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { expect } from 'chai';
import { agentCommand } from '../lib/agent-command.js';
import { startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';
import { HYPRBOX_BIN } from '../lib/cli.js';
import { repoPath } from '../lib/paths.js';
import { useTestHost } from '../lib/testhost.js';
import { until } from '../lib/wait.js';

const API = 'hyprbox.io/v1alpha1';
const G = `/apis/${API}`;
const NS = `${G}/namespaces/default`;
const TEXT = 'managed by hyprbox (tui test)';

/** A private tmux server per test process: its sessions never meet anyone else's. */
class Tmux {
  readonly socket = `hbx-tui-${process.pid}-${randomBytes(3).toString('hex')}`;
  private sessions = 0;

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  /** Starts `hyprbox tui` in a new session (120x40 unless said); `env` is the whole environment of the command. */
  start(env: Record<string, string>, args: string[] = [], size = { columns: 120, rows: 40 }): string {
    const name = `tui-${++this.sessions}`;
    const vars = Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`);
    // `sleep` keeps the pane (and what it printed) after the TUI exits, so a crash can be read.
    const cmd = `env -i ${vars.join(' ')} ${shellQuote(process.execPath)} ${shellQuote(HYPRBOX_BIN)} tui ${args.join(' ')}; echo "[exited $?]"; sleep 600`;
    this.tmux('new-session', '-d', '-s', name, '-x', String(size.columns), '-y', String(size.rows), cmd);
    return name;
  }

  keys(session: string, ...keys: string[]): void {
    this.tmux('send-keys', '-t', session, ...keys);
  }

  /** Literal text, one key press per character. */
  type(session: string, text: string): void {
    this.tmux('send-keys', '-t', session, '-l', text);
  }

  capture(session: string, escapes = false): string {
    return this.tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', session);
  }

  async see(session: string, what: string | RegExp, ms = 30_000): Promise<string> {
    const hit = (s: string): boolean => (typeof what === 'string' ? s.includes(what) : what.test(s));
    await until(`the TUI to show ${String(what)}`, () => hit(this.capture(session)), ms).catch((err: Error) => {
      throw new Error(`${err.message}; screen:\n${this.capture(session)}`);
    });
    return this.capture(session);
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      /* no server left */
    }
  }
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
// eslint-disable-next-line no-control-regex
const FG_COLOUR = /\u001b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|38;5;\d+)(?:;[0-9;]*)?m/;

describe('hyprbox tui in tmux against a real controller and agent', function () {
  this.timeout(300_000);
  const t = useTestHost({ network: true, name: 'tui-1' });
  const tmux = new Tmux();
  let c: TestController;
  let agent: ChildProcess | undefined;

  const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => c.json<T>(method, path, body);
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', TERM: 'tmux-256color', HYPRBOX_KUBECONFIG: c.kubeconfig, ...extra });

  before(async function () {
    this.timeout(30 * 60_000);
    c = await startTestController('sqlite', ['--listen', `${t.host.hostAddress}:0`, '--presets-dir', repoPath('test/fixtures/presets')]);
    const tok = await api<{ status: { token: string } }>('POST', `${G}/tokens`, { apiVersion: API, kind: 'Token', metadata: {}, spec: { node: { namespace: 'default', name: 'tui-1' } } });
    await t.host.bind(process.execPath, '/usr/local/bin/node');
    await t.host.bind(repoPath(), '/opt/hyprbox');
    // The agent as its systemd unit starts it.
    const agentEnv = { HYPRBOX_API_URL: c.url, HYPRBOX_NODE_TOKEN: tok.body.status.token, HYPRBOX_NODE_NAME: 'tui-1', HYPRBOX_CA_DATA: Buffer.from(c.controller.caCert!).toString('base64') };
    agent = t.host.spawn(agentCommand('/usr/local/bin/node'), { env: { ...agentEnv, HYPRBOX_HEARTBEAT_INTERVAL: '2s', HYPRBOX_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'inherit', 'inherit'] });
    await until('the node to report its metrics', async () => (await api<{ status?: { metrics?: unknown } }>('GET', `${NS}/nodes/tui-1`)).body.status?.metrics !== undefined, 60_000);
    await t.host.exec(['rm', '-f', '/etc/motd']);
    const p = await api('POST', `${NS}/nodeprofiles`, { apiVersion: API, kind: 'NodeProfile', metadata: { name: 'motd' }, spec: { nodeNames: ['tui-1'], states: [{ preset: 'motd', with: { text: TEXT } }], remediation: { mode: 'approve' } } });
    expect(p.status, JSON.stringify(p.body)).to.equal(201);
  });
  after(async () => {
    tmux.kill();
    agent?.kill('SIGKILL');
    await c?.stop();
  });

  it('shows the real node with its health and metrics, in colour', async () => {
    const s = tmux.start(env());
    const screen = await tmux.see(s, /tui-1 +(healthy|warning|critical) +True +\d+s +\S+ \d+%/, 60_000);
    expect(screen).to.match(/HyprBox ctx:\S+ ns:default user:admin \(admin\) +● live/);
    expect(screen).to.match(/nodes 1: [01] healthy {2}[01] warning {2}[01] critical/);
    expect(tmux.capture(s, true)).to.match(FG_COLOUR);
    if (process.env.HYPRBOX_UPDATE_DOCS === '1') {
      // A few samples make the sparklines worth showing.
      await tmux.see(s, /tui-1 .*[▁▂▃▄▅▆▇█]{4,} \d+%/, 120_000);
      writeFileSync(repoPath('docs', 'tui-main.txt'), `${tmux.capture(s).trimEnd()}\n`);
    }
    tmux.keys(s, ':');
    tmux.type(s, 'q');
    tmux.keys(s, 'Enter');
    await tmux.see(s, '[exited 0]');
  });

  it('finds the drift finding, approves its run and follows the log until it succeeds', async () => {
    const s = tmux.start(env(), ['--view', 'findings']);
    await tmux.see(s, 'Findings (');
    tmux.keys(s, '/');
    tmux.type(s, 'drift.motd');
    tmux.keys(s, 'Enter');
    await tmux.see(s, /> \S+ +AwaitingApproval +tui-1 +\S+ +drift\.motd/, 120_000);
    tmux.keys(s, 'a');
    await tmux.see(s, /Approve run \S+ \(preset motd on node tui-1\), risk SAFE\? \[y\/N\]/);
    tmux.type(s, 'y');
    await tmux.see(s, /approved run \S+/);
    tmux.keys(s, 'l');
    await tmux.see(s, /Log run\/\S+/);
    const done = await tmux.see(s, 'Succeeded (log ended)', 120_000);
    expect(done).to.contain('/etc/motd updated');
    expect(t.host.readFile('/etc/motd')).to.equal(`${TEXT}\n`);
    // Back to the list: the finding resolves once a fresh check sees the node compliant.
    tmux.keys(s, 'Escape');
    await tmux.see(s, /> \S+ +Resolved +tui-1/, 120_000);
  });

  it('fits 80x24 and prints no colour with NO_COLOR', async () => {
    const s = tmux.start(env({ NO_COLOR: '1' }), ['--view', 'findings'], { columns: 80, rows: 24 });
    await tmux.see(s, / +Resolved +tui-1 .*drift\.motd/);
    await tmux.see(s, '● live');
    const raw = tmux.capture(s, true);
    expect(raw).not.to.match(FG_COLOUR);
    // Nothing wrapped or scrolled away: the header is on the first line, the key hints on the 23rd.
    const lines = tmux.capture(s).split('\n');
    expect(lines[0], JSON.stringify(lines.slice(0, 2))).to.match(/^HyprBox ctx:\S+ ns:default user:admin \(admin\) +● live$/);
    expect(lines[22]).to.match(/^<↑↓>move <\/>filter <enter>describe <l>log <a>approve/);
    tmux.keys(s, ':');
    tmux.type(s, 'no');
    tmux.keys(s, 'Enter');
    // The selection still shows without colour.
    expect(await tmux.see(s, /> tui-1 +\S+ +True/)).to.contain('Nodes (1)');
  });
});

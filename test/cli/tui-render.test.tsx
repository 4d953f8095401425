// Pure rendering of the TUI's pieces from plain objects: tables that fit 80 columns and grow with the
// terminal, colours by severity (none with NO_COLOR), sparklines, the header's health buckets and the
// connection banner; the filter and `:` completion rules.
import { expect } from 'chai';
import { Box } from 'ink';
import { render } from 'ink-testing-library';
import type { Obj } from '@hyprbox/cli/lib/client';
import { complete, parseCommand, tabComplete } from '@hyprbox/cli/tui/commands';
import { matches, parseFilter } from '@hyprbox/cli/tui/filter';
import { Header } from '@hyprbox/cli/tui/Header';
import { colourOn, sparkline } from '@hyprbox/cli/tui/style';
import { Table } from '@hyprbox/cli/tui/Table';
import { VIEWS, heartbeat, nodeHealth, rolloutState, runDuration, sortRows } from '@hyprbox/cli/tui/views';
import type { RowContext } from '@hyprbox/cli/tui/views';
import { hasAnsi, stripAnsi, widest } from './tui-helpers.js';

const NOW = Date.parse('2026-01-10T12:00:00Z');
const ctx = (history: Record<string, { cpu: number[]; memory: number[]; disk: number[] }> = {}, more: Partial<RowContext> = {}): RowContext => ({ now: NOW, history: (n) => history[n], spark: 6, lease: () => undefined, openSeverities: () => [], ...more });
const finding = (name: string, severity: string, phase: string, node = 'web-1'): Obj => ({
  metadata: { name, creationTimestamp: '2026-01-10T11:00:00Z' },
  spec: { nodeName: node, type: 'ssh.password-auth-enabled', key: 'sshd', severity, message: 'PasswordAuthentication is yes', recommendation: { preset: 'ssh-hardening' } },
  status: { phase, firstSeen: '2026-01-10T11:00:00Z' },
});
const node = (name: string, health: string, cpu: number): Obj => ({
  metadata: { name, labels: { env: name.startsWith('db') ? 'prod' : 'dev' } },
  spec: {},
  status: { health, lastHeartbeatTime: '2026-01-10T11:59:50Z', conditions: [{ type: 'Ready', status: 'True' }], metrics: { cpuPercent: cpu, memoryPercent: 40, diskPercent: 95 }, agentVersion: '0.1.0' },
});

describe('TUI rendering (plain objects)', () => {
  it('lists findings worst first, fitting 80 columns, with the recommendation', () => {
    const rows = sortRows('findings', [finding('b-info', 'INFO', 'Open'), finding('a-crit', 'CRITICAL', 'AwaitingApproval'), finding('c-warn', 'WARN', 'Snoozed')]);
    const { lastFrame } = render(<Table view={VIEWS.findings} rows={rows} cursor={0} width={80} height={10} ctx={ctx()} colour={false} />);
    const lines = lastFrame()!.split('\n');
    expect(lines[0]).to.match(/^ {2}SEVERITY +STATE +NODE +AGE +TYPE +RECOMMENDATION$/);
    // Too wide for 80 columns: the widest column (TYPE) gives way, marked with an ellipsis.
    expect(lines[1]).to.match(/^> CRITICAL +AwaitingApproval +web-1 +60m +ssh\.password-auth-\S*… +ssh-hardening$/);
    expect(lines.slice(2, 4).map((l) => l.split(/\s+/)[1])).to.deep.equal(['WARN', 'INFO']);
    expect(widest(lastFrame()!)).to.be.at.most(80);
  });

  it('shows more columns when the terminal is wider, and squeezes long cells when it is narrow', () => {
    const long = { ...finding('f1', 'WARN', 'Open'), spec: { ...finding('f1', 'WARN', 'Open').spec, type: 'x'.repeat(120) } };
    // ink-testing-library's terminal is 100 wide: a 200-wide box stands for a wide terminal.
    const wide = render(<Box width={200}><Table view={VIEWS.findings} rows={[long]} cursor={0} width={200} height={5} ctx={ctx()} colour={false} /></Box>).lastFrame()!;
    expect(wide.split('\n')[0]).to.contain('NAME').and.contain('MESSAGE');
    expect(wide).to.contain('PasswordAuthentication is yes');
    const narrow = render(<Table view={VIEWS.findings} rows={[long]} cursor={0} width={80} height={5} ctx={ctx()} colour={false} />).lastFrame()!;
    expect(narrow.split('\n')[0]).not.to.contain('MESSAGE');
    expect(narrow).to.contain('…');
    expect(widest(narrow)).to.be.at.most(80);
  });

  it('colours severities and phases, and prints no colour at all with NO_COLOR', () => {
    const rows = [finding('a', 'CRITICAL', 'Failed')];
    const coloured = render(<Table view={VIEWS.findings} rows={rows} cursor={0} width={80} height={5} ctx={ctx()} colour={true} />).lastFrame()!;
    // Ink's colours depend on the terminal; the TUI asks for red on CRITICAL and Failed.
    const plain = render(<Table view={VIEWS.findings} rows={rows} cursor={0} width={80} height={5} ctx={ctx()} colour={false} />).lastFrame()!;
    expect(stripAnsi(plain)).to.equal(stripAnsi(coloured));
    expect(hasAnsi(plain.split('\n')[0]!)).to.equal(false);
    expect(colourOn({ NO_COLOR: '1' })).to.equal(false);
    expect(colourOn({})).to.equal(true);
  });

  it('draws node metrics as sparklines from the live history', () => {
    expect(sparkline([0, 25, 50, 75, 100], 10)).to.equal('▁▃▅▇█');
    expect(sparkline([10, 20, 30, 40, 50, 60, 70, 80], 3)).to.equal('▅▆▇');
    const history = { 'web-1': { cpu: [10, 50, 90], memory: [40], disk: [95] } };
    const f = render(<Table view={VIEWS.nodes} rows={[node('web-1', 'healthy', 90)]} cursor={0} width={80} height={5} ctx={ctx(history)} colour={false} />).lastFrame()!;
    expect(f).to.match(/web-1 +healthy +True +10s +▁▅█ 90% +▄ 40% +█ 95%/);
  });

  it("buckets a node's health (the controller's when it writes one) and reads its heartbeat from its Lease", () => {
    const bare = (name: string, extra: Record<string, unknown> = {}): Obj => ({ metadata: { name }, spec: {}, status: { metrics: { cpuPercent: 5 }, ...extra } });
    const sev: Record<string, string[]> = { a: ['INFO'], b: ['WARN', 'INFO'], c: ['CRITICAL'] };
    const c = ctx({}, { openSeverities: (n) => sev[n] ?? [], lease: (n) => (n === 'a' ? { metadata: { name: 'a' }, spec: { renewTime: '2026-01-10T11:59:57Z' } } : undefined) });
    expect(['a', 'b', 'c'].map((n) => nodeHealth(bare(n), c))).to.deep.equal(['healthy', 'warning', 'critical']);
    expect(nodeHealth(bare('x', { metrics: { diskPercent: 93 } }), c)).to.equal('warning');
    expect(nodeHealth(bare('x', { conditions: [{ type: 'Ready', status: 'False', reason: 'NodeLost' }] }), c)).to.equal('critical');
    expect(nodeHealth(bare('c', { health: 'healthy' }), c)).to.equal('healthy');
    expect(heartbeat(bare('a'), c)).to.equal('3s');
    expect(heartbeat(bare('b'), c)).to.equal('-');
  });

  it('names a profile rollout and a run duration in words', () => {
    const p = (status: Record<string, unknown>, spec: Record<string, unknown> = {}): Obj => ({ metadata: { name: 'p' }, spec: { states: [], ...spec }, status });
    expect(rolloutState(p({ conditions: [{ type: 'Stalled', status: 'True', reason: 'RolloutPaused' }] }))).to.equal('Paused');
    expect(rolloutState(p({ matched: 3, compliant: 3 }))).to.equal('Complete');
    expect(rolloutState(p({ matched: 3, compliant: 1, remediating: 1 }))).to.equal('Remediating');
    expect(rolloutState(p({ matched: 3, compliant: 1 }, { suspend: true }))).to.equal('Suspended');
    const run = (status: Record<string, unknown>): Obj => ({ metadata: { name: 'r' }, spec: {}, status });
    expect(runDuration(run({}), NOW)).to.equal('-');
    expect(runDuration(run({ startedAt: '2026-01-10T11:59:00Z' }), NOW)).to.equal('60s');
    expect(runDuration(run({ startedAt: '2026-01-10T11:00:00Z', finishedAt: '2026-01-10T11:03:00Z' }), NOW)).to.equal('3m');
  });

  it('heads the screen with context, namespace, user, nodes per health bucket and the connection; a banner when it is lost', () => {
    const health = ['healthy', 'healthy', 'critical', 'unknown'];
    const live = render(<Header context="prod" namespace="web" user="ana" role="operator" health={health} connection="live" width={80} colour={false} />).lastFrame()!;
    expect(live).to.contain('ctx:prod ns:web user:ana (operator)').and.contain('● live');
    expect(live).to.contain('nodes 4: 2 healthy  0 warning  1 critical').and.contain('1 unknown');
    const lost = render(<Header context="prod" namespace="web" user="ana" health={health} connection="lost" lostReason="cannot reach the controller" width={80} colour={false} />).lastFrame()!;
    expect(lost).to.contain('✖ reconnecting').and.contain('connection lost: cannot reach the controller; reconnecting');
    expect(widest(lost)).to.be.at.most(80);
  });

  it('filters by text, by labels with -l, and inverts with !', () => {
    const nodes = [node('web-1', 'healthy', 1), node('db-1', 'healthy', 1)];
    const pick = (raw: string) => nodes.filter((n) => matches(parseFilter(raw), n, [])).map((n) => n.metadata.name);
    expect(pick('web')).to.deep.equal(['web-1']);
    expect(pick('-l env=prod')).to.deep.equal(['db-1']);
    expect(pick('-l env!=prod')).to.deep.equal(['web-1']);
    expect(pick('! web')).to.deep.equal(['db-1']);
    expect(pick('!-l env=prod')).to.deep.equal(['web-1']);
    expect(pick('')).to.deep.equal(['web-1', 'db-1']);
  });

  it('accepts views by alias and completes commands and namespaces', () => {
    expect(parseCommand('no')).to.deep.equal({ kind: 'view', view: 'nodes' });
    expect(parseCommand('fi')).to.deep.equal({ kind: 'view', view: 'findings' });
    expect(parseCommand('np')).to.deep.equal({ kind: 'view', view: 'profiles' });
    expect(parseCommand('ns prod')).to.deep.equal({ kind: 'namespace', name: 'prod' });
    expect(parseCommand('q')).to.deep.equal({ kind: 'quit' });
    expect(parseCommand('findngs')).to.deep.equal({ kind: 'error', message: 'unknown command ":findngs"; did you mean :findings?' });
    expect(tabComplete('fin')).to.equal('finding');
    expect(tabComplete('pres')).to.equal('preset');
    expect(tabComplete('eve')).to.equal('event');
    expect(complete('ru')).to.include.members(['runs', 'run', 'ru']);
    expect(tabComplete('ns pr', ['default', 'prod'])).to.equal('ns prod');
  });
});

// The TUI's keys against a real controller (SQLite): every view live from watches, `:` with aliases and
// completion, `/` filters, Enter/Esc through the view stack, `?`, `n`, and the change keys a/x/s going
// through the real API (with confirmations naming the risk) — hidden and refused for a viewer.
import { expect } from 'chai';
import { startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';
import { until } from '../lib/wait.js';
import { KEY, driveTui, widest } from './tui-helpers.js';
import type { Driven } from './tui-helpers.js';

const API = 'hyprbox.io/v1alpha1';
const G = `/apis/${API}`;
const NS = `${G}/namespaces/default`;
const MERGE = 'application/merge-patch+json';

describe('hyprbox tui: keys against a real controller', function () {
  this.timeout(60_000);
  let c: TestController;
  let t: Driven | undefined;
  let n = 0;

  const mk = async (path: string, body: Record<string, unknown>): Promise<void> => {
    const r = await c.json('POST', path, { apiVersion: API, ...body });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
  };
  const run = async (risk: string, node = 'web-1'): Promise<string> => {
    const name = `r-${risk.toLowerCase()}-${++n}`;
    await mk(`${NS}/runs`, { kind: 'Run', metadata: { name }, spec: { nodeName: node, preset: `p-${risk.toLowerCase()}`, risk } });
    return name;
  };
  const finding = async (runRef?: string, severity = 'WARN'): Promise<string> => {
    const name = `f-${++n}`;
    await mk(`${NS}/findings`, { kind: 'Finding', metadata: { name }, spec: { nodeName: 'web-1', type: 'ssh.password-auth-enabled', key: name, severity, source: 'controller', recommendation: { preset: 'p-confirm' } } });
    if (runRef) expect((await c.json('PATCH', `${NS}/findings/${name}/status`, { status: { phase: 'AwaitingApproval', runRef } }, MERGE)).status).to.equal(200);
    return name;
  };
  const getRun = async (name: string) => (await c.json<{ spec: { approvedBy?: string[]; cancel?: boolean } }>('GET', `${NS}/runs/${name}`)).body.spec;

  before(async () => {
    c = await startTestController('sqlite');
    for (const risk of ['SAFE', 'CONFIRM', 'DANGEROUS']) await mk(`${G}/presets`, { kind: 'Preset', metadata: { name: `p-${risk.toLowerCase()}` }, spec: { risk, apply: { script: 'true' } } });
    await mk(`${NS}/nodes`, { kind: 'Node', metadata: { name: 'web-1', labels: { env: 'dev' } }, spec: {} });
    await mk(`${NS}/nodes`, { kind: 'Node', metadata: { name: 'db-1', labels: { env: 'prod' } }, spec: {} });
  });
  afterEach(() => {
    t?.stop();
    t = undefined;
  });
  after(async () => c?.stop());

  it('starts on the nodes view within 80x24 and shows objects created and changed later, live', async () => {
    t = await driveTui(c.kubeconfig);
    let f = await t.see('db-1');
    expect(f).to.contain('HyprBox ctx:test ns:default user:admin (admin)').and.contain('● live').and.contain('Nodes (2)');
    expect(f.split('\n').length).to.be.at.most(23);
    expect(widest(f)).to.be.at.most(80);
    await mk(`${NS}/nodes`, { kind: 'Node', metadata: { name: 'app-1' }, spec: {} });
    await t.see('Nodes (3)');
    for (const cpu of [10, 55, 95]) {
      expect((await c.json('PATCH', `${NS}/nodes/app-1/status`, { status: { health: 'warning', metrics: { cpuPercent: cpu, memoryPercent: 20, diskPercent: 30 } } }, MERGE)).status).to.equal(200);
      await t.see(`${cpu}%`);
    }
    f = await t.see(/app-1 +warning .*▁▅█ 95%/);
    expect(f).to.contain('nodes 3: 2 healthy  1 warning  0 critical');
    await c.json('DELETE', `${NS}/nodes/app-1`);
    await t.see('Nodes (2)');
  });

  it('`:` switches views by alias with Tab completion; Esc walks back the stack', async () => {
    await run('SAFE');
    t = await driveTui(c.kubeconfig);
    await t.press(':', 'r', 'u');
    await t.see(':ru█  runs run ru');
    await t.press(KEY.enter);
    await t.see('Runs (');
    await t.see(/r-safe-\d+ +Pending +web-1 +p-safe +SAFE/);
    await t.press(':', 'p', 'r', 'e', 's', KEY.tab);
    await t.see(':preset█');
    await t.press(KEY.enter);
    await t.see(/p-dangerous +DANGEROUS/);
    await t.press(':', 'f', 'i', 'n', 'd', 'n', 'g', 's', KEY.enter);
    await t.see('unknown command ":findngs"; did you mean :findings?');
    await t.press(':', 'e', 'v', KEY.enter);
    await t.see('Events (');
    await t.press(':', 'n', 'p', KEY.enter);
    await t.see('Profiles (');
    await t.press(KEY.esc);
    await t.see('Events (');
    await t.press(KEY.esc, KEY.esc);
    await t.see('Runs (');
    await t.press(KEY.esc);
    await t.see('Nodes (2)');
  });

  it('`/` filters by text, by label and inverted; Esc clears the filter before going back', async () => {
    t = await driveTui(c.kubeconfig);
    await t.see('db-1');
    await t.press('/', 'w', 'e', 'b', KEY.enter);
    let f = await t.see('Nodes (1/2) /web');
    expect(f).to.contain('web-1').and.not.contain('db-1');
    // Esc clears the filter, so each `/` below starts empty.
    await t.press(KEY.esc, '/', ...'-l env=prod', KEY.enter);
    f = await t.see('Nodes (1/2) /-l env=prod');
    expect(f).to.contain('db-1').and.not.contain('web-1');
    await t.press(KEY.esc, '/', ...'!-l env=prod', KEY.enter);
    f = await t.see('Nodes (1/2) /!-l env=prod');
    expect(f).to.contain('web-1').and.not.contain('db-1');
    await t.press(KEY.esc, '/', ...'!web', KEY.enter);
    f = await t.see('/!web');
    expect(f).to.contain('db-1').and.not.contain('web-1');
    await t.press(KEY.esc);
    f = await t.see('Nodes (2)');
    expect(f).to.contain('web-1').and.contain('db-1');
  });

  it('Enter describes the selected object and follows its changes; `?` shows the keys of the view', async () => {
    t = await driveTui(c.kubeconfig);
    await t.see('db-1');
    await t.press(KEY.down, KEY.enter);
    await t.see('Describe nodes/web-1');
    await t.see(/Name: +web-1/);
    await c.json('PATCH', `${NS}/nodes/web-1`, { metadata: { labels: { env: 'dev', team: 'blue' } } }, MERGE);
    await t.see(/Labels: +env=dev, team=blue/);
    // Related findings come from the watch too.
    const f = await finding();
    await t.see(new RegExp(`${f} +ssh\\.password-auth-enabled +WARN`));
    await t.press(KEY.esc, ':', 'f', 'i', KEY.enter, '?');
    const help = await t.see('Help: Findings');
    expect(help).to.contain("approve the finding's run").and.contain('snooze the finding').and.contain("follow the run's log").and.contain('filter: text, -l key=value, ! inverts');
    await t.press(KEY.esc);
    await t.see('<a>approve <x>reject <s>snooze');
  });

  it('`a` on a finding approves its run after a confirmation naming the risk; any other key cancels', async () => {
    const r = await run('CONFIRM');
    const f = await finding(r, 'CRITICAL');
    t = await driveTui(c.kubeconfig, { view: 'findings' });
    await t.see(/> CRITICAL +AwaitingApproval/);
    await t.press('/', ...f, KEY.enter, 'a');
    await t.see(`Approve run ${r} (preset p-confirm on node web-1), risk CONFIRM? [y/N]`);
    await t.press('n');
    await t.see('cancelled');
    expect((await getRun(r)).approvedBy ?? []).to.deep.equal([]);
    await t.press('a');
    await t.see('risk CONFIRM? [y/N]');
    await t.press('y');
    await t.see(`approved run ${r}`);
    expect((await getRun(r)).approvedBy).to.deep.equal(['admin']);
  });

  it('a DANGEROUS run is approved only after typing its node name', async () => {
    const r = await run('DANGEROUS');
    t = await driveTui(c.kubeconfig, { view: 'runs' });
    await t.press('/', ...r, KEY.enter);
    await t.see(`Runs (1/`);
    await t.press('a');
    await t.see(/risk DANGEROUS\.\s+DANGEROUS: type the node name to confirm:/);
    await t.press(...'db-1', KEY.enter);
    await t.see('not confirmed: "db-1" is not the node name web-1');
    expect((await getRun(r)).approvedBy ?? []).to.deep.equal([]);
    await t.press('a', ...'web-1');
    await t.see(/type the node name to confirm: web-1/);
    await t.press(KEY.enter);
    await t.see(`approved run ${r}`);
    expect((await getRun(r)).approvedBy).to.deep.equal(['admin']);
  });

  it('`x` rejects a run, `s` snoozes a finding for the typed time', async () => {
    const r = await run('CONFIRM');
    const f = await finding();
    t = await driveTui(c.kubeconfig, { view: 'runs' });
    await t.press('/', ...r, KEY.enter);
    await t.see('Runs (1/');
    await t.press('x');
    await t.see(`Reject run ${r} (preset p-confirm on node web-1), risk CONFIRM? [y/N]`);
    await t.press('y');
    await t.see(`rejected run ${r}`);
    expect((await getRun(r)).cancel).to.equal(true);
    await t.press(':', 'f', 'i', KEY.enter, '/', ...f, KEY.enter, 's');
    await t.see(`snooze ${f} for: 7d█`);
    await t.press(KEY.backspace, KEY.backspace, '1', '2', 'h', KEY.enter);
    await t.see(`snoozed finding ${f} until`);
    const st = (await c.json<{ status: { phase: string; snoozedUntil: string } }>('GET', `${NS}/findings/${f}`)).body.status;
    expect(st.phase).to.equal('Snoozed');
    expect(Date.parse(st.snoozedUntil) - Date.now()).to.be.within(11 * 3600_000, 12 * 3600_000 + 60_000);
    await t.see(new RegExp(`Snoozed`));
  });

  it("`l` follows a run's log live until the run finishes", async () => {
    const r = await run('SAFE');
    const f = await finding(r);
    t = await driveTui(c.kubeconfig, { view: 'findings' });
    await t.press('/', ...f, KEY.enter, 'l');
    await t.see(`Log run/${r}`);
    await t.see('(following…)');
    const append = (text: string) => c.api(`${NS}/runs/${r}/log`, { method: 'POST', body: text, headers: { 'Content-Type': 'text/plain' } });
    expect((await append('precheck ok\n')).status).to.equal(201);
    await t.see('precheck ok');
    expect((await append('apply: wrote /etc/motd\n')).status).to.equal(201);
    await t.see('apply: wrote /etc/motd');
    expect((await c.json('PATCH', `${NS}/runs/${r}/status`, { status: { phase: 'Succeeded' } }, MERGE)).status).to.equal(200);
    const done = await t.see('Succeeded (log ended)');
    expect(done).to.contain('precheck ok');
  });

  it('`n` switches namespace with Tab completion, and the watches follow', async () => {
    expect((await c.json('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod' } })).status).to.equal(201);
    await mk(`${G}/namespaces/prod/nodes`, { kind: 'Node', metadata: { name: 'prod-node' }, spec: {} });
    t = await driveTui(c.kubeconfig);
    await t.see('db-1');
    await t.press('n');
    await t.see('namespace: █');
    await t.press(...'pr');
    // The namespaces load in the background: Tab completes once they are there.
    await until('Tab to complete the namespace', async () => (await t!.press(KEY.tab), t!.frame().includes('namespace: prod█')));
    await t.press(KEY.enter);
    const f = await t.see('prod-node');
    expect(f).to.contain('ns:prod').and.not.contain('db-1');
  });

  it('hides and refuses the change keys for a viewer', async () => {
    await mk(`${G}/users`, { kind: 'User', metadata: { name: 'vera' }, spec: {} });
    await mk(`${G}/rolebindings`, { kind: 'RoleBinding', metadata: { name: 'vera-viewer' }, spec: { user: 'vera', role: 'viewer' } });
    const tok = await c.json<{ status: { token: string } }>('POST', `${G}/tokens`, { apiVersion: API, kind: 'Token', metadata: {}, spec: { user: 'vera' } });
    const r = await run('CONFIRM');
    t = await driveTui(c.kubeconfig, { view: 'runs', token: tok.body.status.token });
    let f = await t.see('user:vera (viewer)');
    expect(f).to.contain('<l>log').and.not.contain('approve').and.not.contain('reject');
    await t.press('/', ...r, KEY.enter, 'a');
    await t.see('read-only: vera may not change anything in default (viewer)');
    await t.press('x');
    await t.see('read-only');
    expect(await getRun(r)).to.not.have.property('approvedBy');
    await t.press('?');
    f = await t.see('Help: Runs');
    expect(f).to.contain('read-only: your role here is viewer').and.not.contain('approve the run');
  });
});

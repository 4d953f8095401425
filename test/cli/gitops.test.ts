// The real hyprbox binary against a real controller (SQLite, TLS with the pinned CA from the kubeconfig):
// reading, the GitOps cycle (apply, diff, prune, sync), errors with file:line, and exit codes.
import { expect } from 'chai';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hyprbox, hyprboxStream } from '../lib/cli.js';
import { startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';
import { until } from '../lib/wait.js';

const NS_YAML = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n';
const node = (name: string, role: string) => `apiVersion: hyprbox.io/v1alpha1\nkind: Node\nmetadata:\n  name: ${name}\n  namespace: shop\n  labels: { role: ${role} }\nspec: {}\n`;
const PROFILE = `apiVersion: hyprbox.io/v1alpha1
kind: NodeProfile
metadata:
  name: greet
  namespace: shop
spec:
  nodeSelector:
    matchLabels: { role: web }
  states:
    - preset: motd
      with: { text: hello }
  remediation: { mode: approve }
`;

describe('hyprbox CLI: reading and GitOps', function () {
  this.timeout(120_000);
  let c: TestController;
  let repo: string;
  const run = (...args: string[]) => hyprbox(c.kubeconfig, args);
  const write = (file: string, text: string) => writeFileSync(join(repo, file), text);

  before(async () => {
    c = await startTestController('sqlite', ['--presets-dir', 'test/fixtures/presets']);
    repo = mkdtempSync(join(tmpdir(), 'hyprbox-repo-'));
    write('00-ns.yaml', NS_YAML);
    write('10-nodes.yaml', `${node('web-1', 'web')}---\n${node('web-2', 'web')}`);
    write('20-profile.yaml', PROFILE);
  });
  after(async () => {
    await c?.stop();
    if (repo) rmSync(repo, { recursive: true, force: true });
  });

  it('applies a repository: creates, then reports unchanged, over TLS with the pinned CA', async () => {
    const first = await run('apply', '-f', repo);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout.trim().split('\n')).to.deep.equal(['namespaces/shop created', 'nodes/web-1 (shop) created', 'nodes/web-2 (shop) created', 'nodeprofiles/greet (shop) created']);
    await until('the profile is reconciled once', async () => !!(await c.json<{ status?: { observedGeneration?: number } }>('GET', '/apis/hyprbox.io/v1alpha1/namespaces/shop/nodeprofiles/greet')).body.status?.observedGeneration, 20_000);
    const again = await run('apply', '-f', repo);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.contain('nodeprofiles/greet (shop) unchanged');
    expect(again.stdout).not.to.contain('configured');
  });

  it('gets objects as table, wide, yaml, json and names, across namespaces and by label', async () => {
    const table = await run('get', 'nodes', '-n', 'shop');
    expect(table.code).to.equal(0);
    expect(table.stdout.split('\n')[0]).to.match(/^NAME\s+/);
    expect(table.stdout).to.contain('web-1').and.contain('web-2');
    const all = await run('get', 'hn', '-A');
    expect(all.stdout.split('\n')[0]).to.match(/^NAMESPACE\s+NAME/);
    const names = await run('get', 'nodes', '-n', 'shop', '-o', 'name', '-l', 'role=web');
    expect(names.stdout.trim().split('\n')).to.deep.equal(['nodes/web-1', 'nodes/web-2']);
    const yaml = await run('get', 'node/web-1', '-n', 'shop', '-o', 'yaml');
    expect(yaml.stdout).to.match(/^apiVersion: hyprbox.io\/v1alpha1\nkind: Node\n/);
    expect(yaml.stdout).not.to.contain('managedFields');
    const json = JSON.parse((await run('get', 'nodes', '-n', 'shop', '--json')).stdout) as { kind: string; items: Array<{ metadata: { name: string } }> };
    expect(json.kind).to.equal('List');
    expect(json.items.map((i) => i.metadata.name)).to.deep.equal(['web-1', 'web-2']);
    const none = await run('get', 'runs', '-n', 'default');
    expect(none.code).to.equal(0);
    expect(none.stderr).to.contain('No runs found in namespace default.');
  });

  it('suggests the right kind for a typo and exits 2', async () => {
    const r = await run('get', 'nodez');
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('unknown kind "nodez"; did you mean "nodes"?');
    const j = await run('get', 'nodeprofil', '--json');
    expect(j.code).to.equal(2);
    expect((JSON.parse(j.stdout) as { error: { message: string; exitCode: number } }).error).to.include({ exitCode: 2 });
  });

  it('diff: exit 0 without changes, 1 with a unified diff, and apply reports configured', async () => {
    expect((await run('diff', '-f', repo)).code).to.equal(0);
    write('10-nodes.yaml', `${node('web-1', 'web')}---\n${node('web-2', 'canary')}`);
    const d = await run('diff', '-f', repo);
    expect(d.code, d.stderr).to.equal(1);
    expect(d.stdout).to.contain('--- live/nodes/shop/web-2').and.contain('-    role: web').and.contain('+    role: canary');
    const dj = JSON.parse((await run('diff', '-f', repo, '--json')).stdout) as { changes: Array<{ name: string; change: string }> };
    expect(dj.changes.map((x) => [x.name, x.change])).to.deep.equal([['web-2', 'update']]);
    const a = await run('apply', '-f', repo);
    expect(a.stdout).to.contain('nodes/web-2 (shop) configured').and.contain('nodes/web-1 (shop) unchanged');
    expect((await run('diff', '-f', repo)).code).to.equal(0);
  });

  it('--dry-run=server reports without writing', async () => {
    write('30-extra.yaml', node('db-9', 'db'));
    const r = await run('apply', '-f', repo, '--dry-run=server');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('nodes/db-9 (shop) created (server dry run)');
    expect((await c.json('GET', '/apis/hyprbox.io/v1alpha1/namespaces/shop/nodes/db-9')).status).to.equal(404);
    unlinkSync(join(repo, '30-extra.yaml'));
  });

  it('prune deletes exactly the object whose file was removed, and nothing outside the apply set', async () => {
    // An object created outside the repository carries no apply-set label: prune must never touch it.
    const outsider = await c.json('POST', '/apis/hyprbox.io/v1alpha1/namespaces/shop/nodes', { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Node', metadata: { name: 'manual-1' }, spec: {} });
    expect(outsider.status).to.equal(201);
    write('10-nodes.yaml', node('web-1', 'web'));
    const d = await run('diff', '-f', repo, '--prune');
    expect(d.code).to.equal(1);
    expect(d.stdout).to.contain('--- live/nodes/shop/web-2');
    const limited = await run('apply', '-f', repo, '--prune', '-l', 'role=nothing-matches');
    expect(limited.stdout).not.to.contain('pruned');
    const r = await run('apply', '-f', repo, '--prune');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout.trim().split('\n').filter((l) => l.includes('pruned'))).to.deep.equal(['nodes/web-2 (shop) pruned']);
    const names = (await run('get', 'nodes', '-n', 'shop', '-o', 'name')).stdout.trim().split('\n');
    expect(names).to.deep.equal(['nodes/manual-1', 'nodes/web-1']);
  });

  it('names file:line:column for YAML errors and duplicate keys, and applies nothing', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'hyprbox-bad-'));
    try {
      writeFileSync(join(bad, 'a.yaml'), node('fresh-1', 'web'));
      writeFileSync(join(bad, 'b.yaml'), 'apiVersion: hyprbox.io/v1alpha1\nkind: Node\nmetadata:\n  name: x\n  name: y\n');
      writeFileSync(join(bad, 'c.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: [unclosed\n');
      const r = await hyprbox(c.kubeconfig, ['apply', '-f', bad], { cwd: bad });
      expect(r.code).to.equal(2);
      expect(r.stderr).to.match(/b\.yaml:5:3: Map keys must be unique/);
      expect(r.stderr).to.match(/c\.yaml:\d+:\d+: /);
      expect((await c.json('GET', '/apis/hyprbox.io/v1alpha1/namespaces/shop/nodes/fresh-1')).status).to.equal(404);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it("prints the server's causes at the file:line of the field, and applies nothing when one object is refused", async () => {
    const bad = mkdtempSync(join(tmpdir(), 'hyprbox-bad-'));
    try {
      writeFileSync(join(bad, 'a.yaml'), node('fresh-2', 'web'));
      writeFileSync(join(bad, 'b.yaml'), PROFILE.replace('name: greet', 'name: typo').replace('mode: approve', 'mode: sometimes'));
      writeFileSync(join(bad, 'c.yaml'), PROFILE.replace('name: greet', 'name: typo2').replace('states:', 'sates: []\n  states:'));
      const r = await hyprbox(c.kubeconfig, ['apply', '-f', bad], { cwd: bad });
      expect(r.code, r.stderr).to.equal(3);
      expect(r.stderr).to.contain('nothing applied: 2 of 3 objects were refused');
      expect(r.stderr).to.contain('b.yaml:12:18: spec.remediation.mode');
      expect(r.stderr).to.contain('c.yaml:9:3: spec.sates');
      expect((await c.json('GET', '/apis/hyprbox.io/v1alpha1/namespaces/shop/nodes/fresh-2')).status).to.equal(404);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it('plan -f shows per node the preset, risk, and that the run would wait for approval', async () => {
    const r = await run('plan', '-f', join(repo, '20-profile.yaml'));
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('Plan for nodeprofile shop/greet: 1 node(s) match').and.contain('node web-1').and.contain('preset motd, risk SAFE');
    const stored = JSON.parse((await run('plan', 'greet', '-n', 'shop', '--json')).stdout) as { plans: Array<{ nodes: Array<{ node: string }> }> };
    expect(stored.plans[0]!.nodes.map((n) => n.node)).to.deep.equal(['web-1']);
  });

  it('describe shows the spec, conditions and related findings and runs', async () => {
    const r = await run('describe', 'nodeprofile/greet', '-n', 'shop');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^Name:\s+greet\nNamespace:\s+shop\nKind:\s+NodeProfile/);
    expect(r.stdout).to.contain('Conditions:').and.contain('Ready').and.contain('Findings:').and.contain('Runs:').and.contain('Events:');
  });

  it('cordons and uncordons a node, and resumes a rollout', async () => {
    expect((await run('cordon', 'web-1', '-n', 'shop')).stdout).to.contain('node/web-1 cordoned');
    expect((await c.json<{ spec: { paused: boolean } }>('GET', '/apis/hyprbox.io/v1alpha1/namespaces/shop/nodes/web-1')).body.spec.paused).to.equal(true);
    expect((await run('uncordon', 'node/web-1', '-n', 'shop')).code).to.equal(0);
    expect((await c.json<{ spec: { paused: boolean } }>('GET', '/apis/hyprbox.io/v1alpha1/namespaces/shop/nodes/web-1')).body.spec.paused).to.equal(false);
    const resumed = await run('rollout', 'resume', 'greet', '-n', 'shop', '--json');
    expect(resumed.code).to.equal(0);
    expect((JSON.parse(resumed.stdout) as { metadata: { annotations: Record<string, string> } }).metadata.annotations).to.have.property('hyprbox.io/rollout-resumed-at');
    const st = await run('rollout', 'status', 'greet', '-n', 'shop');
    expect(st.code).to.be.oneOf([0, 1]);
    expect(st.stdout).to.match(/compliant|waiting/);
  });

  it('snoozes and resolves a finding, with duration errors named', async () => {
    const f = await c.json('POST', '/apis/hyprbox.io/v1alpha1/namespaces/shop/findings', { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Finding', metadata: { name: 'web-1-cert' }, spec: { nodeName: 'web-1', type: 'tls.expiring', key: '/etc/ssl/x.pem', severity: 'WARN', source: 'scanner', message: 'expires soon' } });
    expect(f.status).to.equal(201);
    const bad = await run('snooze', 'finding/web-1-cert', '-n', 'shop', '--for', 'soon');
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain('--for: "soon" is not a duration');
    const s = await run('snooze', 'finding/web-1-cert', '-n', 'shop', '--for', '7d');
    expect(s.code, s.stderr).to.equal(0);
    const got = await c.json<{ status: { phase: string; snoozedUntil: string } }>('GET', '/apis/hyprbox.io/v1alpha1/namespaces/shop/findings/web-1-cert');
    expect(got.body.status.phase).to.equal('Snoozed');
    expect(Date.parse(got.body.status.snoozedUntil) - Date.now()).to.be.greaterThan(6.9 * 86400_000);
    expect((await run('resolve', 'finding/web-1-cert', '-n', 'shop')).code).to.equal(0);
    expect((await c.json<{ status: { phase: string } }>('GET', '/apis/hyprbox.io/v1alpha1/namespaces/shop/findings/web-1-cert')).body.status.phase).to.equal('Resolved');
    const rej = await run('approve', 'finding/web-1-cert', '-n', 'shop');
    expect(rej.code).to.equal(3);
    expect(rej.stderr).to.contain('has no run to approve');
  });

  it('approves and rejects runs (directly and through their finding), with --json and the errors named', async () => {
    const G = '/apis/hyprbox.io/v1alpha1';
    const probePreset = { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Preset', metadata: { name: 'probe-fix' }, spec: { risk: 'CONFIRM', check: { probes: { 'sshd.passwordAuthentication': 'no' } }, apply: { script: 'echo fixed' } } };
    expect((await c.json('POST', `${G}/presets`, probePreset)).status).to.equal(201);
    for (const name of ['ap-1', 'ap-2']) {
      const created = await c.json<Record<string, unknown>>('POST', `${G}/namespaces/shop/nodes`, { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Node', metadata: { name, labels: { group: 'ap' } }, spec: {} });
      expect(created.status).to.equal(201);
      const st = await c.json('PUT', `${G}/namespaces/shop/nodes/${name}/status`, { ...created.body, status: { probes: { 'sshd.passwordAuthentication': { state: 'ok', value: 'yes', observedAt: new Date().toISOString() } } } });
      expect(st.status).to.equal(200);
    }
    const profile = { apiVersion: 'hyprbox.io/v1alpha1', kind: 'NodeProfile', metadata: { name: 'ap', namespace: 'shop' }, spec: { nodeSelector: { matchLabels: { group: 'ap' } }, states: [{ preset: 'probe-fix' }], remediation: { mode: 'approve' }, rollout: { canary: 0, maxParallel: 2 } } };
    expect((await c.json('POST', `${G}/namespaces/shop/nodeprofiles`, profile)).status).to.equal(201);
    type RunList = { items: Array<{ metadata: { name: string }; spec: { nodeName: string; findingRef: string; approvedBy?: string[] }; status?: { phase?: string } }> };
    let runs: RunList['items'] = [];
    await until('two runs awaiting approval', async () => {
      runs = (await c.json<RunList>('GET', `${G}/namespaces/shop/runs?labelSelector=hyprbox.io/profile=ap`)).body.items;
      return runs.length === 2 && runs.every((r) => r.status?.phase === 'AwaitingApproval');
    }, 30_000);
    const [r1, r2] = [runs.find((r) => r.spec.nodeName === 'ap-1')!, runs.find((r) => r.spec.nodeName === 'ap-2')!];
    const approved = await run('approve', `run/${r1.metadata.name}`, '-n', 'shop', '--json');
    expect(approved.code, approved.stderr).to.equal(0);
    expect((JSON.parse(approved.stdout) as { spec: { approvedBy: string[] } }).spec.approvedBy).to.deep.equal(['admin']);
    await until('the approved run to be Pending', async () => (await c.json<{ status: { phase: string } }>('GET', `${G}/namespaces/shop/runs/${r1.metadata.name}`)).body.status.phase === 'Pending', 20_000);
    const again = await run('approve', `run/${r1.metadata.name}`, '-n', 'shop');
    expect(again.code).to.equal(3);
    expect(again.stderr).to.contain('is Pending, not waiting for approval');
    const rejected = await run('reject', `finding/${r2.spec.findingRef}`, '-n', 'shop');
    expect(rejected.code, rejected.stderr).to.equal(0);
    expect(rejected.stdout).to.contain(`run ${r2.metadata.name} (node ap-2, preset probe-fix, risk CONFIRM) rejected`);
    await until('the rejected run to be Cancelled', async () => (await c.json<{ status: { phase: string } }>('GET', `${G}/namespaces/shop/runs/${r2.metadata.name}`)).body.status.phase === 'Cancelled', 20_000);
    const missing = await run('approve', 'run/no-such-run', '-n', 'shop', '--json');
    expect(missing.code).to.equal(3);
    expect((JSON.parse(missing.stdout) as { error: { status: number } }).error.status).to.equal(404);
    const bad = await run('approve', 'node/ap-1', '-n', 'shop');
    expect(bad.code).to.equal(2);
    const log = await run('logs', `run/${r1.metadata.name}`, '-n', 'shop', '--json');
    expect(log.code, log.stderr).to.equal(0);
    expect(JSON.parse(log.stdout)).to.deep.equal({ run: r1.metadata.name, log: '' });
  });

  it('delete by name and by file; a missing object is exit 3 unless --ignore-not-found', async () => {
    const gone = await run('delete', 'node', 'manual-1', '-n', 'shop');
    expect(gone.code, gone.stderr).to.equal(0);
    expect((await run('delete', 'node', 'manual-1', '-n', 'shop')).code).to.equal(3);
    expect((await run('delete', 'node', 'manual-1', '-n', 'shop', '--ignore-not-found')).code).to.equal(0);
    const all = await run('delete', 'nodes', '-n', 'shop');
    expect(all.code).to.equal(2);
    expect(all.stderr).to.contain('needs an explicit -l');
  });

  it('answers --json with one JSON document for every writing and reading command', async () => {
    const json = async (...args: string[]): Promise<Record<string, unknown>> => {
      const r = await run(...args, '--json');
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).to.equal(0);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    const applied = await json('apply', '-f', repo);
    expect(applied).to.have.property('applySet');
    expect((applied.results as Array<{ outcome: string }>).every((x) => x.outcome === 'unchanged')).to.equal(true);
    expect(((await json('describe', 'node/web-1', '-n', 'shop')).object as { metadata: { name: string } }).metadata.name).to.equal('web-1');
    expect(((await json('cordon', 'web-1', '-n', 'shop')).spec as { paused: boolean }).paused).to.equal(true);
    expect(((await json('uncordon', 'web-1', '-n', 'shop')).spec as { paused: boolean }).paused).to.equal(false);
    expect(await json('rollout', 'status', 'greet', '-n', 'shop')).to.have.property('matched');
    expect(await json('delete', 'node', 'web-1', '-n', 'shop', '--dry-run=server')).to.deep.equal({ deleted: ['nodes/web-1'] });
    expect((await c.json('GET', '/apis/hyprbox.io/v1alpha1/namespaces/shop/nodes/web-1')).status).to.equal(200);
  });

  it('exit 4 for a bad token and 5 for an unreachable controller', async () => {
    const denied = await run('get', 'nodes', '--token', 'hbx_notarealtokennotarealtoken00');
    expect(denied.code).to.equal(4);
    const down = await run('get', 'nodes', '--server', 'https://127.0.0.1:1');
    expect(down.code).to.equal(5);
    expect(down.stderr).to.contain('cannot reach the controller at https://127.0.0.1:1');
  });

  it('sync applies the directory, then each change, and prunes only with --prune', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hyprbox-sync-'));
    try {
      mkdirSync(join(dir, 'nodes'));
      writeFileSync(join(dir, 'nodes', 'a.yaml'), node('sync-a', 'web'));
      writeFileSync(join(dir, 'nodes', 'b.yaml'), node('sync-b', 'web'));
      const s = hyprboxStream(c.kubeconfig, ['sync', dir, '--prune', '--debounce', '200']);
      try {
        await until('the initial sync', async () => s.stdout.includes('initial sync: nodes/sync-a (shop) created; nodes/sync-b (shop) created'), 30_000);
        writeFileSync(join(dir, 'nodes', 'a.yaml'), node('sync-a', 'db'));
        await until('the change applied', async () => s.stdout.includes('nodes/sync-a (shop) configured'), 30_000);
        unlinkSync(join(dir, 'nodes', 'b.yaml'));
        await until('the removal pruned', async () => s.stdout.includes('nodes/sync-b (shop) pruned'), 30_000);
        writeFileSync(join(dir, 'nodes', 'a.yaml'), 'kind: [');
        await until('the broken file reported', async () => s.stderr.includes('not applied'), 30_000);
      } finally {
        expect(await s.stop()).to.equal(0);
      }
      const labels = (await c.json<{ metadata: { labels: Record<string, string> } }>('GET', '/apis/hyprbox.io/v1alpha1/namespaces/shop/nodes/sync-a')).body.metadata.labels;
      expect(labels.role).to.equal('db');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

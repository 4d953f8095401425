import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Node, Run } from '@hyprbox/crds';
import { Backoff } from '@hyprbox/agent/backoff';
import { AgentConfigError, loadAgentConfig, parseDuration, parseEnvFile } from '@hyprbox/agent/config';
import { ControllerApi } from '@hyprbox/agent/controller-api';
import { Kube, advice, classify } from '@hyprbox/agent/kube';
import { paramsEnv } from '@hyprbox/agent/runner/runner';
import { AgentState } from '@hyprbox/agent/runner/state';
import { stepCommand } from '@hyprbox/agent/runner/step';
import { startTestController } from '../lib/controller.js';
import { makeCertPem } from './certs.js';
import type { TestController } from '../lib/controller.js';
import { repoPath } from '../lib/paths.js';
import { until } from '../lib/wait.js';

describe('agent units', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hyprnode-unit-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('configuration', () => {
    const base = { HYPRBOX_API_URL: 'https://ctl.example.com:6443', HYPRBOX_NODE_TOKEN: 'hbx_x', HYPRBOX_NODE_NAME: 'web-1' };
    it('parses Go-style durations and refuses anything else', () => {
      expect(parseDuration('X', '30s')).to.equal(30_000);
      expect(parseDuration('X', '1h30m')).to.equal(5_400_000);
      expect(parseDuration('X', '500ms')).to.equal(500);
      for (const bad of ['', '10', 'ten', '5 m', '0s', '1d']) expect(() => parseDuration('X', bad), bad).to.throw(AgentConfigError, /X: .* is not a duration/);
    });
    it('has the documented defaults', () => {
      const c = loadAgentConfig(base);
      expect(c).to.include({ namespace: 'default', heartbeatMs: 10_000, scanMs: 900_000, statusMaxAgeMs: 300_000, stateDir: '/var/lib/hyprnode', hostRoot: '/' });
      expect(c.tlsPaths).to.deep.equal(['/etc/letsencrypt/live/*/fullchain.pem', '/etc/ssl/certs/hyprbox/*.crt']);
      expect(Object.isFrozen(c)).to.equal(true);
    });
    it('names the variable in every error', () => {
      const cases: Array<[Record<string, string>, RegExp]> = [
        [{ ...base, HYPRBOX_API_URL: '' }, /^HYPRBOX_API_URL: required/],
        [{ ...base, HYPRBOX_API_URL: 'not a url' }, /^HYPRBOX_API_URL: "not a url" is not a URL/],
        [{ ...base, HYPRBOX_API_URL: 'http://ctl.example.com' }, /plain http is only allowed/],
        [{ ...base, HYPRBOX_NODE_TOKEN: '' }, /^HYPRBOX_NODE_TOKEN: required/],
        [{ ...base, HYPRBOX_NODE_NAME: 'Web_1' }, /^HYPRBOX_NODE_NAME: "Web_1" is not a DNS-1123 name/],
        [{ ...base, HYPRBOX_NAMESPACE: 'a.b' }, /^HYPRBOX_NAMESPACE/],
        [{ ...base, HYPRBOX_SCAN_INTERVAL: 'often' }, /^HYPRBOX_SCAN_INTERVAL/],
        [{ ...base, HYPRBOX_CA_FILE: '/nonexistent/ca.pem' }, /^HYPRBOX_CA_FILE: /],
      ];
      for (const [env, re] of cases) expect(() => loadAgentConfig(env), JSON.stringify(env)).to.throw(AgentConfigError, re);
    });
    it('reads an EnvironmentFile, with the environment winning', () => {
      const file = join(dir, 'hyprnode.env');
      writeFileSync(file, '# comment\nHYPRBOX_API_URL=https://from-file:6443\nHYPRBOX_NODE_TOKEN="hbx_file"\nHYPRBOX_NODE_NAME=db-1\n');
      const c = loadAgentConfig({ HYPRBOX_CONFIG: file, HYPRBOX_NODE_NAME: 'db-2' });
      expect(c).to.include({ apiUrl: 'https://from-file:6443', token: 'hbx_file', nodeName: 'db-2' });
      expect(() => parseEnvFile('oops\n', 'f.env')).to.throw(AgentConfigError, 'f.env:1: expected KEY=VALUE');
    });
  });

  it('classifies API failures and gives advice a person can act on', () => {
    expect(classify({ code: 401, body: '{"message":"Unauthorized"}' })).to.deep.equal({ kind: 'unauthorized', code: 401, message: 'Unauthorized' });
    expect(classify({ code: 403, body: 'x' }).kind).to.equal('forbidden');
    expect(classify(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } })).kind).to.equal('unreachable');
    const c = { apiUrl: 'https://ctl:6443', nodeName: 'web-1', namespace: 'acme' };
    expect(advice('unauthorized', c)).to.contain('HYPRBOX_NODE_TOKEN');
    expect(advice('forbidden', c)).to.contain('acme/web-1');
    expect(advice('unreachable', c)).to.contain('curl --cacert <ca> https://ctl:6443/healthz');
  });

  it('backs off exponentially with jitter up to the cap', () => {
    const b = new Backoff(1000, 8000, () => 1);
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).to.deep.equal([1000, 2000, 4000, 8000, 8000]);
    const low = new Backoff(1000, 8000, () => 0);
    expect([low.next(), low.next()]).to.deep.equal([500, 1000]);
    b.reset();
    expect(b.next()).to.equal(1000);
  });

  it('passes params as environment variables, refusing names that are not', () => {
    expect(paramsEnv({ repository: '/srv', keep: 7, flags: { a: true } })).to.deep.equal({ vars: { repository: '/srv', keep: '7', flags: '{"a":true}' } });
    expect(paramsEnv({ 'x; rm -rf /': 'y' })).to.deep.equal({ error: 'param "x; rm -rf /" is not a valid environment variable name' });
  });

  it('remembers executed runs across restarts and pins the signing key once', () => {
    const stateDir = join(dir, 'state');
    const a = new AgentState(stateDir);
    a.markExecuted('uid-1');
    expect(statSync(join(stateDir, 'executed-runs')).mode & 0o777).to.equal(0o600);
    expect(a.pinKey('-----BEGIN PUBLIC KEY-----\nAAA\n-----END PUBLIC KEY-----\n')).to.equal('pinned');
    const b = new AgentState(stateDir);
    expect(b.hasExecuted('uid-1')).to.equal(true);
    expect(b.hasExecuted('uid-2')).to.equal(false);
    expect(b.pinKey('-----BEGIN PUBLIC KEY-----\nAAA\n-----END PUBLIC KEY-----\n')).to.equal('same');
    expect(b.pinKey('-----BEGIN PUBLIC KEY-----\nBBB\n-----END PUBLIC KEY-----\n')).to.equal('different');
    expect(readFileSync(join(stateDir, 'signing-key.pem'), 'utf8')).to.contain('AAA');
  });

  it('loads neither node-fetch\'s unused whatwg-url nor @hyprbox/crds\' ajv and yaml, yet a real user of whatwg-url gets it', () => {
    // A fresh process loads every agent module, lazy-deps first as in main.js (memory: docs/AGENT.md#memory).
    const script = `
      import { createRequire } from 'node:module';
      await import(${JSON.stringify(repoPath('agent', 'dist', 'src', 'lazy-deps.js'))});
      await import(${JSON.stringify(repoPath('agent', 'dist', 'src', 'agent.js'))});
      const req = createRequire(createRequire(import.meta.url).resolve('node-fetch'));
      const loaded = (pkg) => Object.keys(req.cache).some((k) => k.includes('/node_modules/' + pkg + '/'));
      const before = ['tr46', 'ajv', 'yaml'].filter(loaded);
      const url = new (req('whatwg-url').URL)('https://example.com/a/../b').href;
      console.log(JSON.stringify({ before, tr46After: loaded('tr46'), url }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoPath('agent'), encoding: 'utf8' });
    expect(JSON.parse(out)).to.deep.equal({ before: [], tr46After: true, url: 'https://example.com/b' });
  });

  describe('the command a step runs as', () => {
    const limits = { memoryMax: '512M', cpuQuota: '50%' };
    it('is a transient systemd scope with the preset\'s limits where systemd runs', () => {
      expect(stepCommand({ hostRoot: '/', systemd: true, limits })).to.deep.equal({
        argv: ['systemd-run', '--scope', '--quiet', '--collect', '-p', 'MemoryMax=512M', '-p', 'CPUQuota=50%', '--', 'bash', '-s'],
      });
      expect(stepCommand({ hostRoot: '/', systemd: true, limits: { cpuQuota: '200%' } }).argv).to.deep.equal(['systemd-run', '--scope', '--quiet', '--collect', '-p', 'CPUQuota=200%', '--', 'bash', '-s']);
      expect(stepCommand({ hostRoot: '/', systemd: true })).to.deep.equal({ argv: ['systemd-run', '--scope', '--quiet', '--collect', '--', 'bash', '-s'] });
    });
    it('is bare bash without systemd, saying in the log which limits were not applied', () => {
      expect(stepCommand({ hostRoot: '/', systemd: false })).to.deep.equal({ argv: ['bash', '-s'] });
      const r = stepCommand({ hostRoot: '/', systemd: false, limits });
      expect(r.argv).to.deep.equal(['bash', '-s']);
      expect(r.note).to.equal("(this step runs without a systemd scope here: the preset's limits MemoryMax=512M CPUQuota=50% are not applied)\n");
      expect(stepCommand({ hostRoot: '/srv/host', systemd: false }).argv).to.deep.equal(['chroot', '/srv/host', 'bash', '-s']);
    });
  });

  describe('the controller connection (client-node request layer and Watch) against a real controller', function () {
    this.timeout(60_000);
    let c: TestController;
    let token: string;
    const node = 'unit-1';
    const cfg = (over: Partial<{ token: string; caPem: string; apiUrl: string }> = {}) => ({ apiUrl: c.url, token, caPem: c.controller.caCert!, nodeName: node, namespace: 'default', ...over });
    before(async () => {
      c = await startTestController('sqlite');
      const tok = await c.json<{ status: { token: string } }>('POST', '/apis/hyprbox.io/v1alpha1/tokens', { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Token', metadata: {}, spec: { node: { namespace: 'default', name: node } } });
      token = tok.body.status.token;
    });
    after(async () => c?.stop());

    it('registers, heartbeats, writes status, fetches the signing key, and follows its Node on a watch', async () => {
      const kube = new Kube(cfg());
      const api = new ControllerApi(kube, cfg());
      try {
        expect((await api.register()).metadata.name).to.equal(node);
        await api.renewLease('2026-01-01T00:00:00Z', new Date());
        await api.renewLease('2026-01-01T00:00:00Z', new Date());
        const lease = await c.json<{ spec: { holderIdentity: string } }>('GET', `/apis/hyprbox.io/v1alpha1/namespaces/default/leases/${node}`);
        expect(lease.body.spec.holderIdentity).to.equal(`hyprnode@${node}`);
        expect(await api.signingKey()).to.contain('BEGIN PUBLIC KEY');
        const seen: Node[] = [];
        const watch = api.watchOwnNode((n) => seen.push(n), () => undefined);
        try {
          await api.writeNodeStatus({ agentVersion: 'unit-test' });
          await until('the status on the watch', () => seen.some((n) => n.status?.agentVersion === 'unit-test'), 10_000);
        } finally {
          await watch.stop();
        }
      } finally {
        kube.close();
      }
    });

    it('appends to a run log as text and lists and watches its runs', async () => {
      await c.json('POST', '/apis/hyprbox.io/v1alpha1/presets', { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Preset', metadata: { name: 'p' }, spec: { apply: { script: 'true' } } });
      const kube = new Kube(cfg());
      const api = new ControllerApi(kube, cfg());
      const seen: Run[] = [];
      const runs = api.watchRuns({ onChange: (r) => seen.push(r), onError: () => undefined });
      try {
        await runs.start();
        const created = await c.json('POST', '/apis/hyprbox.io/v1alpha1/namespaces/default/runs', { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Run', metadata: { name: 'unit-run' }, spec: { nodeName: node, preset: 'p', steps: [{ name: 'apply', script: 'true' }] } });
        expect(created.status, JSON.stringify(created.body)).to.equal(201);
        await until('the run on the watch', () => seen.some((r) => r.metadata.name === 'unit-run'), 10_000);
        await api.appendLog('unit-run', 'line 1\n');
        await api.appendLog('unit-run', 'line 2\n');
        expect(await (await c.api('/apis/hyprbox.io/v1alpha1/namespaces/default/runs/unit-run/log')).text()).to.equal('line 1\nline 2\n');
        expect(runs.list().map((r) => r.metadata.name)).to.include('unit-run');
      } finally {
        await runs.stop();
        kube.close();
      }
    });

    it('fails in the ways the log advice names: a refused token, another CA, nobody listening', async () => {
      const refused = new ControllerApi(new Kube(cfg({ token: `hbx_aaaaaaaaaaaa_${'A'.repeat(43)}` })), cfg());
      expect(classify(await refused.register().then(() => undefined, (e: unknown) => e)).kind).to.equal('unauthorized');
      const otherCa = new ControllerApi(new Kube(cfg({ caPem: await makeCertPem('another-ca', new Date(Date.now() + 86_400_000)) })), cfg());
      expect(classify(await otherCa.register().then(() => undefined, (e: unknown) => e)).kind).to.equal('unreachable');
      const port = await new Promise<number>((resolve) => {
        const srv = createServer().listen(0, '127.0.0.1', () => {
          const p = (srv.address() as { port: number }).port;
          srv.close(() => resolve(p));
        });
      });
      const nobody = new ControllerApi(new Kube(cfg({ apiUrl: `https://127.0.0.1:${port}` })), cfg());
      expect(classify(await nobody.register().then(() => undefined, (e: unknown) => e)).kind).to.equal('unreachable');
    });
  });
});

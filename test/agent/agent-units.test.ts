import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Backoff } from '@hyprbox/agent/backoff';
import { AgentConfigError, loadAgentConfig, parseDuration, parseEnvFile } from '@hyprbox/agent/config';
import { advice, classify } from '@hyprbox/agent/kube';
import { paramsEnv } from '@hyprbox/agent/runner/runner';
import { AgentState } from '@hyprbox/agent/runner/state';

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
});

// hyprbox preset list|show|render against a real controller serving the fixture catalog: render prints the
// fixture's scripts verbatim, with params checked and defaulted by the controller's own code and turned
// into environment variables by the agent's own rule; bad params name the param, where it came from and the rule.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { paramsEnv } from '@hyprbox/agent/runner/runner';
import { defaultParams } from '@hyprbox/controller/catalog/params';
import { startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';
import { repoPath } from '../lib/paths.js';
import { as, expectExit, ok, userWithRole } from './cli-access-helpers.js';

type Preset = { metadata: { name: string }; spec: Record<string, { script: string; timeoutSeconds?: number } | undefined> };
const fixture = (name: string): Preset => parse(readFileSync(repoPath('test', 'fixtures', 'presets', `${name}.yaml`), 'utf8')) as Preset;

interface Rendered {
  preset: string;
  risk: string;
  params: Record<string, unknown>;
  secretParams: string[];
  environment: Record<string, string>;
  check?: { script?: string };
  steps: Array<{ name: string; script: string; timeoutSeconds?: number }>;
}

describe('hyprbox preset', function () {
  this.timeout(120_000);
  let c: TestController;
  let dir: string;
  const render = async (args: string[]): Promise<Rendered> => JSON.parse((await ok(c, ['preset', 'render', ...args, '--json'])).stdout) as Rendered;

  before(async () => {
    c = await startTestController('sqlite', ['--presets-dir', repoPath('test', 'fixtures', 'presets')]);
    dir = mkdtempSync(join(tmpdir(), 'hyprbox-preset-cli-'));
  });
  after(async () => {
    await c?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('list: the catalog as a table, and --json', async () => {
    const r = await ok(c, ['preset', 'list']);
    expect(r.stdout).to.match(/^NAME\s+RISK\s+RESOLVES\s+VERSION\s+AGE/);
    expect(r.stdout).to.match(/^danger-demo\s+DANGEROUS\s/m);
    expect(r.stdout).to.match(/^file-mode\s+CONFIRM\s+\["file.insecure-mode"\]\s+1.0.0/m);
    expect(r.stdout).to.match(/^motd\s+SAFE\s/m);
    const j = JSON.parse((await ok(c, ['preset', 'list', '--json'])).stdout) as Preset[];
    expect(j.map((p) => p.metadata.name)).to.deep.equal(['danger-demo', 'file-mode', 'motd']);
  });

  it('show: description, risk, params with types, defaults, rules and secrets, steps', async () => {
    const r = await ok(c, ['preset', 'show', 'file-mode']);
    expect(r.stdout).to.match(/^Risk:\s+CONFIRM$/m);
    expect(r.stdout).to.match(/^Resolves:\s+file.insecure-mode$/m);
    expect(r.stdout).to.match(/^\s+path\s+string\s+yes\s+-\s+no\s+Absolute path of the file. \(pattern \^\/; max 4096 chars\)$/m);
    expect(r.stdout).to.match(/^\s+mode\s+string\s+no\s+0644\s+no\s/m);
    expect(r.stdout).to.match(/^Steps:\s+precheck.*apply.*verify.*rollback/m);
    expect((await ok(c, ['preset', 'show', 'danger-demo'])).stdout).to.match(/^\s+apiKey\s+string\s+no\s+-\s+yes\s/m);
    expect((JSON.parse((await ok(c, ['preset', 'show', 'pre/motd', '--json'])).stdout) as Preset).metadata.name).to.equal('motd');
    expect((await expectExit(c, 3, ['preset', 'show', 'nope'])).stderr).to.match(/not found/);
  });

  it('render: every script verbatim, the environment, the defaults applied as the controller applies them', async () => {
    const want = fixture('file-mode');
    const r = await render(['file-mode', '--set', 'path=/etc/ssh/sshd_config']);
    expect(r).to.include({ preset: 'file-mode', risk: 'CONFIRM' });
    expect(r.params).to.deep.equal(defaultParams(want as never, { path: '/etc/ssh/sshd_config' }));
    expect(r.params).to.deep.equal({ path: '/etc/ssh/sshd_config', mode: '0644' });
    expect(r.environment).to.deep.equal((paramsEnv(r.params) as { vars: Record<string, string> }).vars);
    expect(r.check?.script).to.equal(want.spec.check!.script);
    expect(r.steps.map((s) => s.name)).to.deep.equal(['precheck', 'apply', 'verify', 'rollback']);
    for (const s of r.steps) expect(s.script, s.name).to.equal(want.spec[s.name]!.script);
    const text = (await ok(c, ['preset', 'render', 'file-mode', '--set', 'path=/etc/ssh/sshd_config'])).stdout;
    expect(text).to.include('\npath=/etc/ssh/sshd_config\nmode=0644\n');
    for (const step of ['check', 'precheck', 'apply', 'verify', 'rollback']) {
      expect(text).to.include(`# ---- ${step} (timeout ${step === 'check' ? 300 : 1800}s) ----\n${want.spec[step]!.script}`);
    }
  });

  it('--set is typed by the schema (0600 stays text); -f reads values; --set wins over -f', async () => {
    expect((await render(['file-mode', '--set', 'path=/x', '--set', 'mode=0600'])).environment).to.deep.equal({ path: '/x', mode: '0600' });
    const values = join(dir, 'values.yaml');
    writeFileSync(values, "path: /etc/passwd\nmode: '0644'\n");
    expect((await render(['file-mode', '-f', values])).params).to.deep.equal({ path: '/etc/passwd', mode: '0644' });
    expect((await render(['file-mode', '-f', values, '--set', 'mode=0600'])).params).to.deep.equal({ path: '/etc/passwd', mode: '0600' });
    const quoted = (await ok(c, ['preset', 'render', 'motd', '--set', "text=it's a 'test' $HOME"])).stdout;
    expect(quoted).to.include(`text='it'\\''s a '\\''test'\\'' $HOME'\n`);
  });

  it('--step prints one script exactly', async () => {
    const r = await ok(c, ['preset', 'render', 'motd', '--set', 'text=hi', '--step', 'apply']);
    expect(r.stdout).to.equal(fixture('motd').spec.apply!.script);
    expect((await expectExit(c, 2, ['preset', 'render', 'motd', '--set', 'text=hi', '--step', 'deploy'])).stderr).to.match(/--step/);
  });

  it('a bad --set names the param and the rule (exit 2); nothing is rendered', async () => {
    const r = await expectExit(c, 2, ['preset', 'render', 'file-mode', '--set', 'path=etc/x', '--set', 'mode=999', '--set', 'owner=root']);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.include('error: preset file-mode: the params do not fit its schema');
    expect(r.stderr).to.include(`  --set path: Invalid value: "etc/x": must match the regular expression '^/'`);
    expect(r.stderr).to.include(`  --set mode: Invalid value: "999": must match the regular expression '^[0-7]{3,4}$'`);
    expect(r.stderr).to.include('  --set owner: unknown field "owner": preset file-mode has no such parameter (its parameters: path, mode)');
    expect((await expectExit(c, 2, ['preset', 'render', 'file-mode'])).stderr).to.include('  path: Required value');
    expect((await expectExit(c, 2, ['preset', 'render', 'motd', '--set', 'text'])).stderr).to.include('--set: "text" is not key=value');
    const j = JSON.parse((await expectExit(c, 2, ['preset', 'render', 'danger-demo', '--set', 'greeting=hola', '--json'])).stdout) as { error: { causes: Array<{ field: string; message: string }> } };
    expect(j.error.causes).to.deep.equal([{ field: '--set greeting', reason: 'FieldValueNotSupported', message: 'Unsupported value: "hola": supported values: "hello", "bonjour"' }]);
  });

  it('a bad value from -f names file:line:column; a broken values file too', async () => {
    const values = join(dir, 'bad.yaml');
    writeFileSync(values, 'path: /etc/passwd\nmode: "77777"\n');
    expect((await expectExit(c, 2, ['preset', 'render', 'file-mode', '-f', values])).stderr).to.include(`  ${values}:2:1: mode: Invalid value: "77777"`);
    writeFileSync(values, 'path: /a\npath: /b\n');
    expect((await expectExit(c, 2, ['preset', 'render', 'file-mode', '-f', values])).stderr).to.match(new RegExp(`${values}:2:1: .*[Uu]nique`));
    writeFileSync(values, '- /a\n');
    expect((await expectExit(c, 2, ['preset', 'render', 'file-mode', '-f', values])).stderr).to.include(`${values}:1:1: a values file must be a mapping`);
    expect((await expectExit(c, 2, ['preset', 'render', 'file-mode', '-f', join(dir, 'none.yaml')])).stderr).to.include('no such file');
  });

  it('secret params: a reference is shown as the reference, a value is refused and never echoed', async () => {
    const r = await render(['danger-demo', '--set', 'apiKey=env:DEMO_API_KEY']);
    expect(r.secretParams).to.deep.equal(['apiKey']);
    expect(r.environment).to.deep.equal({ apiKey: 'env:DEMO_API_KEY', greeting: 'hello' });
    expect((await ok(c, ['preset', 'render', 'danger-demo', '--set', 'apiKey=file:/etc/demo.key'])).stdout).to.include('apiKey=file:/etc/demo.key   # secret: a reference, resolved on the host');
    const bad = await expectExit(c, 2, ['preset', 'render', 'danger-demo', '--set', 'apiKey=s3cr3t-value']);
    expect(bad.stderr).to.include('"apiKey" is a secret of preset danger-demo: give a reference resolved on the host (env:NAME or file:/path), never the value');
    expect(bad.stdout + bad.stderr).to.not.include('s3cr3t-value');
  });

  it('works for a viewer (presets are readable by every role); an unknown preset is exit 3', async () => {
    const viewer = await userWithRole(c, 'vera', 'viewer');
    await ok(c, ['preset', 'render', 'motd', '--set', 'text=hi'], as(viewer));
    expect((await expectExit(c, 3, ['preset', 'render', 'nope', '--set', 'a=b'])).stderr).to.match(/not found/);
  });
});

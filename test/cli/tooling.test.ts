// hyprbox explain, api-resources, version, completion and config against a real controller: each command,
// its --json form, its errors and exit codes; the bash completion script is sourced in a real bash.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse, stringify } from 'yaml';
import { hyprbox } from '../lib/cli.js';
import { startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';
import { repoPath } from '../lib/paths.js';
import { expectExit, ok } from './cli-access-helpers.js';

describe('hyprbox explain, api-resources, version, completion, config', function () {
  this.timeout(120_000);
  let c: TestController;
  let dir: string;

  before(async () => {
    c = await startTestController('sqlite');
    dir = mkdtempSync(join(tmpdir(), 'hyprbox-tooling-cli-'));
  });
  after(async () => {
    await c?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('explain', () => {
    it('documents a kind: group, kind, version, description, fields with types and required marks', async () => {
      const r = await ok(c, ['explain', 'rolebinding']);
      expect(r.stdout).to.match(/^GROUP:\s+hyprbox.io\nKIND:\s+RoleBinding\nVERSION:\s+v1alpha1\n/);
      expect(r.stdout).to.match(/DESCRIPTION:\n\s+RoleBinding grants a User one role/);
      expect(r.stdout).to.include('  metadata\t<ObjectMeta>\n');
      expect(r.stdout).to.include('  spec\t<Object> -required-\n    Who gets which role where.');
    });

    it('follows a field path, through lists, by any kind name; shows enums', async () => {
      const role = await ok(c, ['explain', 'rb.spec.role']);
      expect(role.stdout).to.include('FIELD: role <string>\n\nENUM:\n    viewer\n    operator\n    admin\n');
      const states = await ok(c, ['explain', 'nodeprofiles.spec.states.with']);
      expect(states.stdout).to.include('FIELD: with <Object>');
      const j = JSON.parse((await ok(c, ['explain', 'token.spec', '--json'])).stdout) as { kind: string; field: string; fields: Array<{ name: string; type: string; required: boolean }> };
      expect(j).to.include({ kind: 'Token', field: 'spec' });
      expect(j.fields.map((f) => `${f.name}:${f.type}`)).to.deep.equal(['user:string', 'node:Object', 'description:string', 'expiresAt:string', 'revoked:boolean']);
      expect((await ok(c, ['explain', 'ns'])).stdout).to.match(/^KIND:\s+Namespace\nVERSION:\s+v1\n/);
    });

    it('--recursive prints the field tree', async () => {
      const r = await ok(c, ['explain', 'token.spec', '--recursive']);
      expect(r.stdout).to.include('FIELDS:\n   user\t<string>\n   node\t<Object>\n      namespace\t<string> -required-\n      name\t<string> -required-\n');
    });

    it('an unknown field or kind is exit 2 with what exists', async () => {
      expect((await expectExit(c, 2, ['explain', 'token.spec.owner'])).stderr).to.include('field "owner" does not exist in Token.spec (its fields: user, node, description, expiresAt, revoked)');
      expect((await expectExit(c, 2, ['explain', 'tokn'])).stderr).to.include('did you mean "tokens"?');
    });
  });

  describe('api-resources', () => {
    it('prints the discovery table; filters; --json', async () => {
      const r = await ok(c, ['api-resources']);
      expect(r.stdout.split('\n')[0]).to.match(/^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND$/);
      expect(r.stdout).to.match(/^nodeprofiles\s+np,prof\s+hyprbox.io\/v1alpha1\s+true\s+NodeProfile$/m);
      expect(r.stdout).to.match(/^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
      expect(r.stdout).to.not.match(/\/status/);
      const cluster = JSON.parse((await ok(c, ['api-resources', '--namespaced=false', '--json'])).stdout) as Array<{ name: string; namespaced: boolean }>;
      expect(cluster.map((x) => x.name)).to.deep.equal(['auditevents', 'namespaces', 'presets', 'rolebindings', 'tokens', 'users']);
      expect((await ok(c, ['api-resources', '-o', 'name'])).stdout).to.match(/^auditevents.hyprbox.io\n/);
      expect((await expectExit(c, 2, ['api-resources', '--namespaced', 'maybe'])).stderr).to.match(/--namespaced/);
    });
  });

  describe('version', () => {
    it("prints the client's and the server's version; --json", async () => {
      const pkg = JSON.parse(readFileSync(repoPath('cli', 'package.json'), 'utf8')) as { version: string };
      const server = (await c.json<{ gitVersion: string }>('GET', '/version')).body;
      const r = await ok(c, ['version']);
      expect(r.stdout).to.match(new RegExp(`^Client Version: ${pkg.version.replace(/\./g, '\\.')} \\(node `));
      expect(r.stdout).to.include(`Server Version: ${server.gitVersion} (`);
      const j = JSON.parse((await ok(c, ['version', '--json'])).stdout) as { client: { version: string }; server: { gitVersion: string } };
      expect(j.client.version).to.equal(pkg.version);
      expect(j.server.gitVersion).to.equal(server.gitVersion);
    });

    it('--client needs no controller; an unreachable controller is exit 5 after the client line', async () => {
      const none = join(dir, 'none.kubeconfig');
      expect((await hyprbox(none, ['version', '--client'])).stdout).to.match(/^Client Version: /);
      const r = await expectExit(c, 5, ['version', '--server', 'http://127.0.0.1:1']);
      expect(r.stdout).to.match(/^Client Version: /);
      expect(r.stderr).to.match(/cannot reach the controller at http:\/\/127.0.0.1:1: ECONNREFUSED/);
    });
  });

  describe('completion', () => {
    const env = (): { env: Record<string, string> } => ({ env: { HYPRBOX_CACHE_DIR: join(dir, 'cache') } });

    it('bash: a script that, sourced in bash, completes commands, topics and flags', async () => {
      const r = await ok(c, ['completion', 'bash'], env());
      const script = join(dir, 'hyprbox.bash');
      writeFileSync(script, r.stdout);
      const complete = (words: string[]): string =>
        execFileSync('bash', ['-c', `source "$1"; complete -p hyprbox; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _hyprbox_autocomplete; echo "\${COMPREPLY[*]}"`, 'bash', script], { encoding: 'utf8' });
      const out = complete(['hyprbox', 'token', '']).split('\n');
      expect(out[0]).to.equal('complete -F _hyprbox_autocomplete hyprbox');
      expect(out[1]!.split(' ').sort()).to.deep.equal(['create', 'list', 'revoke']);
      expect(complete(['hyprbox', 'token', 'create', '--exp']).split('\n')[1]).to.equal('--expires-in');
      expect(complete(['hyprbox', 'rolebind']).split('\n')[1]).to.match(/^rolebinding\b/);
    });

    it('zsh: a compdef script; --json; an unknown shell is exit 2', async () => {
      expect((await ok(c, ['completion', 'zsh'], env())).stdout).to.match(/^#compdef hyprbox\n/);
      const j = JSON.parse((await ok(c, ['completion', 'bash', '--json'], env())).stdout) as { shell: string; script: string };
      expect(j.shell).to.equal('bash');
      expect(j.script).to.include('complete -F _hyprbox_autocomplete hyprbox');
      expect((await expectExit(c, 2, ['completion', 'fish'], env())).stderr).to.match(/Expected fish to be one of: bash, zsh/);
    });
  });

  describe('config', () => {
    /** A copy of the admin kubeconfig with a second context, so the tests change only their own file. */
    const twoContexts = (): string => {
      const cfg = parse(readFileSync(c.kubeconfig, 'utf8')) as { contexts: Array<{ name: string; context: Record<string, string> }>; 'current-context': string };
      cfg.contexts.push({ name: 'staging', context: { ...cfg.contexts[0]!.context, namespace: 'acme' } });
      const path = join(dir, `config-${Math.random().toString(36).slice(2)}`);
      writeFileSync(path, stringify(cfg), { mode: 0o600 });
      return path;
    };
    const current = (path: string): string => (parse(readFileSync(path, 'utf8')) as { 'current-context': string })['current-context'];

    it('get-contexts marks the current one; --json', async () => {
      const path = twoContexts();
      const r = await hyprbox(path, ['config', 'get-contexts']);
      expect(r.code).to.equal(0);
      expect(r.stdout.trimEnd()).to.match(/^CURRENT\s+NAME\s+CLUSTER\s+AUTHINFO\s+NAMESPACE\n\*\s+\S+\s+\S+\s+\S+\s+default\n\s+staging\s+\S+\s+\S+\s+acme$/);
      const j = JSON.parse((await hyprbox(path, ['config', 'get-contexts', '--json'])).stdout) as { currentContext: string; contexts: Array<{ name: string; current: boolean }> };
      expect(j.contexts.map((x) => `${x.name}:${x.current}`)).to.deep.equal([`${j.currentContext}:true`, 'staging:false']);
    });

    it('use-context switches (and the next command uses it); an unknown one is exit 2 and changes nothing', async () => {
      const path = twoContexts();
      const before = readFileSync(path, 'utf8');
      const bad = await hyprbox(path, ['config', 'use-context', 'prod']);
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.include(`no context "prod" (have: ${current(path)}, staging)`);
      expect(readFileSync(path, 'utf8')).to.equal(before);
      expect((await hyprbox(path, ['config', 'use-context', 'staging'])).stdout.trim()).to.equal('Switched to context "staging".');
      expect(current(path)).to.equal('staging');
      // The staging context's namespace (acme) is now the default one.
      expect((await hyprbox(path, ['get', 'nodes'])).stderr).to.include('No nodes found in namespace acme.');
    });

    it('view redacts tokens and CA data unless --raw; --minify keeps only the current context', async () => {
      const path = twoContexts();
      const r = await hyprbox(path, ['config', 'view']);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.not.include(c.token);
      expect(r.stdout).to.include('token: "[REDACTED]"');
      expect(r.stdout).to.include('certificate-authority-data: DATA+OMITTED');
      const j = await hyprbox(path, ['config', 'view', '--json']);
      expect(j.stdout).to.not.include(c.token);
      const raw = await hyprbox(path, ['config', 'view', '--raw']);
      expect(parse(raw.stdout)).to.deep.equal(parse(readFileSync(path, 'utf8')));
      expect((JSON.parse((await hyprbox(path, ['config', 'view', '--raw', '--json'])).stdout) as { users: Array<{ user: { token: string } }> }).users[0]!.user.token).to.equal(c.token);
      const min = parse((await hyprbox(path, ['config', 'view', '--minify', '--context', 'staging'])).stdout) as { contexts: Array<{ name: string }>; 'current-context': string };
      expect(min.contexts.map((x) => x.name)).to.deep.equal(['staging']);
      expect(min['current-context']).to.equal('staging');
      expect((await hyprbox(path, ['config', 'view', '--minify', '--context', 'nope'])).code).to.equal(2);
    });
  });
});

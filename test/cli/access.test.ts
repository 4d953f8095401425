// hyprbox token, user and rolebinding against a real controller: each command, its --json form, its errors
// and exit codes (2 usage, 3 refused, 4 denied), and a viewer refused every write but its own token.
import { expect } from 'chai';
import { hyprbox } from '../lib/cli.js';
import { startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';
import { as, expectExit, ok, userWithRole } from './cli-access-helpers.js';

interface TokenObj {
  metadata: { name: string };
  spec: { user?: string; node?: { namespace: string; name: string }; expiresAt?: string; revoked?: boolean; description?: string };
  status?: { token?: string; sha256?: string };
}

describe('hyprbox token, user, rolebinding', function () {
  this.timeout(120_000);
  let c: TestController;
  let viewer: string;
  const tokens = async (): Promise<TokenObj[]> => (await c.json<{ items: TokenObj[] }>('GET', '/apis/hyprbox.io/v1alpha1/tokens')).body.items;

  before(async () => {
    c = await startTestController('sqlite');
    viewer = await userWithRole(c, 'vera', 'viewer');
  });
  after(async () => c?.stop());

  describe('token create', () => {
    it('prints only the plaintext on stdout, once, and the token works', async () => {
      const r = await ok(c, ['token', 'create', '--expires-in', '30d', '--description', 'laptop of Ana']);
      const token = r.stdout.trim();
      expect(r.stdout.split('\n').filter(Boolean)).to.have.length(1);
      expect(token).to.match(/^hbx_[a-z0-9]+_[A-Za-z0-9_-]{20,}$/);
      expect(r.stderr).to.match(/created for user admin, expires .*shown only once/);
      const name = token.split('_')[1]!;
      const stored = (await tokens()).find((t) => t.metadata.name === name)!;
      expect(stored.spec).to.include({ user: 'admin', description: 'laptop of Ana' });
      const days = (Date.parse(stored.spec.expiresAt!) - Date.now()) / 86_400_000;
      expect(days).to.be.within(29.9, 30.1);
      expect(stored.status?.token, 'the plaintext is never stored').to.equal(undefined);
      // The new token authenticates as admin.
      await ok(c, ['token', 'list'], as(token));
    });

    it('--json includes the plaintext (deliberately) with the object', async () => {
      const r = await ok(c, ['token', 'create', '--json']);
      const t = JSON.parse(r.stdout) as TokenObj;
      expect(t.status?.token).to.match(new RegExp(`^hbx_${t.metadata.name}_`));
      expect(t.status?.sha256).to.match(/^[0-9a-f]{64}$/);
      expect(t.spec.user).to.equal('admin');
      expect(r.stderr).to.equal('');
    });

    it('--node makes an agent token for a node of the -n namespace', async () => {
      const t = JSON.parse((await ok(c, ['token', 'create', '--node', 'web-1', '-n', 'acme', '--json'])).stdout) as TokenObj;
      expect(t.spec.node).to.deep.equal({ namespace: 'acme', name: 'web-1' });
      expect(t.spec.user).to.equal(undefined);
    });

    it('refuses bad flags before sending anything (exit 2, naming the flag)', async () => {
      const before = (await tokens()).length;
      expect((await expectExit(c, 2, ['token', 'create', '--expires-in', '3x'])).stderr).to.match(/--expires-in: "3x" is not a duration/);
      expect((await expectExit(c, 2, ['token', 'create', '--node', 'Web_1'])).stderr).to.match(/--node: "Web_1" is not a valid name/);
      expect((await expectExit(c, 2, ['token', 'create', '--node', 'a', '--user', 'b'])).stderr).to.match(/--user.*cannot also be provided when using --node|--node.*cannot also be provided when using --user/);
      const j = await expectExit(c, 2, ['token', 'create', '--expires-in', '0d', '--json']);
      expect(JSON.parse(j.stdout)).to.deep.include({ error: { message: '--expires-in: must be more than zero', exitCode: 2 } });
      expect((await tokens()).length).to.equal(before);
    });
  });

  describe('token list and revoke', () => {
    it('lists tokens with who they are for and their state; --json and --user', async () => {
      const r = await ok(c, ['token', 'list']);
      expect(r.stdout.split('\n')[0]).to.match(/^NAME\s+FOR\s+STATE\s+EXPIRES\s+LAST USED\s+AGE\s+DESCRIPTION$/);
      expect(r.stdout).to.match(/node acme\/web-1\s+active/);
      expect(r.stdout).to.match(/user vera\s+active/);
      expect(r.stdout).to.not.match(/hbx_/);
      const only = JSON.parse((await ok(c, ['token', 'list', '--user', 'vera', '--json'])).stdout) as TokenObj[];
      expect(only.map((t) => t.spec.user)).to.deep.equal(['vera']);
      expect(only[0]!.status?.token).to.equal(undefined);
    });

    it('revokes by name or by the plaintext, without printing the secret; the token is refused afterwards', async () => {
      const token = (await ok(c, ['token', 'create'])).stdout.trim();
      const name = token.split('_')[1]!;
      await ok(c, ['get', 'presets'], as(token));
      const r = await ok(c, ['token', 'revoke', token]);
      expect(r.stdout.trim()).to.equal(`token/${name} revoked`);
      expect(r.stdout + r.stderr).to.not.include(token.slice(`hbx_${name}_`.length));
      expect((await tokens()).find((t) => t.metadata.name === name)!.spec.revoked).to.equal(true);
      expect((await expectExit(c, 4, ['get', 'presets'], as(token))).stderr).to.match(/^error: /);
      expect(token).to.have.length.greaterThan(0);
      const again = JSON.parse((await ok(c, ['token', 'revoke', `token/${name}`, '--json'])).stdout) as TokenObj[];
      expect(again[0]!.spec.revoked).to.equal(true);
    });

    it('a token that does not exist is exit 3; a malformed one exit 2', async () => {
      expect((await expectExit(c, 3, ['token', 'revoke', 'nosuchtoken1'])).stderr).to.match(/not found/);
      expect((await expectExit(c, 2, ['token', 'revoke', 'hbx_oops'])).stderr).to.match(/hbx_<name>_<secret>/);
    });
  });

  describe('user and rolebinding', () => {
    it('creates a user and grants it a role in one namespace; user list shows the roles', async () => {
      expect((await ok(c, ['user', 'create', 'ana', '--display-name', 'Ana Lima', '--email', 'ana@example.com'])).stdout.trim()).to.equal('user/ana created');
      const rb = await ok(c, ['rolebinding', 'create', '--user', 'ana', '--role', 'operator', '-n', 'acme']);
      expect(rb.stdout.trim()).to.equal('rolebinding/ana-operator-acme created: ana is operator in namespace acme');
      const cw = JSON.parse((await ok(c, ['rolebinding', 'create', 'ana-sees-all', '--user', 'ana', '--role', 'viewer', '--json'])).stdout) as { spec: Record<string, string> };
      expect(cw.spec).to.deep.equal({ user: 'ana', role: 'viewer' });
      const list = await ok(c, ['user', 'list']);
      expect(list.stdout).to.match(/^ana\s+Ana Lima\s+ana@example.com\s+false\s+operator@acme,viewer\s+\S+$/m);
      expect(list.stdout).to.match(/^admin\s+.*\badmin\b/m);
      const users = JSON.parse((await ok(c, ['user', 'list', '--json'])).stdout) as Array<{ metadata: { name: string } }>;
      expect(users.map((u) => u.metadata.name)).to.include.members(['admin', 'ana', 'vera']);
    });

    it('lists bindings, filtered by user, namespace or cluster-wide', async () => {
      const all = await ok(c, ['rolebinding', 'list']);
      expect(all.stdout).to.match(/^ana-operator-acme\s+ana\s+operator\s+acme\s/m);
      expect(all.stdout).to.match(/^ana-sees-all\s+ana\s+viewer\s+\(cluster\)\s/m);
      const names = async (args: string[]) => (JSON.parse((await ok(c, ['rolebinding', 'list', ...args, '--json'])).stdout) as Array<{ metadata: { name: string } }>).map((b) => b.metadata.name).sort();
      expect(await names(['--user', 'ana'])).to.deep.equal(['ana-operator-acme', 'ana-sees-all']);
      expect(await names(['-n', 'acme'])).to.deep.equal(['ana-operator-acme']);
      expect(await names(['--cluster-wide', '--user', 'ana'])).to.deep.equal(['ana-sees-all']);
    });

    it('deletes bindings; deleting one that is gone is exit 3', async () => {
      expect((await ok(c, ['rolebinding', 'delete', 'rolebinding/ana-sees-all'])).stdout.trim()).to.equal('rolebinding/ana-sees-all deleted');
      expect((await ok(c, ['rolebinding', 'list', '--user', 'ana'])).stdout).to.not.include('ana-sees-all');
      expect((await expectExit(c, 3, ['rolebinding', 'delete', 'ana-sees-all'])).stderr).to.match(/not found/);
    });

    it('refuses bad input with exit 2 and a taken name with exit 3', async () => {
      expect((await expectExit(c, 2, ['rolebinding', 'create', '--user', 'ana', '--role', 'root'])).stderr).to.match(/--role=root to be one of: viewer, operator, admin/);
      expect((await expectExit(c, 2, ['rolebinding', 'create', '--role', 'viewer'])).stderr).to.match(/Missing required flag user/);
      expect((await expectExit(c, 2, ['user', 'create', 'Bad_Name'])).stderr).to.match(/user: "Bad_Name" is not a valid name/);
      await ok(c, ['user', 'create', 'dup']);
      const dup = await expectExit(c, 3, ['user', 'create', 'dup', '--json']);
      expect(JSON.parse(dup.stdout)).to.deep.include({ error: { message: JSON.parse(dup.stdout).error.message, exitCode: 3, status: 409, reason: 'AlreadyExists' } });
    });
  });

  describe('a viewer', () => {
    it('is refused every access write with exit 4, in text and --json', async () => {
      const writes = [
        ['user', 'create', 'mallory'],
        ['rolebinding', 'create', '--user', 'vera', '--role', 'admin'],
        ['rolebinding', 'delete', 'ana-operator-acme'],
        ['token', 'create', '--user', 'admin'],
        ['token', 'create', '--node', 'web-1', '-n', 'acme'],
        ['token', 'list'],
      ];
      for (const args of writes) {
        const r = await expectExit(c, 4, args, as(viewer));
        expect(r.stderr, args.join(' ')).to.match(/^error: .*(forbidden|Forbidden|not allowed|needs admin|may not)/i);
      }
      const j = await expectExit(c, 4, ['user', 'create', 'mallory', '--json'], as(viewer));
      expect(JSON.parse(j.stdout).error).to.include({ exitCode: 4, status: 403 });
      expect((await c.json('GET', '/apis/hyprbox.io/v1alpha1/users/mallory')).status).to.equal(404);
      expect((await c.json('GET', '/apis/hyprbox.io/v1alpha1/rolebindings/vera-admin')).status).to.equal(404);
    });

    it('may still make a token for itself (docs/SECURITY.md: tokens for yourself)', async () => {
      const t = JSON.parse((await ok(c, ['token', 'create', '--json'], as(viewer))).stdout) as TokenObj;
      expect(t.spec.user).to.equal('vera');
      await ok(c, ['user', 'list'], as(t.status!.token!));
    });

    it('an unknown token is exit 4 too', async () => {
      const r = await hyprbox(c.kubeconfig, ['user', 'list'], as('hbx_nosuchname1_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'));
      expect(r.code).to.equal(4);
    });
  });
});

import { Args } from '@oclif/core';
import { tokenName } from '../../lib/access.js';
import { BaseCommand } from '../../lib/base.js';
import type { Obj } from '../../lib/client.js';
import { clusterPath } from '../../lib/list.js';
import { clean } from '../../lib/output.js';

export default class TokenRevoke extends BaseCommand {
  static override summary = 'Revoke tokens: refused from their next request on (cannot be undone)';
  static override description = 'Name a token by its name, as token/<name>, or by the plaintext itself (hbx_<name>_...: only its name part is used and nothing of it is printed). Anyone may revoke their own tokens; admins any.';
  static override examples = ['hyprbox token revoke 5r5mf039tm0r', 'hyprbox token revoke "$(cat old-token)"'];
  static override strict = false;
  static override args = { token: Args.string({ description: 'token name, token/<name> or the plaintext token', required: true }) };

  async run(): Promise<unknown> {
    const { argv, flags } = await this.parse(TokenRevoke);
    const names = (argv as string[]).map(tokenName);
    const client = this.connect(flags);
    const out: Obj[] = [];
    for (const name of names) {
      const t = await client.json<Obj>('PATCH', clusterPath('tokens', name), { body: { spec: { revoked: true } }, contentType: 'application/merge-patch+json' });
      this.out(`token/${name} revoked`);
      out.push(clean(t));
    }
    return out;
  }
}

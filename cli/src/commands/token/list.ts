import { Flags } from '@oclif/core';
import { tokenTable } from '../../lib/access.js';
import { BaseCommand } from '../../lib/base.js';
import { clusterPath, listAll } from '../../lib/list.js';
import { clean } from '../../lib/output.js';

export default class TokenList extends BaseCommand {
  static override summary = 'List tokens (cluster admins): who or which node each is for, active/expired/revoked, last use';
  static override description = 'Only hashes are stored, so no token is ever shown again after `token create`.';
  static override examples = ['hyprbox token list', 'hyprbox token list --user ana', 'hyprbox token list --node web-1 -n acme'];
  static override flags = {
    user: Flags.string({ description: "only this user's tokens" }),
    node: Flags.string({ description: "only this node's agent tokens (in the -n namespace)" }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(TokenList);
    const client = this.connect(flags);
    const items = (await listAll(client, clusterPath('tokens'))).filter((t) => {
      const s = (t.spec ?? {}) as { user?: string; node?: { namespace: string; name: string } };
      if (flags.user !== undefined && s.user !== flags.user) return false;
      return flags.node === undefined || (s.node?.name === flags.node && s.node.namespace === this.conn!.namespace);
    });
    if (items.length) this.out(tokenTable(items));
    else this.note('No tokens found.');
    return items.map(clean);
  }
}

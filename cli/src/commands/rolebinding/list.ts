import { Flags } from '@oclif/core';
import { bindingTable } from '../../lib/access.js';
import { BaseCommand } from '../../lib/base.js';
import { clusterPath, listAll } from '../../lib/list.js';
import { clean } from '../../lib/output.js';

export default class RoleBindingList extends BaseCommand {
  static override summary = 'List role bindings (who holds which role where); -n shows only bindings in that namespace';
  static override examples = ['hyprbox rolebinding list', 'hyprbox rolebinding list --user ana', 'hyprbox rolebinding list -n acme'];
  static override flags = {
    user: Flags.string({ description: "only this user's bindings" }),
    'cluster-wide': Flags.boolean({ description: 'only cluster-wide bindings', exclusive: ['namespace'] }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(RoleBindingList);
    const client = this.connect(flags);
    const items = (await listAll(client, clusterPath('rolebindings'))).filter((b) => {
      const s = (b.spec ?? {}) as { user?: string; namespace?: string };
      if (flags.user !== undefined && s.user !== flags.user) return false;
      if (flags['cluster-wide']) return s.namespace === undefined;
      return flags.namespace === undefined || s.namespace === flags.namespace;
    });
    if (items.length) this.out(bindingTable(items));
    else this.note('No role bindings found.');
    return items.map(clean);
  }
}

import { Args } from '@oclif/core';
import { checkName } from '../../lib/access.js';
import { BaseCommand } from '../../lib/base.js';
import { clusterPath } from '../../lib/list.js';

export default class RoleBindingDelete extends BaseCommand {
  static override summary = 'Delete role bindings by name (the user loses the role on its next request)';
  static override examples = ['hyprbox rolebinding delete ana-operator-acme'];
  static override strict = false;
  static override args = { name: Args.string({ description: 'binding name (or rolebinding/<name>)', required: true }) };

  async run(): Promise<unknown> {
    const { argv, flags } = await this.parse(RoleBindingDelete);
    const names = (argv as string[]).map((a) => checkName('name', a.replace(/^(rolebindings?|rb)\//, '')));
    const client = this.connect(flags);
    for (const name of names) {
      await client.json('DELETE', clusterPath('rolebindings', name));
      this.out(`rolebinding/${name} deleted`);
    }
    return { deleted: names };
  }
}

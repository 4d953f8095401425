import { userTable } from '../../lib/access.js';
import { BaseCommand } from '../../lib/base.js';
import { clusterPath, listAll } from '../../lib/list.js';
import { clean } from '../../lib/output.js';

export default class UserList extends BaseCommand {
  static override summary = 'List users with the roles their bindings grant (admin cluster-wide, operator@acme in a namespace)';
  static override examples = ['hyprbox user list', 'hyprbox user list --json'];

  async run(): Promise<unknown> {
    const { flags } = await this.parse(UserList);
    const client = this.connect(flags);
    const [users, bindings] = await Promise.all([listAll(client, clusterPath('users')), listAll(client, clusterPath('rolebindings'))]);
    if (users.length) this.out(userTable(users, bindings));
    else this.note('No users found.');
    return users.map(clean);
  }
}

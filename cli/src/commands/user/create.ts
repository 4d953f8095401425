import { Args, Flags } from '@oclif/core';
import { checkName } from '../../lib/access.js';
import { BaseCommand } from '../../lib/base.js';
import type { Obj } from '../../lib/client.js';
import { clusterPath } from '../../lib/list.js';
import { clean } from '../../lib/output.js';

export default class UserCreate extends BaseCommand {
  static override summary = 'Create a user (cluster admins); give it a role with `rolebinding create` and a token with `token create --user`';
  static override examples = ['hyprbox user create ana --display-name "Ana Lima" --email ana@example.com', 'hyprbox rolebinding create --user ana --role operator -n acme'];
  static override args = { name: Args.string({ description: 'user name (DNS-1123: lower-case letters, digits, - and .)', required: true }) };
  static override flags = {
    'display-name': Flags.string({ description: "the person's name" }),
    email: Flags.string({ description: 'contact address' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(UserCreate);
    const name = checkName('user', args.name);
    const client = this.connect(flags);
    const spec = { ...(flags['display-name'] ? { displayName: flags['display-name'] } : {}), ...(flags.email ? { email: flags.email } : {}) };
    const u = await client.json<Obj>('POST', clusterPath('users'), { body: { apiVersion: 'hyprbox.io/v1alpha1', kind: 'User', metadata: { name }, spec } });
    this.out(`user/${name} created`);
    return clean(u);
  }
}

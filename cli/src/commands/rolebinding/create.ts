import { Args, Flags } from '@oclif/core';
import { bindingName, checkName, parseRole, ROLES } from '../../lib/access.js';
import { BaseCommand } from '../../lib/base.js';
import type { Obj } from '../../lib/client.js';
import { clusterPath } from '../../lib/list.js';
import { clean } from '../../lib/output.js';

export default class RoleBindingCreate extends BaseCommand {
  static override summary = 'Grant a user a role, in one namespace (-n) or cluster-wide (no -n)';
  static override description = [
    'Without -n the role holds in every namespace and for the cluster-scoped kinds; the context\'s namespace is NOT implied.',
    'Changing bindings needs admin at the binding\'s scope (a namespace admin binds in its namespace only); nobody grants more than they hold.',
    'The binding is named <user>-<role>[-<namespace>] unless a name is given.',
  ].join('\n\n');
  static override examples = ['hyprbox rolebinding create --user ana --role operator -n acme', 'hyprbox rolebinding create --user ci --role viewer'];
  static override args = { name: Args.string({ description: 'binding name (default <user>-<role>[-<namespace>])' }) };
  static override flags = {
    user: Flags.string({ description: 'the user granted the role', required: true }),
    role: Flags.string({ description: ROLES.join('|'), required: true, options: [...ROLES] }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(RoleBindingCreate);
    const user = checkName('--user', flags.user);
    const role = parseRole(flags.role);
    // Only an explicit -n scopes the binding: a context default must not narrow (or widen) a grant silently.
    const namespace = flags.namespace === undefined ? undefined : checkName('--namespace', flags.namespace);
    const name = checkName('name', args.name ?? bindingName(user, role, namespace));
    const client = this.connect(flags);
    const spec = { user, role, ...(namespace ? { namespace } : {}) };
    const b = await client.json<Obj>('POST', clusterPath('rolebindings'), { body: { apiVersion: 'hyprbox.io/v1alpha1', kind: 'RoleBinding', metadata: { name }, spec } });
    this.out(`rolebinding/${name} created: ${user} is ${role} ${namespace ? `in namespace ${namespace}` : 'cluster-wide'}`);
    return clean(b);
  }
}

import { Flags } from '@oclif/core';
import { expiryFrom, checkName } from '../../lib/access.js';
import { parseDuration, whoami } from '../../lib/actions.js';
import { BaseCommand } from '../../lib/base.js';
import type { Obj } from '../../lib/client.js';
import { CliError, EXIT } from '../../lib/errors.js';
import { clusterPath } from '../../lib/list.js';
import { clean } from '../../lib/output.js';

export default class TokenCreate extends BaseCommand {
  static override summary = 'Create a bearer token for yourself (or a user, as admin), or for the agent of one node';
  static override description = [
    'Prints the plaintext token once, on stdout and nothing else (notes go to stderr), so `hyprbox token create > file` keeps only the token.',
    'The server stores only its SHA-256: it cannot be shown again. With --json the whole created object is printed INCLUDING status.token, deliberately: this is the one command whose output holds a secret.',
  ].join('\n\n');
  static override examples = ['hyprbox token create --expires-in 30d --description "laptop"', 'hyprbox token create --node web-1 -n acme --description "agent of web-1"', 'hyprbox token create --user ci --expires-in 90d'];
  static override flags = {
    node: Flags.string({ description: 'make an agent token for this node (in the -n namespace)', exclusive: ['user'] }),
    user: Flags.string({ description: 'make the token for this user (cluster admins only; default: yourself)' }),
    'expires-in': Flags.string({ description: 'lifetime, e.g. 12h, 30d, 2w (default: no expiry)' }),
    description: Flags.string({ description: 'what the token is for (e.g. "CI pipeline")' }),
  };

  /** The plaintext, put back into the --json output after the base redacts it. */
  private plaintext?: string;

  async run(): Promise<unknown> {
    const { flags } = await this.parse(TokenCreate);
    const expiresAt = flags['expires-in'] ? expiryFrom(parseDuration(flags['expires-in'], '--expires-in')) : undefined;
    if (flags.description !== undefined && flags.description.length > 1024) throw new CliError('--description: may not be more than 1024 characters', EXIT.usage);
    const client = this.connect(flags);
    let owner: Record<string, unknown>;
    if (flags.node) owner = { node: { namespace: checkName('--namespace', this.conn!.namespace), name: checkName('--node', flags.node) } };
    else if (flags.user) owner = { user: checkName('--user', flags.user) };
    else {
      const me = await whoami(client);
      if (me.kind !== 'User') throw new CliError(`this credential belongs to node ${me.name}; an agent cannot make tokens`, EXIT.denied);
      owner = { user: me.name };
    }
    const spec = { ...owner, ...(flags.description ? { description: flags.description } : {}), ...(expiresAt ? { expiresAt } : {}) };
    const created = await client.json<Obj>('POST', clusterPath('tokens'), { body: { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Token', metadata: {}, spec } });
    const token = (created.status as { token?: string } | undefined)?.token;
    if (!token) throw new CliError(`the server created token ${created.metadata.name} but returned no plaintext; revoke it (hyprbox token revoke ${created.metadata.name})`, EXIT.internal);
    this.plaintext = token;
    const who = flags.node ? `node ${this.conn!.namespace}/${flags.node}` : `user ${String(owner.user)}`;
    this.note(`token ${created.metadata.name} created for ${who}${expiresAt ? `, expires ${expiresAt}` : ''}; it is shown only once:`);
    this.out(token);
    return created;
  }

  protected override toSuccessJson(result: unknown): unknown {
    const out = clean(result) as Obj;
    if (this.plaintext) out.status = { ...(out.status ?? {}), token: this.plaintext };
    return out;
  }
}

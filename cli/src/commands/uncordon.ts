import { Args } from '@oclif/core';
import { setNodePaused } from '../lib/actions.js';
import { BaseCommand } from '../lib/base.js';
import { clean } from '../lib/output.js';

export default class Uncordon extends BaseCommand {
  static override summary = 'Uncordon a node: runs may be dispatched to it again';
  static override examples = ['hyprbox uncordon web-1 -n acme'];
  static override args = { node: Args.string({ description: 'node name (or node/<name>)', required: true }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Uncordon);
    const client = this.connect(flags);
    const name = args.node.replace(/^(nodes?|hn|hnode)\//, '');
    const after = await setNodePaused(client, this.conn!.namespace, name, false);
    this.out(`node/${name} uncordoned`);
    return clean(after);
  }
}

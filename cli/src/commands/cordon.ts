import { Args } from '@oclif/core';
import { setNodePaused } from '../lib/actions.js';
import { BaseCommand } from '../lib/base.js';
import { clean } from '../lib/output.js';

export default class Cordon extends BaseCommand {
  static override summary = 'Cordon a node: findings are still opened, but no run is dispatched to it';
  static override examples = ['hyprbox cordon web-1 -n acme'];
  static override args = { node: Args.string({ description: 'node name (or node/<name>)', required: true }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Cordon);
    const client = this.connect(flags);
    const name = args.node.replace(/^(nodes?|hn|hnode)\//, '');
    const after = await setNodePaused(client, this.conn!.namespace, name, true);
    this.out(`node/${name} cordoned`);
    return clean(after);
  }
}

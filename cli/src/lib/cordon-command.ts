// cordon and uncordon are one command with the opposite value of the node's spec.paused.
import { Args } from '@oclif/core';
import { setNodePaused } from './actions.js';
import { BaseCommand } from './base.js';
import { clean } from './output.js';

export abstract class NodePauseCommand extends BaseCommand {
  static override args = { node: Args.string({ description: 'node name (or node/<name>)', required: true }) };
  protected abstract readonly paused: boolean;

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(this.ctor as typeof NodePauseCommand);
    const client = this.connect(flags);
    const name = args.node.replace(/^(nodes?|hn|hnode)\//, '');
    const after = await setNodePaused(client, this.conn!.namespace, name, this.paused);
    this.out(`node/${name} ${this.paused ? 'cordoned' : 'uncordoned'}`);
    return clean(after);
  }
}

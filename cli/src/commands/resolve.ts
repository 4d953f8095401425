import { Args } from '@oclif/core';
import { resolveFinding } from '../lib/actions.js';
import { BaseCommand } from '../lib/base.js';
import { findingArg } from '../lib/finding-arg.js';
import { clean } from '../lib/output.js';

export default class Resolve extends BaseCommand {
  static override summary = 'Mark a finding resolved by hand (audited); it opens again if it is detected again';
  static override examples = ['hyprbox resolve finding/web-1-3fa2c1d2e4f5 -n acme'];
  static override args = { target: Args.string({ description: 'finding/<name>', required: true }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Resolve);
    const client = this.connect(flags);
    const name = findingArg(args.target);
    const after = await resolveFinding(client, this.conn!.namespace, name);
    this.out(`finding ${name} resolved`);
    return clean(after);
  }
}

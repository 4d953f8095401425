import { Args, Flags } from '@oclif/core';
import { parseDuration, snoozeFinding } from '../lib/actions.js';
import { BaseCommand } from '../lib/base.js';
import { findingArg } from '../lib/finding-arg.js';
import { clean } from '../lib/output.js';

export default class Snooze extends BaseCommand {
  static override summary = 'Snooze a finding: it stays out of the way until the time is up, then opens again';
  static override examples = ['hyprbox snooze finding/web-1-3fa2c1d2e4f5 --for 7d'];
  static override args = { target: Args.string({ description: 'finding/<name>', required: true }) };
  static override flags = { for: Flags.string({ description: 'how long: 30m, 12h, 7d, 2w', required: true }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Snooze);
    const until = new Date(Date.now() + parseDuration(flags.for, '--for'));
    const client = this.connect(flags);
    const name = findingArg(args.target);
    const after = await snoozeFinding(client, this.conn!.namespace, name, until);
    this.out(`finding ${name} snoozed until ${(after.status as { snoozedUntil?: string }).snoozedUntil}`);
    return clean(after);
  }
}

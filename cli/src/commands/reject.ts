import { Args } from '@oclif/core';
import { rejectRun } from '../lib/actions.js';
import { BaseCommand } from '../lib/base.js';
import { describeRun, runFor } from '../lib/decide.js';
import { clean } from '../lib/output.js';

export default class Reject extends BaseCommand {
  static override summary = 'Reject (cancel) a run that has not started, directly or through its finding';
  static override examples = ['hyprbox reject run/db-servers-db-1-1a2b3c-1 -n acme', 'hyprbox reject finding/db-1-7f3e2a90c1d4'];
  static override args = { target: Args.string({ description: 'run/<name> or finding/<name>', required: true }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Reject);
    const client = this.connect(flags);
    const ns = this.conn!.namespace;
    const after = await rejectRun(client, ns, await runFor(client, ns, args.target));
    this.out(`${describeRun(after)} rejected`);
    return clean(after);
  }
}

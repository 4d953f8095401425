import { Args } from '@oclif/core';
import { approveRun, whoami } from '../lib/actions.js';
import { BaseCommand } from '../lib/base.js';
import { describeRun, runFor } from '../lib/decide.js';
import { clean } from '../lib/output.js';

export default class Approve extends BaseCommand {
  static override summary = "Approve a run waiting for a person (directly, or through its finding), under your own name";
  static override description = 'A DANGEROUS run needs as many distinct approvers as its profile asks for (dangerousApprovals); approving twice counts once.';
  static override examples = ['hyprbox approve run/db-servers-db-1-1a2b3c-1 -n acme', 'hyprbox approve finding/db-1-7f3e2a90c1d4 -n acme'];
  static override args = { target: Args.string({ description: 'run/<name> or finding/<name>', required: true }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Approve);
    const client = this.connect(flags);
    const ns = this.conn!.namespace;
    const run = await runFor(client, ns, args.target);
    const me = await whoami(client);
    const after = await approveRun(client, ns, run, me);
    const by = ((after.spec as { approvedBy?: string[] }).approvedBy ?? []).join(', ');
    this.out(`${describeRun(after)} approved by ${me.name}${by ? ` (approvals: ${by})` : ''}`);
    return clean(after);
  }
}

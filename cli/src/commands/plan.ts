import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../lib/base.js';
import { CliError, EXIT } from '../lib/errors.js';
import { fileFlags, loadTargets } from '../lib/manifest-flags.js';
import { fetchPlan, renderPlan } from '../lib/plan.js';
import type { Plan } from '../lib/plan.js';

export default class PlanCommand extends BaseCommand {
  static override summary = 'Show, per node, what a profile would do: which states would change, the preset, its risk, whether it runs on its own or waits, and the exact script';
  static override examples = ['hyprbox plan -f fleet/db-servers.yaml', 'hyprbox plan db-servers -n acme', 'hyprbox plan -f fleet/ -R --scripts=false'];
  static override args = { profile: Args.string({ description: 'a stored NodeProfile (instead of -f)' }) };
  static override flags = {
    filename: Flags.string({ char: 'f', description: 'file, directory or - (stdin) with NodeProfiles; repeatable', multiple: true }),
    recursive: fileFlags.recursive,
    scripts: Flags.boolean({ description: 'print the script of each step that would run', default: true, allowNo: true }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(PlanCommand);
    if (!args.profile && !flags.filename?.length) throw new CliError('name a profile or give -f with NodeProfile manifests', EXIT.usage);
    if (args.profile && flags.filename?.length) throw new CliError('give either a profile name or -f, not both', EXIT.usage);
    const client = this.connect(flags);
    const plans: Plan[] = [];
    if (args.profile) plans.push(await fetchPlan(client, this.conn!.namespace, args.profile));
    else {
      const res = await this.resources(client);
      const { targets } = loadTargets(res, { ...flags, filename: flags.filename! }, this.conn!.namespace);
      const profiles = targets.filter((t) => t.resource.plural === 'nodeprofiles');
      if (!profiles.length) throw new CliError(`no NodeProfile in ${flags.filename!.join(', ')}`, EXIT.usage);
      for (const t of profiles) plans.push(await fetchPlan(client, t.namespace!, t.name, t));
    }
    for (const p of plans) this.out(renderPlan(p, { scripts: flags.scripts }));
    return { plans };
  }
}

import { Args } from '@oclif/core';
import { resumeRollout } from '../../lib/actions.js';
import { BaseCommand } from '../../lib/base.js';
import { clean } from '../../lib/output.js';

export default class RolloutResume extends BaseCommand {
  static override summary = 'Resume a rollout paused after failures (failures before now stop counting)';
  static override examples = ['hyprbox rollout resume db-servers -n acme'];
  static override args = { profile: Args.string({ description: 'NodeProfile name', required: true }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(RolloutResume);
    const client = this.connect(flags);
    const name = args.profile.replace(/^(nodeprofiles?|np|prof)\//, '');
    const after = await resumeRollout(client, this.conn!.namespace, name);
    this.out(`nodeprofile/${name} rollout resumed`);
    return clean(after);
  }
}

import { Args } from '@oclif/core';
import { BaseCommand } from '../../lib/base.js';
import type { Obj } from '../../lib/client.js';
import { clusterPath } from '../../lib/list.js';
import { clean } from '../../lib/output.js';
import { presetSummary } from '../../lib/preset.js';

export default class PresetShow extends BaseCommand {
  static override summary = 'Describe a preset: what it does, its risk, its params (types, defaults, rules, secrets) and steps';
  static override description = "See the scripts with `hyprbox preset render <name> --set k=v`.";
  static override examples = ['hyprbox preset show file-mode'];
  static override args = { name: Args.string({ description: 'preset name', required: true }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(PresetShow);
    const client = this.connect(flags);
    const preset = await client.json<Obj>('GET', clusterPath('presets', args.name.replace(/^(presets?|pre)\//, '')));
    this.out(presetSummary(preset));
    return clean(preset);
  }
}

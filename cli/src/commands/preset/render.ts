import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/base.js';
import type { Obj } from '../../lib/client.js';
import { clusterPath } from '../../lib/list.js';
import { parseSets, readValues, renderedText, renderPreset, stepScript } from '../../lib/preset.js';

export default class PresetRender extends BaseCommand {
  static override summary = 'Print the exact scripts (check, precheck, apply, verify, rollback) and environment a run of a preset gets';
  static override description = [
    "Params are checked against the preset's schema and defaulted by the controller's own code; a bad one names the param, where it was given and the rule (exit 2).",
    '--set values are typed by the schema (a string param keeps 0644 as text). -f reads a YAML mapping of params; --set wins over it.',
    'Secret params are shown as the references they must be (env:NAME, file:/path), never resolved. Scripts are printed verbatim, also with --json.',
  ].join('\n\n');
  static override examples = ['hyprbox preset render motd --set text="Authorised use only"', 'hyprbox preset render file-mode --set path=/etc/ssh/sshd_config --set mode=0600', 'hyprbox preset render file-mode -f values.yaml --step apply | shellcheck -s bash -'];
  static override args = { name: Args.string({ description: 'preset name', required: true }) };
  static override flags = {
    set: Flags.string({ description: 'a param, key=value (repeatable)', multiple: true, default: [] }),
    values: Flags.string({ char: 'f', description: 'YAML file with a mapping of params' }),
    step: Flags.string({ description: 'print only this script, verbatim (check, precheck, apply, verify or rollback)', options: ['check', 'precheck', 'apply', 'verify', 'rollback'] }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(PresetRender);
    const fromFile = flags.values ? readValues(flags.values) : { values: {}, sources: {} };
    const client = this.connect(flags);
    const preset = await client.json<Obj>('GET', clusterPath('presets', args.name.replace(/^(presets?|pre)\//, '')));
    const sets = parseSets(flags.set, preset);
    // The agent's own params → environment rule; loaded here only, as the agent module is heavy to import.
    const { paramsEnv } = await import('@hyprbox/agent/runner/runner');
    const r = renderPreset(preset, { ...fromFile.values, ...sets.values }, { ...fromFile.sources, ...sets.sources }, paramsEnv);
    if (flags.step) process.stdout.write(this.jsonEnabled() ? '' : stepScript(r, flags.step));
    else this.out(renderedText(r));
    return flags.step ? { ...r, steps: r.steps.filter((s) => s.name === flags.step) } : r;
  }

  // Scripts are the point of this command: verbatim (redaction would rewrite e.g. "Bearer $TOKEN"). Secret
  // params are references by then (renderPreset refuses anything else), so nothing secret is in the result.
  protected override toSuccessJson(result: unknown): unknown {
    return result;
  }
}

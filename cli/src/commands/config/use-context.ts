import { Args } from '@oclif/core';
import { BaseCommand } from '../../lib/base.js';
import { CliError, EXIT } from '../../lib/errors.js';
import { configPath, readConfig, writeConfig } from '../../lib/kubeconfig.js';

export default class ConfigUseContext extends BaseCommand {
  static override summary = 'Make a context of the client config the current one';
  static override examples = ['hyprbox config use-context prod'];
  static override args = { name: Args.string({ description: 'context name', required: true }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(ConfigUseContext);
    const path = configPath(flags.kubeconfig);
    const cfg = readConfig(path);
    if (!cfg.contexts.some((c) => c.name === args.name)) {
      throw new CliError(`${path}: no context "${args.name}" (have: ${cfg.contexts.map((c) => c.name).join(', ') || 'none'})`, EXIT.usage);
    }
    writeConfig(path, { ...cfg, 'current-context': args.name });
    this.out(`Switched to context "${args.name}".`);
    return { path, currentContext: args.name };
  }
}

import { Flags } from '@oclif/core';
import { BaseCommand } from '../lib/base.js';
import { CliError, EXIT } from '../lib/errors.js';
import { VIEW_IDS } from '../tui/views.js';
import type { ViewId } from '../tui/views.js';

export default class Tui extends BaseCommand {
  static override summary = 'A live terminal view of the fleet: nodes, profiles, findings, runs, events and presets';
  static override description = 'Keys: `:` views (:nodes :findings :runs ...), `/` filter, Enter describes, `l` follows a run log, `a`/`x` approve/reject, `s` snoozes, `n` namespace, `?` help, Esc back. See docs/TUI.md.';
  static override examples = ['hyprbox tui', 'hyprbox tui --view findings -n prod'];
  static override enableJsonFlag = false;
  static override flags = {
    view: Flags.string({ description: 'view to start in', options: VIEW_IDS, default: 'nodes' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Tui);
    // Ink reads keys in raw mode: without a terminal there is nothing to drive it with.
    if (!process.stdin.isTTY || !process.stdout.isTTY) throw new CliError('hyprbox tui needs a terminal (stdin and stdout a TTY); use `hyprbox get -w` in scripts', EXIT.usage);
    const client = this.connect(flags);
    const resources = await this.resources(client);
    // Loaded only here: the other commands never pay for React and Ink.
    const { runTui } = await import('../tui/main.js');
    await runTui({ client, resources, context: this.conn!.context, namespace: this.conn!.namespace, view: flags.view as ViewId });
  }
}

import { NodePauseCommand } from '../lib/cordon-command.js';

export default class Uncordon extends NodePauseCommand {
  static override summary = 'Uncordon a node: runs may be dispatched to it again';
  static override examples = ['hyprbox uncordon web-1 -n acme'];
  static override args = NodePauseCommand.args;
  protected readonly paused = false;
}

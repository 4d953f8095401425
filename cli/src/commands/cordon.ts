import { NodePauseCommand } from '../lib/cordon-command.js';

export default class Cordon extends NodePauseCommand {
  static override summary = 'Cordon a node: findings are still opened, but no run is dispatched to it';
  static override examples = ['hyprbox cordon web-1 -n acme'];
  static override args = NodePauseCommand.args;
  protected readonly paused = true;
}

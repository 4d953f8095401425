// The command line that starts hyprnode, taken from the shipped systemd unit's ExecStart, so tests and the
// agent benchmark run the agent exactly as the unit (and docs/AGENT.md) tells users to, V8 flags included.
import { readFileSync } from 'node:fs';
import { repoPath } from './paths.js';

/** ExecStart of agent/systemd/hyprnode.service as argv, with its node binary replaced by `node`. */
export function agentCommand(node: string): string[] {
  const unit = readFileSync(repoPath('agent', 'systemd', 'hyprnode.service'), 'utf8');
  const line = /^ExecStart=(.+)$/m.exec(unit)?.[1];
  if (!line) throw new Error('agent/systemd/hyprnode.service: no ExecStart line');
  const [bin, ...args] = line.trim().split(/\s+/);
  if (!bin?.endsWith('/node') || !args.some((a) => a.endsWith('/agent/dist/src/main.js'))) throw new Error(`agent/systemd/hyprnode.service: ExecStart is not "<node> [flags] .../agent/dist/src/main.js": ${line}`);
  return [node, ...args];
}

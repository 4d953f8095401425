// The command line and environment that start hyprnode, taken from the shipped systemd unit (ExecStart and
// Environment=), so tests and the agent benchmark run the agent exactly as the unit (and docs/AGENT.md) tells
// users to, V8 flags included.
import { readFileSync } from 'node:fs';
import { repoPath } from './paths.js';

/** ExecStart of agent/systemd/hyprnode.service as argv, with its node binary replaced by `node`. */
export function agentCommand(node: string): string[] {
  const line = /^ExecStart=(.+)$/m.exec(unit())?.[1];
  if (!line) throw new Error('agent/systemd/hyprnode.service: no ExecStart line');
  const [bin, ...args] = line.trim().split(/\s+/);
  if (!bin?.endsWith('/node') || !args.some((a) => a.endsWith('/agent/dist/src/main.js'))) throw new Error(`agent/systemd/hyprnode.service: ExecStart is not "<node> [flags] .../agent/dist/src/main.js": ${line}`);
  return [node, ...args];
}

/** The unit's Environment= assignments (unquoted KEY=VALUE words only; anything else is refused). */
export function agentEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [, words] of unit().matchAll(/^Environment=(.*)$/gm)) {
    for (const w of words!.trim().split(/\s+/)) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=([^"'\\]*)$/.exec(w);
      if (!m) throw new Error(`agent/systemd/hyprnode.service: Environment=${words}: only unquoted KEY=VALUE words are understood here`);
      env[m[1]!] = m[2]!;
    }
  }
  return env;
}

const unit = (): string => readFileSync(repoPath('agent', 'systemd', 'hyprnode.service'), 'utf8');

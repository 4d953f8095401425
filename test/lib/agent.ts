// The real agent inside a test host, started as its systemd unit starts it (agent-command.ts), against a test
// controller: the machine's node binary and the built repository bound into the host, a node token created
// through the API unless one is given, and the HYPRBOX_* settings of docs/AGENT.md.
import type { ChildProcess } from 'node:child_process';
import { agentCommand, agentEnvironment } from './agent-command.js';
import type { TestController } from './controller.js';
import { repoPath } from './paths.js';
import type { TestHost } from './testhost.js';

export interface AgentInHostOptions {
  nodeName: string;
  /** The node's token; default: a new node token created through the API (as the admin). */
  token?: string;
  /** More HYPRBOX_* settings (scan and heartbeat intervals, TLS paths...); they win over the defaults. */
  env?: Record<string, string>;
}

export interface AgentInHost {
  readonly child: ChildProcess;
  /** SIGKILLs the agent and waits for it to be gone (call it in `after`, before stopping the controller). */
  stop(): Promise<void>;
}

/** The controller's URL as seen from inside the host: a networked host reaches the machine at hostAddress. */
export function controllerUrlFor(host: TestHost, c: TestController): string {
  if (!host.hostAddress) return c.url;
  const u = new URL(c.url);
  u.hostname = host.hostAddress;
  return u.origin;
}

export async function startAgentInHost(host: TestHost, c: TestController, o: AgentInHostOptions): Promise<AgentInHost> {
  const token = o.token ?? (await nodeToken(c, o.nodeName));
  await host.bind(process.execPath, '/usr/local/bin/node');
  await host.bind(repoPath(), '/opt/hyprbox');
  const child = host.spawn(agentCommand('/usr/local/bin/node'), {
    env: {
      ...agentEnvironment(),
      HYPRBOX_API_URL: controllerUrlFor(host, c),
      HYPRBOX_NODE_TOKEN: token,
      HYPRBOX_NODE_NAME: o.nodeName,
      HYPRBOX_CA_DATA: Buffer.from(c.controller.caCert!).toString('base64'),
      HYPRBOX_LOG_LEVEL: process.env.HYPRBOX_TEST_LOG ?? 'warn',
      ...o.env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return {
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    },
  };
}

async function nodeToken(c: TestController, nodeName: string): Promise<string> {
  const r = await c.json<{ status: { token: string } }>('POST', '/apis/hyprbox.io/v1alpha1/tokens', { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Token', metadata: {}, spec: { node: { namespace: 'default', name: nodeName } } });
  if (r.status !== 201) throw new Error(`creating the node token of ${nodeName}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.status.token;
}

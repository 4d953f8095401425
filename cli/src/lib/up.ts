// `hyprbox up`: the controller on the embedded store in a local data directory, the client config context,
// an agent for this machine in observe mode (its Node requires a person's approval for every run), and the
// preset catalog. Running it again reuses the data directory, the credentials and the agent's token.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loggerOptions } from '@hyprbox/crds';
import { loadConfig } from '@hyprbox/controller/config';
import { startController } from '@hyprbox/controller/server';
import type { RunningController } from '@hyprbox/controller/server';
import { Client, GROUP_PATH } from './client.js';
import type { Obj } from './client.js';
import { ApiError, CliError, EXIT } from './errors.js';
import { readConfig, resolveConnection, upsertContext, writeConfig } from './kubeconfig.js';

export interface UpOptions {
  dataDir?: string;
  listen: string;
  contextName: string;
  configPath: string;
  agent: boolean;
  presetsDir?: string;
  nodeName?: string;
}

export interface UpState {
  controller: RunningController;
  agent?: ChildProcess;
  server: string;
  dataDir: string;
  nodeName?: string;
  presets: number;
  logs: { controller: string; agent?: string };
  stop(): Promise<void>;
}

export const defaultDataDir = (): string => resolve(process.env.HYPRBOX_HOME || join(homedir(), '.hyprbox'), 'data');

/** This machine's Node name: the hostname as a DNS-1123 name. */
export function localNodeName(raw = hostname()): string {
  const n = raw.toLowerCase().replace(/[^a-z0-9.-]/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '').slice(0, 253);
  if (!n) throw new CliError(`cannot make a node name from the hostname "${raw}"; pass --node-name`, EXIT.usage);
  return n;
}

export async function up(o: UpOptions): Promise<UpState> {
  const dataDir = resolve(o.dataDir ?? defaultDataDir());
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const logFile = join(dataDir, 'controller.log');
  const args = ['--data-dir', dataDir, '--listen', o.listen, '--log-level', 'info', ...(o.presetsDir ? ['--presets-dir', o.presetsDir] : [])];
  let config;
  try {
    config = loadConfig(args, {});
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.usage);
  }
  closeSync(openSync(logFile, 'a', 0o600));
  const log = pino(loggerOptions('info'), pino.destination({ dest: logFile, sync: false }));
  let controller: RunningController;
  try {
    controller = await startController(config, { log });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new CliError(`${o.listen} is in use (another 'hyprbox up'?); pass --listen 127.0.0.1:<port>`, EXIT.unavailable);
    throw new CliError(`the controller did not start: ${e.message} (see ${logFile})`, EXIT.unavailable);
  }
  const stops: Array<() => Promise<void>> = [() => controller.stop()];
  const stop = async (): Promise<void> => {
    // Newest first (unshift): the agent, then this process' own client connections, then the controller.
    for (const s of stops) await s().catch(() => undefined);
    log.flush();
  };
  try {
    // The admin credential the controller keeps in its data directory becomes a context of the client config.
    const admin = resolveConnection(join(dataDir, 'admin.kubeconfig'), {});
    const server = controller.url;
    writeConfig(o.configPath, upsertContext(readConfig(o.configPath), o.contextName, { server, ...(admin.ca ? { caPem: admin.ca } : {}), token: admin.token!, namespace: 'default' }, true));
    const client = new Client({ context: o.contextName, server, ...(admin.ca ? { ca: admin.ca } : {}), ...(admin.token ? { token: admin.token } : {}), namespace: 'default' });
    stops.unshift(async () => client.close());
    const presets = (await client.json<{ items: Obj[] }>('GET', `${GROUP_PATH}/presets`)).items.length;
    const state: UpState = { controller, server, dataDir, presets, logs: { controller: logFile }, stop };
    if (o.agent) {
      const nodeName = o.nodeName ?? localNodeName();
      const token = await agentToken(client, dataDir, nodeName);
      const agentLog = join(dataDir, 'agent.log');
      const child = startAgent({ server, ca: admin.ca, token, nodeName, stateDir: join(dataDir, 'agent'), logFile: agentLog });
      stops.unshift(() => stopChild(child));
      Object.assign(state, { agent: child, nodeName, logs: { ...state.logs, agent: agentLog } });
    }
    return state;
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The local Node (created if needed) requires approval for every run; its agent token is kept and reused. */
async function agentToken(client: Client, dataDir: string, nodeName: string): Promise<string> {
  const nodePath = `${GROUP_PATH}/namespaces/default/nodes/${encodeURIComponent(nodeName)}`;
  const body = { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Node', metadata: { name: nodeName, namespace: 'default', labels: { 'hyprbox.io/local': 'true' } }, spec: { requireApproval: true } };
  await client.json('PATCH', nodePath, { body, contentType: 'application/apply-patch+yaml', query: { fieldManager: 'hyprbox-up', force: 'true' } });
  const file = join(dataDir, 'agent-token.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { name: string; token: string; node: string };
    try {
      const t = await client.json<Obj>('GET', `${GROUP_PATH}/tokens/${encodeURIComponent(saved.name)}`);
      const spec = t.spec as { revoked?: boolean; expiresAt?: string };
      if (saved.node === nodeName && !spec.revoked && !(spec.expiresAt && Date.parse(spec.expiresAt) <= Date.now())) return saved.token;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
  }
  const created = await client.json<Obj>('POST', `${GROUP_PATH}/tokens`, { body: { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Token', metadata: {}, spec: { node: { namespace: 'default', name: nodeName }, description: 'hyprbox up: the agent of this machine' } } });
  const token = (created.status as { token?: string }).token;
  if (!token) throw new CliError('the controller created the agent token but did not return it', EXIT.internal);
  writeFileSync(file, JSON.stringify({ name: created.metadata.name, token, node: nodeName }), { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}

function startAgent(o: { server: string; ca: string | undefined; token: string; nodeName: string; stateDir: string; logFile: string }): ChildProcess {
  mkdirSync(o.stateDir, { recursive: true, mode: 0o700 });
  const main = fileURLToPath(import.meta.resolve('@hyprbox/agent/main'));
  const caFile = join(o.stateDir, 'controller-ca.crt');
  if (o.ca) writeFileSync(caFile, o.ca, { mode: 0o600 });
  const out = openSync(o.logFile, 'a', 0o600);
  return spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      HYPRBOX_API_URL: o.server,
      HYPRBOX_NODE_TOKEN: o.token,
      HYPRBOX_NODE_NAME: o.nodeName,
      HYPRBOX_NAMESPACE: 'default',
      HYPRBOX_STATE_DIR: o.stateDir,
      ...(o.ca ? { HYPRBOX_CA_FILE: caFile } : {}),
    },
    stdio: ['ignore', out, out],
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => (clearTimeout(t), r()));
    child.kill('SIGTERM');
  });
}

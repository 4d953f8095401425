// The client configuration, in kubeconfig format so kubectl can use the same file. Read by hand (with
// `yaml`) rather than through @kubernetes/client-node, whose import alone adds ~0.5 s to every command.
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { CliError, EXIT } from './errors.js';

interface NamedCluster { name: string; cluster: { server: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string; 'insecure-skip-tls-verify'?: boolean } }
interface NamedUser { name: string; user: { token?: string; tokenFile?: string } }
interface NamedContext { name: string; context: { cluster: string; user: string; namespace?: string } }

export interface KubeConfigFile {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: NamedCluster[];
  users: NamedUser[];
  contexts: NamedContext[];
  'current-context'?: string;
  preferences?: Record<string, unknown>;
}

/** Everything a command needs to talk to one controller. */
export interface Connection {
  context: string;
  server: string;
  /** PEM CA to pin; undefined means the system trust store. */
  ca?: string;
  token?: string;
  namespace: string;
}

/** --kubeconfig > HYPRBOX_KUBECONFIG > ~/.hyprbox/config. KUBECONFIG is left alone: it usually points at Kubernetes. */
export function configPath(flag?: string): string {
  return resolve(flag || process.env.HYPRBOX_KUBECONFIG || join(homedir(), '.hyprbox', 'config'));
}

const empty = (): KubeConfigFile => ({ apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [] });

export function readConfig(path: string): KubeConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return empty();
    throw new CliError(`${path}: ${(err as Error).message}`, EXIT.usage);
  }
  let doc: unknown;
  try {
    doc = parse(text, { uniqueKeys: true }) ?? {};
  } catch (err) {
    throw new CliError(`${path}: ${(err as Error).message}`, EXIT.usage);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new CliError(`${path}: not a kubeconfig (expected a mapping)`, EXIT.usage);
  const c = doc as Partial<KubeConfigFile>;
  for (const k of ['clusters', 'users', 'contexts'] as const) {
    if (c[k] !== undefined && c[k] !== null && !Array.isArray(c[k])) throw new CliError(`${path}: ${k} must be a list`, EXIT.usage);
  }
  return { ...empty(), ...c, clusters: c.clusters ?? [], users: c.users ?? [], contexts: c.contexts ?? [] };
}

/** Writes atomically with mode 0600: the file holds bearer tokens. */
export function writeConfig(path: string, cfg: KubeConfigFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, stringify(cfg), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** Adds or replaces a context with its cluster and user (all named `name`). */
export function upsertContext(cfg: KubeConfigFile, name: string, c: { server: string; caPem?: string; token: string; namespace?: string }, makeCurrent: boolean): KubeConfigFile {
  const put = <T extends { name: string }>(list: T[], item: T): T[] => [...list.filter((x) => x.name !== item.name), item];
  return {
    ...cfg,
    clusters: put(cfg.clusters, { name, cluster: { server: c.server, ...(c.caPem ? { 'certificate-authority-data': Buffer.from(c.caPem).toString('base64') } : {}) } }),
    users: put(cfg.users, { name, user: { token: c.token } }),
    contexts: put(cfg.contexts, { name, context: { cluster: name, user: name, ...(c.namespace ? { namespace: c.namespace } : {}) } }),
    ...(makeCurrent || !cfg['current-context'] ? { 'current-context': name } : {}),
  };
}

export function resolveConnection(path: string, o: { context?: string; token?: string; server?: string; namespace?: string }): Connection {
  const cfg = readConfig(path);
  const name = o.context || cfg['current-context'];
  if (!name) {
    if (o.server) return { context: '', server: o.server, ...(o.token ? { token: o.token } : {}), namespace: o.namespace || 'default' };
    throw new CliError(`no context in ${path}: run 'hyprbox up', or pass --kubeconfig pointing at an admin.kubeconfig`, EXIT.usage);
  }
  const ctx = cfg.contexts.find((c) => c.name === name);
  if (!ctx) throw new CliError(`${path}: context "${name}" not found (have: ${cfg.contexts.map((c) => c.name).join(', ') || 'none'})`, EXIT.usage);
  const cluster = cfg.clusters.find((c) => c.name === ctx.context.cluster);
  if (!cluster) throw new CliError(`${path}: context "${name}" names cluster "${ctx.context.cluster}", which is not defined`, EXIT.usage);
  const user = cfg.users.find((u) => u.name === ctx.context.user);
  const cl = cluster.cluster;
  const ca = cl['certificate-authority-data']
    ? Buffer.from(cl['certificate-authority-data'], 'base64').toString('utf8')
    : cl['certificate-authority']
      ? readFileSync(resolve(dirname(path), cl['certificate-authority']), 'utf8')
      : undefined;
  const token = o.token || user?.user.token || (user?.user.tokenFile ? readFileSync(user.user.tokenFile, 'utf8').trim() : undefined);
  return { context: name, server: (o.server || cl.server).replace(/\/$/, ''), ...(ca ? { ca } : {}), ...(token ? { token } : {}), namespace: o.namespace || ctx.context.namespace || 'default' };
}

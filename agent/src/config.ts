// hyprnode configuration: environment (HYPRBOX_*) over an optional env-style file, validated once into a
// frozen object. Nothing else in the agent reads process.env.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface AgentConfig {
  apiUrl: string;
  nodeName: string;
  namespace: string;
  token: string;
  /** PEM of the controller's CA (pinned); undefined to trust the system store. */
  caPem?: string;
  heartbeatMs: number;
  scanMs: number;
  /** Status is rewritten at least this often even when nothing changed. */
  statusMaxAgeMs: number;
  tlsPaths: string[];
  /** Where the agent remembers executed runs and the pinned signing key. */
  stateDir: string;
  /** Root of the host the probes and the runner look at ('/'; a chroot in tests). */
  hostRoot: string;
  logLevel: string;
}

export class AgentConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentConfigError';
  }
}

/** Go-style durations as in the seed: 30s, 5m, 1h, 1h30m, 500ms. */
export function parseDuration(name: string, raw: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of raw.matchAll(re)) {
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    consumed += m[0].length;
  }
  if (consumed !== raw.length || raw.length === 0 || total <= 0) {
    throw new AgentConfigError(`${name}: "${raw}" is not a duration like 30s, 5m or 1h`);
  }
  return total;
}

/** Reads KEY=VALUE lines (systemd EnvironmentFile style); comments and blank lines are skipped. */
export function parseEnvFile(text: string, file: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split('\n').forEach((line, i) => {
    const t = line.trim();
    if (!t || t.startsWith('#')) return;
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(t);
    if (!m) throw new AgentConfigError(`${file}:${i + 1}: expected KEY=VALUE`);
    out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  });
  return out;
}

export function loadAgentConfig(env: NodeJS.ProcessEnv): Readonly<AgentConfig> {
  const fileVars = env.HYPRBOX_CONFIG ? readConfigFile(env.HYPRBOX_CONFIG) : {};
  const get = (k: string): string | undefined => {
    const v = env[k] ?? fileVars[k];
    return v === undefined || v === '' ? undefined : v;
  };
  const apiUrl = get('HYPRBOX_API_URL');
  if (!apiUrl) throw new AgentConfigError('HYPRBOX_API_URL: required (the controller URL, e.g. https://hyprbox.example.com:6443)');
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new AgentConfigError(`HYPRBOX_API_URL: "${apiUrl}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AgentConfigError('HYPRBOX_API_URL: must be http(s)');
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) || /^10\.|^127\./.test(url.hostname);
  if (url.protocol === 'http:' && !loopback) throw new AgentConfigError('HYPRBOX_API_URL: plain http is only allowed to a loopback or test address; the token must not cross a network in clear text');
  const token = get('HYPRBOX_NODE_TOKEN');
  if (!token) throw new AgentConfigError('HYPRBOX_NODE_TOKEN: required (an agent token for this node; an admin creates it)');
  const nodeName = get('HYPRBOX_NODE_NAME') ?? hostname().toLowerCase();
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(nodeName)) throw new AgentConfigError(`HYPRBOX_NODE_NAME: "${nodeName}" is not a DNS-1123 name (lowercase letters, digits, '-' and '.')`);
  const namespace = get('HYPRBOX_NAMESPACE') ?? 'default';
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) throw new AgentConfigError(`HYPRBOX_NAMESPACE: "${namespace}" is not a DNS-1123 label`);
  let caPem: string | undefined;
  const caFile = get('HYPRBOX_CA_FILE');
  if (caFile) {
    try {
      caPem = readFileSync(caFile, 'utf8');
    } catch (err) {
      throw new AgentConfigError(`HYPRBOX_CA_FILE: ${(err as Error).message}`);
    }
  } else if (get('HYPRBOX_CA_DATA')) {
    caPem = Buffer.from(get('HYPRBOX_CA_DATA')!, 'base64').toString('utf8');
  }
  if (caPem !== undefined && !caPem.includes('BEGIN CERTIFICATE')) throw new AgentConfigError('HYPRBOX_CA_FILE/HYPRBOX_CA_DATA: not a PEM certificate');
  return Object.freeze({
    apiUrl: apiUrl.replace(/\/+$/, ''),
    nodeName,
    namespace,
    token,
    ...(caPem ? { caPem } : {}),
    heartbeatMs: parseDuration('HYPRBOX_HEARTBEAT_INTERVAL', get('HYPRBOX_HEARTBEAT_INTERVAL') ?? '10s'),
    scanMs: parseDuration('HYPRBOX_SCAN_INTERVAL', get('HYPRBOX_SCAN_INTERVAL') ?? '15m'),
    statusMaxAgeMs: parseDuration('HYPRBOX_STATUS_INTERVAL', get('HYPRBOX_STATUS_INTERVAL') ?? '5m'),
    tlsPaths: (get('HYPRBOX_TLS_PATHS') ?? '/etc/letsencrypt/live/*/fullchain.pem:/etc/ssl/certs/hyprbox/*.crt').split(':').filter(Boolean),
    stateDir: get('HYPRBOX_STATE_DIR') ?? '/var/lib/hyprnode',
    hostRoot: get('HYPRBOX_HOST_ROOT') ?? '/',
    logLevel: get('HYPRBOX_LOG_LEVEL') ?? 'info',
  });
}

function readConfigFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AgentConfigError(`HYPRBOX_CONFIG: ${(err as Error).message}`);
  }
  return parseEnvFile(text, path);
}

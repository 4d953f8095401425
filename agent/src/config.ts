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
  /** tls.expiring: WARN below this many days left, CRITICAL below tlsCriticalDays. */
  tlsWarnDays: number;
  tlsCriticalDays: number;
  /** disk.usage-high: WARN at or above this percent, CRITICAL at or above diskCriticalPercent. */
  diskWarnPercent: number;
  diskCriticalPercent: number;
  /** monitoring.absent is reported only where monitoring is expected (opt-in). */
  monitoring: boolean;
  /** backup.stale: the restic repository, a file holding its password (never the password), the allowed age. */
  backup?: { repository: string; passwordFile: string; maxAgeMs: number };
  /** Scanner names or finding types not to report on this host. */
  disabledScanners: string[];
  /** A finding still seen has its lastSeen rewritten when it is older than this (the controller's staleness sweeper reads it). */
  findingRefreshMs: number;
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

/** A whole number in [min, max]. */
function parseInteger(name: string, raw: string, min: number, max: number): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) throw new AgentConfigError(`${name}: "${raw}" is not a whole number from ${min} to ${max}`);
  return n;
}

function parseBoolean(name: string, raw: string): boolean {
  if (/^(true|yes|1|on)$/i.test(raw)) return true;
  if (/^(false|no|0|off)$/i.test(raw)) return false;
  throw new AgentConfigError(`${name}: "${raw}" is not true or false`);
}

/** The scanner settings (thresholds, opt-ins, the backup repository); the rest of loadAgentConfig is identity and transport. */
function scannerConfig(get: (k: string) => string | undefined): Pick<AgentConfig, 'tlsWarnDays' | 'tlsCriticalDays' | 'diskWarnPercent' | 'diskCriticalPercent' | 'monitoring' | 'backup' | 'disabledScanners' | 'findingRefreshMs'> {
  const int = (k: string, dflt: number, min: number, max: number): number => parseInteger(k, get(k) ?? String(dflt), min, max);
  const tlsWarnDays = int('HYPRBOX_TLS_WARN_DAYS', 30, 0, 3650);
  const tlsCriticalDays = int('HYPRBOX_TLS_CRITICAL_DAYS', 7, 0, 3650);
  if (tlsCriticalDays > tlsWarnDays) throw new AgentConfigError(`HYPRBOX_TLS_CRITICAL_DAYS: ${tlsCriticalDays} is more than HYPRBOX_TLS_WARN_DAYS (${tlsWarnDays})`);
  const diskWarnPercent = int('HYPRBOX_DISK_WARN_PERCENT', 80, 1, 100);
  const diskCriticalPercent = int('HYPRBOX_DISK_CRITICAL_PERCENT', 90, 1, 100);
  if (diskCriticalPercent < diskWarnPercent) throw new AgentConfigError(`HYPRBOX_DISK_CRITICAL_PERCENT: ${diskCriticalPercent} is less than HYPRBOX_DISK_WARN_PERCENT (${diskWarnPercent})`);
  const repository = get('HYPRBOX_RESTIC_REPOSITORY');
  const passwordFile = get('HYPRBOX_RESTIC_PASSWORD_FILE');
  if (repository && !passwordFile) throw new AgentConfigError('HYPRBOX_RESTIC_PASSWORD_FILE: required with HYPRBOX_RESTIC_REPOSITORY (a file holding the repository password)');
  if (passwordFile && !repository) throw new AgentConfigError('HYPRBOX_RESTIC_REPOSITORY: required with HYPRBOX_RESTIC_PASSWORD_FILE');
  return {
    tlsWarnDays,
    tlsCriticalDays,
    diskWarnPercent,
    diskCriticalPercent,
    monitoring: parseBoolean('HYPRBOX_MONITORING', get('HYPRBOX_MONITORING') ?? 'false'),
    ...(repository && passwordFile ? { backup: { repository, passwordFile, maxAgeMs: parseDuration('HYPRBOX_BACKUP_MAX_AGE', get('HYPRBOX_BACKUP_MAX_AGE') ?? '26h') } } : {}),
    disabledScanners: (get('HYPRBOX_DISABLED_SCANNERS') ?? '').split(',').map((x) => x.trim()).filter(Boolean),
    findingRefreshMs: parseDuration('HYPRBOX_FINDING_REFRESH', get('HYPRBOX_FINDING_REFRESH') ?? '20m'),
  };
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
    ...scannerConfig(get),
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

// Controller configuration: flags > HYPRBOX_* environment > config file > defaults, validated once into a
// frozen object. Nothing else in the controller reads process.env or argv.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export interface ControllerConfig {
  dataDir: string;
  listen: { host: string; port: number };
  store: 'sqlite' | 'etcd';
  etcdEndpoints: string[];
  /** auto: a generated CA and certificate; off: plain HTTP (loopback only); files: tlsCertFile/tlsKeyFile. */
  tls: 'auto' | 'off' | 'files';
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** Extra names (DNS names or IPs) the generated serving certificate covers: how agents reach the controller. */
  tlsSans: string[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Revisions of history the SQLite store keeps for watches and consistent pagination. */
  retainRevisions: number;
  /** Events each resource's watch cache keeps for resuming watches. */
  watchCacheSize: number;
  /** Bytes a slow watcher may have buffered before it is disconnected. */
  maxWatchBufferBytes: number;
  /** Open connections in all, and from one source address (connections.ts). */
  maxConnections: number;
  maxConnectionsPerSource: number;
  /** MiB of request bodies being read at once, in all and from one source address. */
  maxBodyMiB: number;
  maxBodyMiBPerSource: number;
  /** How long AuditEvents stay in the store (the JSON-lines file keeps everything, rotated by size). */
  auditRetentionDays: number;
  /** MiB past which audit.jsonl is rotated; 0 never rotates. */
  auditLogMaxSizeMiB: number;
  /** Rotated audit log files kept; 0 keeps all. */
  auditLogMaxBackups: number;
  /** Revoke the admin user's tokens and write a fresh admin.kubeconfig on this start. */
  resetAdminToken: boolean;
  /** Seconds without a lease renewal after which a Node is marked Ready=False (NodeLost). */
  nodeGraceSeconds: number;
  /** The preset catalog synced into the API at start (skipped when the directory does not exist). */
  presetsDir: string;
  /** Seconds after which a scanner finding its node stopped reporting is resolved as stale. */
  findingStaleSeconds: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const OPTIONS = {
  config: { type: 'string', env: 'HYPRBOX_CONFIG', key: 'config', help: 'YAML file with any of the settings below' },
  'data-dir': { type: 'string', env: 'HYPRBOX_DATA_DIR', key: 'dataDir', help: 'where the store and admin.kubeconfig live (default ./.hyprbox)' },
  listen: { type: 'string', env: 'HYPRBOX_LISTEN', key: 'listen', help: 'host:port to serve on (default 127.0.0.1:6443)' },
  store: { type: 'string', env: 'HYPRBOX_STORE', key: 'store', help: 'sqlite (embedded, default) or etcd' },
  'etcd-endpoints': { type: 'string', env: 'HYPRBOX_ETCD_ENDPOINTS', key: 'etcdEndpoints', help: 'comma-separated etcd client URLs' },
  tls: { type: 'string', env: 'HYPRBOX_TLS', key: 'tls', help: 'auto (default: generated CA in <data-dir>/tls), off (plain HTTP, loopback only)' },
  'tls-san': { type: 'string', env: 'HYPRBOX_TLS_SAN', key: 'tlsSans', help: 'comma-separated extra names/IPs for the generated certificate (e.g. hyprbox.example.com,10.0.0.5)' },
  'tls-cert': { type: 'string', env: 'HYPRBOX_TLS_CERT', key: 'tlsCertFile', help: 'PEM certificate to serve (with --tls-key)' },
  'tls-key': { type: 'string', env: 'HYPRBOX_TLS_KEY', key: 'tlsKeyFile', help: 'PEM private key of --tls-cert' },
  'log-level': { type: 'string', env: 'HYPRBOX_LOG_LEVEL', key: 'logLevel', help: 'fatal|error|warn|info|debug|trace|silent (default info)' },
  'retain-revisions': { type: 'string', env: 'HYPRBOX_RETAIN_REVISIONS', key: 'retainRevisions', help: 'history kept by the SQLite store (default 10000)' },
  'watch-cache-size': { type: 'string', env: 'HYPRBOX_WATCH_CACHE_SIZE', key: 'watchCacheSize', help: 'events kept per resource for resuming watches (default 10000)' },
  'max-watch-buffer': { type: 'string', env: 'HYPRBOX_MAX_WATCH_BUFFER', key: 'maxWatchBufferBytes', help: 'bytes buffered for a slow watcher before it is dropped (default 16777216)' },
  'max-connections': { type: 'string', env: 'HYPRBOX_MAX_CONNECTIONS', key: 'maxConnections', help: 'open connections in all; more are closed at once (default 10000)' },
  'max-connections-per-source': { type: 'string', env: 'HYPRBOX_MAX_CONNECTIONS_PER_SOURCE', key: 'maxConnectionsPerSource', help: 'open connections from one address (default 2000)' },
  'max-body-inflight': { type: 'string', env: 'HYPRBOX_MAX_BODY_INFLIGHT', key: 'maxBodyMiB', help: 'MiB of request bodies read at once; more wait with 429 (default 256)' },
  'max-body-inflight-per-source': { type: 'string', env: 'HYPRBOX_MAX_BODY_INFLIGHT_PER_SOURCE', key: 'maxBodyMiBPerSource', help: 'MiB of request bodies read at once from one address (default 64)' },
  'audit-retention-days': { type: 'string', env: 'HYPRBOX_AUDIT_RETENTION_DAYS', key: 'auditRetentionDays', help: 'days AuditEvents stay in the store (default 30; <data-dir>/audit/audit.jsonl keeps all)' },
  'audit-log-max-size': { type: 'string', env: 'HYPRBOX_AUDIT_LOG_MAX_SIZE', key: 'auditLogMaxSizeMiB', help: 'MiB past which audit.jsonl is rotated to audit-<time>.jsonl (default 100; 0 never)' },
  'audit-log-max-backups': { type: 'string', env: 'HYPRBOX_AUDIT_LOG_MAX_BACKUPS', key: 'auditLogMaxBackups', help: 'rotated audit log files kept, oldest deleted first (default 10; 0 keeps all)' },
  'finding-stale-seconds': { type: 'string', env: 'HYPRBOX_FINDING_STALE_SECONDS', key: 'findingStaleSeconds', help: 'resolve scanner findings not reported for this long (default 3600)' },
  'presets-dir': { type: 'string', env: 'HYPRBOX_PRESETS_DIR', key: 'presetsDir', help: 'preset catalog synced at start (default: the presets/ directory of this installation)' },
  'node-grace-seconds': { type: 'string', env: 'HYPRBOX_NODE_GRACE_SECONDS', key: 'nodeGraceSeconds', help: 'seconds without a heartbeat before a node is NodeLost (default 40)' },
  'reset-admin-token': { type: 'boolean', env: '', key: 'resetAdminToken', help: "revoke the admin user's tokens and write a new admin.kubeconfig" },
  help: { type: 'boolean', env: '', key: 'help', help: 'show this help' },
} as const;

export function usage(): string {
  const lines = Object.entries(OPTIONS).map(
    ([flag, o]) => `  --${flag.padEnd(28)} ${o.help}${o.env ? ` [env ${o.env}]` : ''}`,
  );
  return `Usage: hyprbox-controller [flags]\n\n${lines.join('\n')}\n`;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function int(name: string, raw: unknown, min: number): number {
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isSafeInteger(n) || n < min) throw new ConfigError(`${name}: must be an integer >= ${min} (got "${String(raw)}")`);
  return n;
}

export function parseListen(raw: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:]+)):(\d+)$/.exec(raw);
  if (!m) throw new ConfigError(`listen: expected host:port, e.g. 127.0.0.1:6443 (got "${raw}")`);
  return { host: m[1] ?? m[2]!, port: int('listen port', m[3], 0) };
}

/** Builds the configuration; `argv` excludes node and the script. Throws ConfigError naming the setting. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv, cwd = process.cwd()): Readonly<ControllerConfig> & { help: boolean } {
  let flags: Record<string, string | boolean | undefined>;
  try {
    const parsed = parseArgs({
      args: argv,
      options: Object.fromEntries(Object.entries(OPTIONS).map(([k, o]) => [k, { type: o.type }])) as Record<string, { type: 'string' | 'boolean' }>,
      strict: true,
      allowPositionals: false,
    });
    flags = parsed.values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n\n${usage()}`);
  }
  const fromFlagsAndEnv: Record<string, unknown> = {};
  for (const [flag, o] of Object.entries(OPTIONS)) {
    const v = flags[flag] ?? (o.env ? env[o.env] : undefined);
    if (v !== undefined && v !== '') fromFlagsAndEnv[o.key] = v;
  }
  let fromFile: Record<string, unknown> = {};
  const file = fromFlagsAndEnv.config as string | undefined;
  if (file) {
    let text: string;
    try {
      text = readFileSync(resolve(cwd, file), 'utf8');
    } catch (err) {
      throw new ConfigError(`config file ${file}: ${(err as Error).message}`);
    }
    const doc = parse(text, { uniqueKeys: true }) as unknown;
    if (doc !== null && (typeof doc !== 'object' || Array.isArray(doc))) throw new ConfigError(`config file ${file}: must be a mapping`);
    fromFile = (doc ?? {}) as Record<string, unknown>;
    const known = new Set<string>(Object.values(OPTIONS).map((o) => o.key));
    for (const k of Object.keys(fromFile)) {
      if (!known.has(k) || k === 'config' || k === 'help') throw new ConfigError(`config file ${file}: unknown setting "${k}"`);
    }
  }
  const pick = (key: string): unknown => fromFlagsAndEnv[key] ?? fromFile[key];

  const store = String(pick('store') ?? 'sqlite');
  if (store !== 'sqlite' && store !== 'etcd') throw new ConfigError(`store: must be sqlite or etcd (got "${store}")`);
  const endpointsRaw = pick('etcdEndpoints');
  const etcdEndpoints = (Array.isArray(endpointsRaw) ? endpointsRaw.map(String) : String(endpointsRaw ?? '').split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  for (const e of etcdEndpoints) {
    if (!/^https?:\/\/[^/]+$/.test(e)) throw new ConfigError(`etcd-endpoints: "${e}" is not a URL like http://127.0.0.1:2379`);
  }
  if (store === 'etcd' && etcdEndpoints.length === 0) throw new ConfigError('etcd-endpoints: required when store is etcd');
  const logLevel = String(pick('logLevel') ?? 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new ConfigError(`log-level: must be one of ${LOG_LEVELS.join(', ')}`);

  const listen = parseListen(String(pick('listen') ?? '127.0.0.1:6443'));
  const certFile = pick('tlsCertFile') as string | undefined;
  const keyFile = pick('tlsKeyFile') as string | undefined;
  if (Boolean(certFile) !== Boolean(keyFile)) throw new ConfigError('tls-cert and tls-key: give both or neither');
  const tlsMode = certFile ? 'files' : String(pick('tls') ?? 'auto');
  if (tlsMode !== 'auto' && tlsMode !== 'off' && tlsMode !== 'files') throw new ConfigError(`tls: must be auto or off (got "${tlsMode}")`);
  const loopback = ['127.0.0.1', '::1', 'localhost'].includes(listen.host);
  if (tlsMode === 'off' && !loopback) {
    throw new ConfigError(`tls: off is only allowed on a loopback address (listen is ${listen.host}); bearer tokens must not cross a network in clear text`);
  }

  return Object.freeze({
    help: flags.help === true,
    tls: tlsMode as ControllerConfig['tls'],
    tlsSans: Object.freeze(String(pick('tlsSans') ?? '').split(',').map((x) => x.trim()).filter(Boolean)) as string[],
    ...(certFile ? { tlsCertFile: resolve(cwd, certFile), tlsKeyFile: resolve(cwd, keyFile!) } : {}),
    dataDir: resolve(cwd, String(pick('dataDir') ?? '.hyprbox')),
    listen: Object.freeze(listen),
    store,
    etcdEndpoints: Object.freeze(etcdEndpoints) as string[],
    logLevel: logLevel as ControllerConfig['logLevel'],
    retainRevisions: int('retain-revisions', pick('retainRevisions') ?? 10_000, 100),
    watchCacheSize: int('watch-cache-size', pick('watchCacheSize') ?? 10_000, 100),
    maxWatchBufferBytes: int('max-watch-buffer', pick('maxWatchBufferBytes') ?? 16 * 1024 * 1024, 65_536),
    maxConnections: int('max-connections', pick('maxConnections') ?? 10_000, 16),
    maxConnectionsPerSource: int('max-connections-per-source', pick('maxConnectionsPerSource') ?? 2_000, 4),
    maxBodyMiB: int('max-body-inflight', pick('maxBodyMiB') ?? 256, 3),
    maxBodyMiBPerSource: int('max-body-inflight-per-source', pick('maxBodyMiBPerSource') ?? 64, 3),
    auditRetentionDays: int('audit-retention-days', pick('auditRetentionDays') ?? 30, 1),
    auditLogMaxSizeMiB: int('audit-log-max-size', pick('auditLogMaxSizeMiB') ?? 100, 0),
    auditLogMaxBackups: int('audit-log-max-backups', pick('auditLogMaxBackups') ?? 10, 0),
    resetAdminToken: flags['reset-admin-token'] === true,
    nodeGraceSeconds: int('node-grace-seconds', pick('nodeGraceSeconds') ?? 40, 1),
    findingStaleSeconds: int('finding-stale-seconds', pick('findingStaleSeconds') ?? 3600, 1),
    presetsDir: resolve(cwd, String(pick('presetsDir') ?? fileURLToPath(new URL('../../../presets', import.meta.url)))),
  });
}

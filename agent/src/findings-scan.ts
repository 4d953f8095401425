// The scanners: pure functions from the probes' latest fields (and the node's scanner settings) to findings
// keyed (type, key). A check that could not be answered yields an `unknown` for its (type, key) — the
// publisher then neither opens nor resolves that finding: nothing is reported negative (or fixed) unread.
import type { FindingSeverity, ScannerFindingType } from '@hyprbox/crds';
import type { ProbeField, ProbeResult } from './probes/index.js';
import type { AptUpgradable, RootPassword } from './probes/audit-parse.js';
import { isPublicAddress } from './probes/audit-parse.js';
import type { CertificateInfo } from './probes/tls.js';
import type { ResticSnapshot } from './probes/restic.js';
import { redactRepository } from './probes/restic.js';

export interface FindingDraft {
  type: ScannerFindingType;
  key: string;
  severity: FindingSeverity;
  message: string;
  details?: Record<string, unknown>;
}

/** A check that could not be answered: existing findings of this type (and key, when given) stay as they are. */
export interface ScanUnknown {
  type: ScannerFindingType;
  key?: string;
  reason: string;
}

export interface ScanOutcome {
  findings: FindingDraft[];
  unknown: ScanUnknown[];
}

export interface ScanSettings {
  tlsWarnDays: number;
  tlsCriticalDays: number;
  diskWarnPercent: number;
  diskCriticalPercent: number;
  /** monitoring.absent is opt-in per node. */
  monitoring: boolean;
  /** backup.stale runs when the node has a restic repository configured. */
  backup?: { repository: string; maxAgeMs: number };
  /** Scanner names (tls, ssh, disk, audit, monitoring, backup) or finding types not to report on this node. */
  disabled: ReadonlySet<string>;
}

/** The sshd key: one finding per configuration (the seed's `sshd:<main config>`). */
export const SSHD_KEY = 'sshd:/etc/ssh/sshd_config';
const DAY_MS = 86_400_000;

class Out implements ScanOutcome {
  findings: FindingDraft[] = [];
  unknown: ScanUnknown[] = [];
  add(type: ScannerFindingType, key: string, severity: FindingSeverity, message: string, details?: Record<string, unknown>): void {
    this.findings.push({ type, key, severity, message, ...(details ? { details } : {}) });
  }
  unknownOf(type: ScannerFindingType, key: string | undefined, reason: string): void {
    this.unknown.push({ type, ...(key !== undefined ? { key } : {}), reason });
  }
}

type Fields = ProbeResult;
const NOT_PROBED = 'not probed yet';
const get = <T>(f: Fields, name: string): ProbeField<T> => (f[name] as ProbeField<T> | undefined) ?? { state: 'unknown', reason: `${name}: ${NOT_PROBED}` };

function tls(f: Fields, s: ScanSettings, now: Date, out: Out): void {
  for (const [name, field] of Object.entries(f)) {
    if (name.startsWith('tls.glob:')) {
      const pattern = name.slice('tls.glob:'.length);
      const reason = field.state === 'unknown' ? field.reason : 'cannot expand';
      out.add('tls.unreadable', pattern, 'INFO', `cannot look for certificates at ${pattern}: ${reason}`);
      out.unknownOf('tls.expiring', undefined, reason);
      continue;
    }
    if (!name.startsWith('tls.cert:')) continue;
    const path = name.slice('tls.cert:'.length);
    if (field.state === 'unknown') {
      out.add('tls.unreadable', path, 'INFO', `cannot read the certificate ${path}: ${field.reason}`);
      out.unknownOf('tls.expiring', path, field.reason);
      continue;
    }
    const cert = field.value as CertificateInfo;
    const days = Math.floor((Date.parse(cert.notAfter) - now.getTime()) / DAY_MS);
    if (days >= s.tlsWarnDays) continue;
    const severity = days < s.tlsCriticalDays ? 'CRITICAL' : 'WARN';
    const message = days < 0 ? `certificate ${path} expired ${-days} day(s) ago (${cert.notAfter})` : `certificate ${path} expires in ${days} day(s) (${cert.notAfter})`;
    out.add('tls.expiring', path, severity, message, { daysLeft: days, notAfter: cert.notAfter, subject: cert.subject, dnsNames: cert.dnsNames });
  }
}

function ssh(f: Fields, out: Out): void {
  const installed = get<boolean>(f, 'packages.installed:openssh-server');
  if (installed.state === 'ok' && installed.value === false) return; // no sshd, nothing to harden
  const sources = get<Record<string, string>>(f, 'sshd.sources');
  const src = (k: string): string | undefined => (sources.state === 'ok' ? sources.value[k] : undefined);
  const check = (setting: string, type: ScannerFindingType, bad: (v: unknown) => boolean, severity: FindingSeverity, message: string): void => {
    const v = get(f, `sshd.${setting}`);
    if (v.state === 'unknown') return out.unknownOf(type, SSHD_KEY, v.reason);
    if (bad(v.value)) out.add(type, SSHD_KEY, severity, message, { [setting]: v.value, source: src(setting) ?? 'unknown' });
  };
  check('passwordAuthentication', 'ssh.password-auth-enabled', (v) => v === 'yes', 'CRITICAL', 'sshd accepts password logins (PasswordAuthentication yes)');
  check('permitRootLogin', 'ssh.root-login-enabled', (v) => v === 'yes', 'WARN', 'sshd lets root log in with a password (PermitRootLogin yes)');
  check('permitEmptyPasswords', 'ssh.empty-passwords-permitted', (v) => v === 'yes', 'CRITICAL', 'sshd accepts accounts with an empty password (PermitEmptyPasswords yes)');
}

function disk(f: Fields, s: ScanSettings, out: Out): void {
  const mounts = get(f, 'disk.mounts');
  if (mounts.state === 'unknown') return out.unknownOf('disk.usage-high', undefined, mounts.reason);
  for (const [name, field] of Object.entries(f)) {
    if (!name.startsWith('disk.usage:')) continue;
    const mount = name.slice('disk.usage:'.length);
    const key = `mount:${mount}`;
    if (field.state === 'unknown') {
      out.unknownOf('disk.usage-high', key, field.reason);
      continue;
    }
    const pct = field.value as number;
    if (pct < s.diskWarnPercent) continue;
    out.add('disk.usage-high', key, pct >= s.diskCriticalPercent ? 'CRITICAL' : 'WARN', `${mount} is ${pct}% full`, { usedPercent: pct, warnPercent: s.diskWarnPercent, criticalPercent: s.diskCriticalPercent });
  }
}

interface Daemon {
  pkg: string;
  service: string;
  processes: string[];
}
export const FAIL2BAN: Daemon = { pkg: 'fail2ban', service: 'fail2ban', processes: ['fail2ban-server'] };
export const AUDITD: Daemon = { pkg: 'auditd', service: 'auditd', processes: ['auditd'] };
export const NODE_EXPORTER: Daemon = { pkg: 'prometheus-node-exporter', service: 'prometheus-node-exporter', processes: ['prometheus-node-exporter', 'node_exporter'] };

/**
 * Running if a process of it runs on this host or its service manager says active; down if it is not
 * installed, its service manager says it is not active, or /proc shows no process of it; otherwise unknown
 * (no service manager to ask and /proc unreadable).
 */
export function daemonState(f: Fields, d: Daemon): { state: 'running' | 'down'; why: string } | { state: 'unknown'; reason: string } {
  const procs = d.processes.map((p) => get<boolean>(f, `processes.running:${p}`));
  const active = get<string>(f, `services.active:${d.service}`);
  if (procs.some((p) => p.state === 'ok' && p.value)) return { state: 'running', why: 'its process runs' };
  if (active.state === 'ok' && active.value === 'active') return { state: 'running', why: 'its service is active' };
  const pkg = get<boolean>(f, `packages.installed:${d.pkg}`);
  if (pkg.state === 'ok' && !pkg.value) return { state: 'down', why: `${d.pkg} is not installed` };
  if (active.state === 'ok') return { state: 'down', why: `service ${d.service} is ${active.value}` };
  if (procs.every((p) => p.state === 'ok')) return { state: 'down', why: `no ${d.processes.join(' or ')} process runs` };
  const reasons = [active, ...procs].filter((p) => p.state === 'unknown').map((p) => (p as { reason: string }).reason);
  return { state: 'unknown', reason: [...new Set(reasons)].join('; ') };
}

function daemonFinding(f: Fields, d: Daemon, type: ScannerFindingType, key: string, severity: FindingSeverity, what: string, out: Out): void {
  const st = daemonState(f, d);
  if (st.state === 'unknown') out.unknownOf(type, key, st.reason);
  else if (st.state === 'down') out.add(type, key, severity, `${what} is not running: ${st.why}`, { why: st.why });
}

function audit(f: Fields, out: Out): void {
  const when = <T>(name: string, type: ScannerFindingType, key: string, then: (v: T) => void): void => {
    const v = get<T>(f, name);
    if (v.state === 'unknown') out.unknownOf(type, key, v.reason);
    else then(v.value);
  };
  when<AptUpgradable>('audit.aptUpgradable', 'audit.kernel-updates-pending', 'apt', (v) => {
    if (v.security.length + v.kernel.length === 0) return;
    out.add('audit.kernel-updates-pending', 'apt', 'WARN', `${v.security.length} security update(s)${v.kernel.length ? ` and a new kernel (${v.kernel.join(', ')})` : ''} pending`, { security: v.security.slice(0, 50), kernel: v.kernel });
  });
  when<RootPassword>('audit.rootPassword', 'audit.root-password-set', 'root', (v) => {
    if (v === 'set') out.add('audit.root-password-set', 'root', 'WARN', 'root has a password (a password guess gives root)');
    if (v === 'empty') out.add('audit.root-password-set', 'root', 'WARN', 'root has an EMPTY password', { empty: true });
  });
  when<Array<{ file: string; line: number; text: string }>>('audit.sudoNopasswd', 'audit.sudo-nopasswd', 'sudoers', (v) => {
    if (v.length) out.add('audit.sudo-nopasswd', 'sudoers', 'WARN', `sudo without a password: ${v.map((g) => `${g.file}:${g.line}`).join(', ')}`, { grants: v.slice(0, 50) });
  });
  when<{ count: number; paths: string[] }>('audit.worldWritableEtc', 'audit.world-writable-etc', '/etc', (v) => {
    if (v.count) out.add('audit.world-writable-etc', '/etc', 'WARN', `${v.count} world-writable path(s) in /etc: ${v.paths.slice(0, 5).join(', ')}${v.count > 5 ? ', ...' : ''}`, { count: v.count, paths: v.paths });
  });
  when<{ installed: boolean; active: boolean; defaultIncoming?: string }>('audit.ufw', 'audit.ufw-inactive', 'ufw', (v) => {
    const problem = !v.installed ? 'ufw is not installed' : !v.active ? 'ufw is inactive' : v.defaultIncoming === 'allow' ? 'ufw allows incoming traffic by default' : undefined;
    if (!problem) return;
    // CRITICAL on a host with a public address: nothing stands between the internet and every listening port.
    const addrs = get<string[]>(f, 'audit.addresses');
    const pub = addrs.state === 'ok' ? addrs.value.filter(isPublicAddress) : [];
    out.add('audit.ufw-inactive', 'ufw', pub.length ? 'CRITICAL' : 'WARN', `${problem}${pub.length ? ` on a host with a public address (${pub.join(', ')})` : ''}`, { publicAddresses: addrs.state === 'ok' ? pub : 'unknown' });
  });
  daemonFinding(f, FAIL2BAN, 'audit.fail2ban-down', 'fail2ban', 'WARN', 'fail2ban', out);
  const uu = get<boolean>(f, 'packages.installed:unattended-upgrades');
  if (uu.state === 'ok' && !uu.value) out.add('audit.no-automatic-updates', 'unattended-upgrades', 'INFO', 'unattended-upgrades is not installed: security updates wait for a person');
  else {
    when<{ enabled: boolean; unattendedUpgrade: string | null }>('audit.automaticUpdates', 'audit.no-automatic-updates', 'unattended-upgrades', (v) => {
      if (!v.enabled) out.add('audit.no-automatic-updates', 'unattended-upgrades', 'INFO', `automatic updates are off (APT::Periodic::Unattended-Upgrade ${JSON.stringify(v.unattendedUpgrade)})`);
      else if (uu.state === 'unknown') out.unknownOf('audit.no-automatic-updates', 'unattended-upgrades', uu.reason);
    });
  }
  when<number>('audit.cryptDevices', 'audit.no-disk-encryption', 'disks', (v) => {
    if (v === 0) out.add('audit.no-disk-encryption', 'disks', 'INFO', 'no encrypted block device (dm-crypt/LUKS)');
  });
  daemonFinding(f, AUDITD, 'audit.no-auditd', 'auditd', 'INFO', 'auditd', out);
}

function backup(f: Fields, b: NonNullable<ScanSettings['backup']>, now: Date, out: Out): void {
  const key = `restic:${redactRepository(b.repository)}`;
  const v = get<ResticSnapshot | null>(f, 'restic.latestSnapshot');
  if (v.state === 'unknown') return out.unknownOf('backup.stale', key, v.reason);
  const hours = (ms: number): number => Math.round(ms / 360_000) / 10;
  if (v.value === null) return out.add('backup.stale', key, 'CRITICAL', `the backup repository ${redactRepository(b.repository)} has no snapshot`, { maxAgeHours: hours(b.maxAgeMs) });
  const age = now.getTime() - Date.parse(v.value.time);
  if (age <= b.maxAgeMs) return;
  // Three missed periods is no longer a late backup but no backup.
  out.add('backup.stale', key, age > 3 * b.maxAgeMs ? 'CRITICAL' : 'WARN', `the newest snapshot (${v.value.id}) is ${hours(age)} h old; the policy allows ${hours(b.maxAgeMs)} h`, { newest: v.value, ageHours: hours(age), maxAgeHours: hours(b.maxAgeMs) });
}

/** Every enabled scanner over the latest probe fields. */
export function evaluateScanners(f: Fields, s: ScanSettings, now: Date): ScanOutcome {
  const out = new Out();
  const on = (name: string): boolean => !s.disabled.has(name);
  if (on('tls')) tls(f, s, now, out);
  if (on('ssh')) ssh(f, out);
  if (on('disk')) disk(f, s, out);
  if (on('audit')) audit(f, out);
  if (on('monitoring') && s.monitoring) daemonFinding(f, NODE_EXPORTER, 'monitoring.absent', 'node_exporter', 'WARN', 'node_exporter (the monitoring agent this node is expected to run)', out);
  if (on('backup') && s.backup) backup(f, s.backup, now, out);
  return { findings: out.findings.filter((d) => on(d.type)), unknown: out.unknown };
}

// The scanners over probe fields: which findings (type, key, severity) a host state produces, and that a
// field the probes could not read yields an unknown (which keeps a finding as it is) instead of a verdict.
import { expect } from 'chai';
import { daemonState, evaluateScanners, FAIL2BAN, SSHD_KEY } from '@hyprbox/agent/findings-scan';
import type { ScanSettings } from '@hyprbox/agent/findings-scan';
import type { ProbeResult } from '@hyprbox/agent/probes/types';

const NOW = new Date('2025-06-01T00:00:00Z');
const DAY = 86_400_000;
const ok = (value: unknown) => ({ state: 'ok' as const, value });
const unknown = (reason: string) => ({ state: 'unknown' as const, reason });
const settings = (over: Partial<ScanSettings> = {}): ScanSettings => ({ tlsWarnDays: 30, tlsCriticalDays: 7, diskWarnPercent: 80, diskCriticalPercent: 90, monitoring: false, disabled: new Set(), ...over });
const cert = (days: number) => ok({ subject: 'CN=x', issuer: 'CN=x', notBefore: '2025-01-01T00:00:00.000Z', notAfter: new Date(NOW.getTime() + days * DAY + 3600_000).toISOString(), dnsNames: ['x'], fingerprint256: 'AA' });

/** A fresh Debian host with openssh-server and no hardening, as the probes see it without a service manager. */
const FRESH: ProbeResult = {
  'packages.installed:openssh-server': ok(true),
  'sshd.passwordAuthentication': ok('yes'),
  'sshd.permitRootLogin': ok('prohibit-password'),
  'sshd.permitEmptyPasswords': ok('no'),
  'sshd.sources': ok({ passwordAuthentication: 'default' }),
  'disk.mounts': ok([]),
  'disk.usage:/': ok(41),
  'audit.aptUpgradable': ok({ security: [], kernel: [], all: 0 }),
  'audit.rootPassword': ok('locked'),
  'audit.sudoNopasswd': ok([]),
  'audit.worldWritableEtc': ok({ count: 0, paths: [] }),
  'audit.ufw': ok({ installed: false, active: false }),
  'audit.addresses': ok(['10.0.0.2']),
  'packages.installed:fail2ban': ok(false),
  'packages.installed:unattended-upgrades': ok(false),
  'packages.installed:auditd': ok(false),
  'audit.automaticUpdates': ok({ enabled: false, unattendedUpgrade: null }),
  'audit.cryptDevices': unknown('lsblk exited 1: failed to access sysfs directory'),
  'services.manager': ok('none'),
  'services.active:fail2ban': unknown('no service manager to ask (systemd is not running)'),
  'services.active:auditd': unknown('no service manager to ask (systemd is not running)'),
  'processes.running:fail2ban-server': ok(false),
  'processes.running:auditd': ok(false),
};
const summary = (f: ProbeResult, s = settings()) => evaluateScanners(f, s, NOW).findings.map((d) => `${d.type} ${d.key} ${d.severity}`).sort();

describe('scanners → findings', () => {
  it('a fresh unhardened Debian host', () => {
    expect(summary(FRESH)).to.deep.equal([
      'audit.fail2ban-down fail2ban WARN',
      'audit.no-auditd auditd INFO',
      'audit.no-automatic-updates unattended-upgrades INFO',
      'audit.ufw-inactive ufw WARN',
      `ssh.password-auth-enabled ${SSHD_KEY} CRITICAL`,
    ]);
    // lsblk could not answer: no finding either way, and an existing one would be kept.
    expect(evaluateScanners(FRESH, settings(), NOW).unknown).to.deep.include({ type: 'audit.no-disk-encryption', key: 'disks', reason: 'lsblk exited 1: failed to access sysfs directory' });
  });

  it('ufw inactive is CRITICAL on a host with a public address', () => {
    const d = evaluateScanners({ ...FRESH, 'audit.addresses': ok(['10.0.0.2', '203.0.114.7']) }, settings(), NOW).findings.find((x) => x.type === 'audit.ufw-inactive')!;
    expect(d.severity).to.equal('CRITICAL');
    expect(d.message).to.contain('203.0.114.7');
    expect(summary({ ...FRESH, 'audit.ufw': ok({ installed: true, active: true, defaultIncoming: 'deny' }) })).not.to.include('audit.ufw-inactive ufw WARN');
    expect(summary({ ...FRESH, 'audit.ufw': ok({ installed: true, active: true, defaultIncoming: 'allow' }) })).to.include('audit.ufw-inactive ufw WARN');
  });

  it('the other audit checks, each with its key and the seed severity', () => {
    const f = {
      ...FRESH,
      'audit.aptUpgradable': ok({ security: ['libssl3'], kernel: [], all: 4 }),
      'audit.rootPassword': ok('set'),
      'audit.sudoNopasswd': ok([{ file: '/etc/sudoers.d/x', line: 1, text: 'x ALL=(ALL) NOPASSWD:ALL' }]),
      'audit.worldWritableEtc': ok({ count: 1, paths: ['/etc/motd'] }),
      'audit.cryptDevices': ok(0),
    };
    expect(summary(f)).to.include.members([
      'audit.kernel-updates-pending apt WARN', 'audit.root-password-set root WARN', 'audit.sudo-nopasswd sudoers WARN',
      'audit.world-writable-etc /etc WARN', 'audit.no-disk-encryption disks INFO',
    ]);
  });

  it('a daemon is down only when someone could tell: not installed, the manager says so, or /proc shows no process', () => {
    expect(daemonState(FRESH, FAIL2BAN)).to.deep.equal({ state: 'down', why: 'fail2ban is not installed' });
    const installed = { ...FRESH, 'packages.installed:fail2ban': ok(true) };
    expect(daemonState(installed, FAIL2BAN)).to.deep.equal({ state: 'down', why: 'no fail2ban-server process runs' });
    expect(daemonState({ ...installed, 'processes.running:fail2ban-server': ok(true) }, FAIL2BAN).state).to.equal('running');
    const blind = { ...installed, 'processes.running:fail2ban-server': unknown('cannot list processes: EACCES') };
    expect(daemonState(blind, FAIL2BAN)).to.deep.equal({ state: 'unknown', reason: 'no service manager to ask (systemd is not running); cannot list processes: EACCES' });
    expect(evaluateScanners(blind, settings(), NOW).findings.map((d) => d.type)).not.to.include('audit.fail2ban-down');
    expect(daemonState({ ...blind, 'services.active:fail2ban': ok('failed') }, FAIL2BAN)).to.deep.equal({ state: 'down', why: 'service fail2ban is failed' });
    expect(daemonState({ ...blind, 'services.active:fail2ban': ok('active') }, FAIL2BAN).state).to.equal('running');
  });

  it('tls.expiring by days left with configurable thresholds; tls.unreadable once per path', () => {
    const f = { 'tls.cert:/a.pem': cert(40), 'tls.cert:/b.pem': cert(20), 'tls.cert:/c.pem': cert(3), 'tls.cert:/d.pem': cert(-2), 'tls.cert:/e.pem': unknown('cannot read /e.pem: permission denied (EACCES)') };
    const s = settings({ disabled: new Set(['ssh', 'disk', 'audit']) });
    expect(summary(f, s)).to.deep.equal(['tls.expiring /b.pem WARN', 'tls.expiring /c.pem CRITICAL', 'tls.expiring /d.pem CRITICAL', 'tls.unreadable /e.pem INFO']);
    expect(summary(f, { ...s, tlsWarnDays: 50, tlsCriticalDays: 25 })).to.deep.equal(['tls.expiring /a.pem WARN', 'tls.expiring /b.pem CRITICAL', 'tls.expiring /c.pem CRITICAL', 'tls.expiring /d.pem CRITICAL', 'tls.unreadable /e.pem INFO']);
    const out = evaluateScanners(f, s, NOW);
    expect(out.findings.find((d) => d.key === '/d.pem')!.message).to.match(/expired 2 day\(s\) ago/);
    expect(out.unknown).to.deep.equal([{ type: 'tls.expiring', key: '/e.pem', reason: 'cannot read /e.pem: permission denied (EACCES)' }]);
  });

  it('disk.usage-high per mount, WARN >= 80, CRITICAL >= 90 (configurable); unreadable mounts are unknown', () => {
    const f = { 'disk.mounts': ok([]), 'disk.usage:/': ok(79), 'disk.usage:/var': ok(80), 'disk.usage:/srv': ok(90), 'disk.usage:/mnt/nfs': unknown('statfs did not answer within 5000 ms') };
    const s = settings({ disabled: new Set(['ssh', 'tls', 'audit']) });
    expect(summary(f, s)).to.deep.equal(['disk.usage-high mount:/srv CRITICAL', 'disk.usage-high mount:/var WARN']);
    expect(summary(f, { ...s, diskWarnPercent: 70, diskCriticalPercent: 80 })).to.deep.equal(['disk.usage-high mount:/ WARN', 'disk.usage-high mount:/srv CRITICAL', 'disk.usage-high mount:/var CRITICAL']);
    expect(evaluateScanners(f, s, NOW).unknown).to.deep.equal([{ type: 'disk.usage-high', key: 'mount:/mnt/nfs', reason: 'statfs did not answer within 5000 ms' }]);
    expect(evaluateScanners({ 'disk.mounts': unknown('cannot read /proc/mounts') }, s, NOW).unknown).to.deep.equal([{ type: 'disk.usage-high', reason: 'cannot read /proc/mounts' }]);
  });

  it('ssh: root login and empty passwords; nothing when sshd is not installed; unknown when unreadable', () => {
    const f = { ...FRESH, 'sshd.permitRootLogin': ok('yes'), 'sshd.permitEmptyPasswords': ok('yes') };
    expect(summary(f)).to.include.members([`ssh.root-login-enabled ${SSHD_KEY} WARN`, `ssh.empty-passwords-permitted ${SSHD_KEY} CRITICAL`]);
    expect(summary({ ...f, 'packages.installed:openssh-server': ok(false) }).filter((x) => x.startsWith('ssh.'))).to.deep.equal([]);
    const unread = evaluateScanners({ ...FRESH, 'sshd.passwordAuthentication': unknown('cannot read /etc/ssh/sshd_config: permission denied (EACCES)') }, settings(), NOW);
    expect(unread.findings.map((d) => d.type)).not.to.include('ssh.password-auth-enabled');
    expect(unread.unknown).to.deep.include({ type: 'ssh.password-auth-enabled', key: SSHD_KEY, reason: 'cannot read /etc/ssh/sshd_config: permission denied (EACCES)' });
  });

  it('monitoring.absent only where monitoring is expected', () => {
    const f = { ...FRESH, 'packages.installed:prometheus-node-exporter': ok(false), 'processes.running:prometheus-node-exporter': ok(false), 'processes.running:node_exporter': ok(false) };
    expect(summary(f)).not.to.include('monitoring.absent node_exporter WARN');
    expect(summary(f, settings({ monitoring: true }))).to.include('monitoring.absent node_exporter WARN');
    expect(summary({ ...f, 'processes.running:node_exporter': ok(true) }, settings({ monitoring: true }))).not.to.include('monitoring.absent node_exporter WARN');
  });

  it('backup.stale: no snapshot, too old, fine, or unknown when restic cannot answer', () => {
    const s = settings({ backup: { repository: 'rest:https://u:p@b.example/x', maxAgeMs: 26 * 3600_000 }, disabled: new Set(['ssh', 'tls', 'audit', 'disk']) });
    const at = (hoursAgo: number) => ({ 'restic.latestSnapshot': ok({ time: new Date(NOW.getTime() - hoursAgo * 3600_000).toISOString(), id: 'ab12' }) });
    expect(summary({ 'restic.latestSnapshot': ok(null) }, s)).to.deep.equal(['backup.stale restic:rest:https://b.example/x CRITICAL']);
    expect(summary(at(30), s)).to.deep.equal(['backup.stale restic:rest:https://b.example/x WARN']);
    expect(summary(at(100), s)).to.deep.equal(['backup.stale restic:rest:https://b.example/x CRITICAL']);
    expect(summary(at(2), s)).to.deep.equal([]);
    const u = evaluateScanners({ 'restic.latestSnapshot': unknown('restic snapshots exited 12: wrong password') }, s, NOW);
    expect(u.findings).to.deep.equal([]);
    expect(u.unknown).to.deep.equal([{ type: 'backup.stale', key: 'restic:rest:https://b.example/x', reason: 'restic snapshots exited 12: wrong password' }]);
  });

  it('disabled scanners and finding types report nothing', () => {
    expect(summary(FRESH, settings({ disabled: new Set(['audit']) }))).to.deep.equal([`ssh.password-auth-enabled ${SSHD_KEY} CRITICAL`]);
    expect(summary(FRESH, settings({ disabled: new Set(['audit.no-auditd', 'ssh']) }))).not.to.include('audit.no-auditd auditd INFO');
  });
});

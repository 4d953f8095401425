// audit: what the security audit (seed 000 Phase 7) needs to read, one field per check, each a value read
// from the host or unknown with why it could not be read. Which of these are findings, and how bad, is the
// scanner's decision (agent/src/findings-scan.ts); fail2ban and auditd come from the packages, services and
// processes probes.
import { networkInterfaces } from 'node:os';
import {
  automaticUpdatesEnabled, countCryptDevices, parseAptConfigDump, parseAptUpgradable, parseFindOutput,
  parseShadowRoot, parseUfwStatus, scanSudoers, sudoersDirEntryUsed,
} from './audit-parse.js';
import { isMissing } from './host.js';
import type { HostAccess, Probe, ProbeField, ProbeResult } from './types.js';
import { ok, unknown } from './types.js';

type Run = Awaited<ReturnType<HostAccess['run']>>;
const failed = (cmd: string, r: Run): string =>
  r.exitCode === undefined ? `${cmd} could not run: ${r.error ?? 'not found'}` : `${cmd} exited ${r.exitCode}: ${(r.stderr.trim() || r.stdout.trim()).split('\n')[0] ?? ''}`.trim();

/** At most this many paths are listed in a field (the count says how many there were). */
const MAX_LISTED = 50;

async function aptUpgradable(host: HostAccess): Promise<ProbeField> {
  // Without downloaded package lists apt knows of no upgrades at all: that is not "up to date".
  let lists: string[];
  try {
    lists = await host.glob('/var/lib/apt/lists/*Packages*');
  } catch (e) {
    return unknown(e instanceof Error ? e.message : String(e));
  }
  if (lists.length === 0) return unknown('apt has no package lists (apt-get update never ran), so pending updates cannot be known');
  const r = await host.run('apt', ['list', '--upgradable'], { timeoutMs: 60_000 });
  if (r.exitCode !== 0) return unknown(failed('apt list --upgradable', r));
  return ok(parseAptUpgradable(r.stdout));
}

async function rootPassword(host: HostAccess): Promise<ProbeField> {
  const f = await host.readFile('/etc/shadow');
  if (f.content === undefined) return unknown(f.error ?? 'cannot read /etc/shadow');
  const state = parseShadowRoot(f.content);
  return state === null ? unknown('/etc/shadow has no root line') : ok(state);
}

/** /etc/sudoers and everything it includes (depth-limited like sudo), with the password-less grants found. */
async function sudoNopasswd(host: HostAccess): Promise<ProbeField> {
  const grants: Array<{ file: string; line: number; text: string }> = [];
  const seen = new Set<string>();
  const visit = async (file: string, depth: number, required: boolean): Promise<string | undefined> => {
    if (seen.has(file) || depth > 128) return undefined;
    seen.add(file);
    const f = await host.readFile(file);
    if (f.content === undefined) return isMissing(f) && !required ? undefined : isMissing(f) ? 'missing' : f.error;
    const s = scanSudoers(f.content, file);
    grants.push(...s.nopasswd.map((g) => ({ file, ...g })));
    for (const inc of s.includes) {
      const err = await visit(inc, depth + 1, false);
      if (err) return err;
    }
    for (const dir of s.includeDirs) {
      let entries: string[];
      try {
        entries = await host.glob(`${dir}/*`);
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
      for (const e of entries.filter((p) => sudoersDirEntryUsed(p.slice(p.lastIndexOf('/') + 1)))) {
        const err = await visit(e, depth + 1, false);
        if (err) return err;
      }
    }
    return undefined;
  };
  const err = await visit('/etc/sudoers', 0, true);
  // No /etc/sudoers at all: sudo is not installed, nobody gets it without a password.
  if (err === 'missing') return ok([]);
  return err ? unknown(err) : ok(grants);
}

async function worldWritableEtc(host: HostAccess): Promise<ProbeField> {
  // Files and directories anyone may write; a sticky directory (like /tmp) is meant to be. Symlinks are always 0777.
  const r = await host.run('find', ['/etc', '-xdev', '(', '-type', 'f', '-o', '-type', 'd', ')', '-perm', '-0002', '!', '(', '-type', 'd', '-perm', '-1000', ')', '-print'], { timeoutMs: 60_000 });
  if (r.exitCode === undefined) return unknown(failed('find /etc', r));
  const paths = parseFindOutput(r.stdout).sort();
  // find exits 1 when it could not enter some directory: what it found is still found, "nothing" is not known.
  if (r.exitCode !== 0 && paths.length === 0) return unknown(failed('find /etc', r));
  return ok({ count: paths.length, paths: paths.slice(0, MAX_LISTED) });
}

async function ufw(host: HostAccess): Promise<ProbeField> {
  let present: string[];
  try {
    present = await host.glob('/usr/sbin/ufw');
  } catch (e) {
    return unknown(e instanceof Error ? e.message : String(e));
  }
  if (present.length === 0) return ok({ installed: false, active: false });
  const r = await host.run('ufw', ['status', 'verbose'], { timeoutMs: 30_000 });
  const st = r.exitCode === 0 ? parseUfwStatus(r.stdout) : null;
  return st === null ? unknown(failed('ufw status verbose', r)) : ok({ installed: true, ...st });
}

async function automaticUpdates(host: HostAccess): Promise<ProbeField> {
  const r = await host.run('apt-config', ['dump'], { timeoutMs: 30_000 });
  if (r.exitCode !== 0) return unknown(failed('apt-config dump', r));
  const cfg = parseAptConfigDump(r.stdout);
  return ok({ enabled: automaticUpdatesEnabled(cfg), unattendedUpgrade: cfg.get('APT::Periodic::Unattended-Upgrade') ?? null });
}

async function cryptDevices(host: HostAccess): Promise<ProbeField> {
  const r = await host.run('lsblk', ['-rno', 'TYPE'], { timeoutMs: 30_000 });
  if (r.exitCode !== 0) return unknown(failed('lsblk', r));
  if (r.stdout.trim() === '') return unknown('lsblk lists no block devices (no /sys?)');
  return ok(countCryptDevices(r.stdout));
}

/** The agent's own interfaces (it runs on the host, in its network namespace). */
function addresses(): ProbeField {
  try {
    return ok(Object.values(networkInterfaces()).flat().filter((i) => i && !i.internal).map((i) => i!.address));
  } catch (e) {
    return unknown(`cannot list network interfaces: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export const AUDIT_FILES = ['/etc/shadow', '/etc/sudoers', '/etc/sudoers.d', '/etc/apt/apt.conf.d'];

export const auditProbe: Probe = {
  name: 'audit',
  watches: () => Promise.resolve(AUDIT_FILES),
  async collect(host) {
    const [apt, root, sudo, ww, fw, auto, crypt] = await Promise.all([
      aptUpgradable(host), rootPassword(host), sudoNopasswd(host), worldWritableEtc(host), ufw(host), automaticUpdates(host), cryptDevices(host),
    ]);
    const result: ProbeResult = {
      'audit.aptUpgradable': apt,
      'audit.rootPassword': root,
      'audit.sudoNopasswd': sudo,
      'audit.worldWritableEtc': ww,
      'audit.ufw': fw,
      'audit.automaticUpdates': auto,
      'audit.cryptDevices': crypt,
      'audit.addresses': addresses(),
    };
    return result;
  },
};

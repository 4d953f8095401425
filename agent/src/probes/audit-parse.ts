// Pure parsers of the security audit (seed 000 Phase 7): each takes what a file or a command said and
// returns what it means. No file system, no commands, no clock — tested on captured fixtures.
import { isIP } from 'node:net';

export interface AptUpgradable {
  /** Packages with an upgrade from a *-security suite. */
  security: string[];
  /** linux-image-* packages with an upgrade (a new kernel to boot). */
  kernel: string[];
  /** Every upgradable package. */
  all: number;
}

/** `apt list --upgradable`: `name/suite[,suite] version arch [upgradable from: old]` per package. */
export function parseAptUpgradable(output: string): AptUpgradable {
  const security: string[] = [];
  const kernel: string[] = [];
  let all = 0;
  for (const line of output.split('\n')) {
    const m = /^([a-z0-9][a-z0-9+.-]*)\/(\S+)\s+\S+\s+\S+\s+\[upgradable from:/.exec(line.trim());
    if (!m) continue;
    all++;
    if (m[2]!.split(',').some((s) => s.endsWith('-security'))) security.push(m[1]!);
    if (m[1]!.startsWith('linux-image-')) kernel.push(m[1]!);
  }
  return { security, kernel, all };
}

export type RootPassword = 'set' | 'locked' | 'empty';

/**
 * root's password state from /etc/shadow: `set` (a hash someone could log in with), `locked` (`*`, `!...`),
 * `empty` (no password at all). Null when there is no root line.
 */
export function parseShadowRoot(shadow: string): RootPassword | null {
  for (const line of shadow.split('\n')) {
    const f = line.split(':');
    if (f[0] !== 'root' || f.length < 2) continue;
    const hash = f[1]!;
    if (hash === '') return 'empty';
    if (hash.startsWith('!') || hash.startsWith('*')) return 'locked';
    return 'set';
  }
  return null;
}

export interface SudoersScan {
  /** `@include`/`#include` targets, made absolute (relative to the including file's directory). */
  includes: string[];
  /** `@includedir`/`#includedir` directories. */
  includeDirs: string[];
  /** Lines granting sudo without a password: NOPASSWD tags, or `Defaults !authenticate`. */
  nopasswd: Array<{ line: number; text: string }>;
}

/** One sudoers file: its include directives and its password-less grants. Continuation lines are joined. */
export function scanSudoers(content: string, file: string): SudoersScan {
  const out: SudoersScan = { includes: [], includeDirs: [], nopasswd: [] };
  const dir = file.slice(0, file.lastIndexOf('/')) || '/';
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let text = lines[i]!;
    while (text.endsWith('\\') && i + 1 < lines.length) text = text.slice(0, -1) + ' ' + lines[++i]!;
    const t = text.trim();
    const inc = /^[#@](include|includedir)\s+(.+)$/.exec(t);
    if (inc) {
      const target = inc[2]!.trim().replace(/^"(.*)"$/, '$1');
      const abs = target.startsWith('/') ? target : `${dir}/${target}`;
      (inc[1] === 'include' ? out.includes : out.includeDirs).push(abs);
      continue;
    }
    if (t === '' || t.startsWith('#')) continue;
    if (/\bNOPASSWD\s*:/.test(t) || /^Defaults\b.*!\s*authenticate\b/.test(t)) out.nopasswd.push({ line: start + 1, text: t });
  }
  return out;
}

/** sudo skips files in an includedir whose name ends in `~` or contains a `.` (editor backups, .dpkg-old). */
export function sudoersDirEntryUsed(name: string): boolean {
  return !name.endsWith('~') && !name.includes('.');
}

export interface UfwStatus {
  active: boolean;
  /** The default incoming policy (`deny`, `reject`, `allow`), when ufw printed it. */
  defaultIncoming?: string;
}

/** `ufw status verbose`; null when the output has no `Status:` line. */
export function parseUfwStatus(output: string): UfwStatus | null {
  const st = /^Status:\s*(active|inactive)\s*$/m.exec(output);
  if (!st) return null;
  const def = /^Default:\s*(\w+)\s*\(incoming\)/m.exec(output);
  return { active: st[1] === 'active', ...(def ? { defaultIncoming: def[1]! } : {}) };
}

/** `apt-config dump`: `Name::Sub "value";` lines → name → value (the last one wins, as apt does). */
export function parseAptConfigDump(output: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of output.split('\n')) {
    const m = /^(\S+)\s+"(.*)";\s*$/.exec(line.trim());
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/** Whether apt's periodic unattended upgrade runs: APT::Periodic::Unattended-Upgrade set and not "0". */
export function automaticUpdatesEnabled(config: Map<string, string>): boolean {
  const v = config.get('APT::Periodic::Unattended-Upgrade');
  return v !== undefined && v !== '' && v !== '0';
}

/** `lsblk -rno TYPE`: how many dm-crypt devices (LUKS and plain). */
export function countCryptDevices(output: string): number {
  return output.split('\n').filter((l) => l.trim() === 'crypt').length;
}

/** `find ... -print` output → paths. */
export function parseFindOutput(output: string): string[] {
  return output.split('\n').filter((l) => l.startsWith('/'));
}

/**
 * Reachable from the internet: not loopback, private (RFC 1918, ULA), link-local, CGNAT (100.64/10), or
 * documentation/benchmark ranges.
 */
export function isPublicAddress(addr: string): boolean {
  const a = addr.replace(/%.*$/, '').toLowerCase();
  if (isIP(a) === 4) {
    const [x, y, z] = a.split('.').map(Number) as [number, number, number];
    if (x === 10 || x === 127 || x === 0 || x >= 224) return false;
    if (x === 172 && y >= 16 && y <= 31) return false;
    if (x === 192 && y === 168) return false;
    if (x === 169 && y === 254) return false;
    if (x === 100 && y >= 64 && y <= 127) return false;
    if (x === 192 && y === 0 && (z === 0 || z === 2)) return false;
    if (x === 198 && (y === 18 || y === 19 || (y === 51 && z === 100))) return false;
    if (x === 203 && y === 0 && z === 113) return false;
    return true;
  }
  if (isIP(a) === 6) {
    if (a === '::1' || a === '::') return false;
    if (/^f[cd]/.test(a) || /^fe[89ab]/.test(a) || /^ff/.test(a) || a.startsWith('2001:db8')) return false;
    if (a.startsWith('::ffff:')) return isPublicAddress(a.slice(7));
    return true;
  }
  return false;
}

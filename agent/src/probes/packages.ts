// packages: whether Debian packages are installed, and their versions, from dpkg's database via dpkg-query.
//
// One query lists every package dpkg knows; a name missing from a successful answer is not installed (that is
// an answer). When dpkg-query is missing or fails, every field is unknown — never "not installed".
import type { Probe, ProbeResult } from './types.js';
import { ok, unknown } from './types.js';

export const DPKG_STATUS = '/var/lib/dpkg/status';
export const DPKG_QUERY_ARGS = ['-W', '-f', '${Package}\\t${Version}\\t${db:Status-Status}\\n'];

/** dpkg's "Status-Status" values meaning the package is unpacked and configured (triggers may be pending). */
const INSTALLED_STATES = new Set(['installed', 'triggers-pending', 'triggers-awaited']);

export interface DpkgPackage {
  /** The version dpkg records (for config-files/half-installed states, the version that was there). */
  version: string;
  /** dpkg's db:Status-Status: installed, config-files, not-installed, unpacked, half-configured, ... */
  status: string;
  installed: boolean;
}

/**
 * `dpkg-query -W -f '${Package}\t${Version}\t${db:Status-Status}\n'` → package name → state. A package listed
 * for several architectures (Multi-Arch: same) appears once: installed if any instance is.
 */
export function parseDpkgQuery(output: string): Map<string, DpkgPackage> {
  const out = new Map<string, DpkgPackage>();
  for (const line of output.split('\n')) {
    const f = line.replace(/\r$/, '').split('\t');
    if (f.length < 3 || f[0] === '') continue;
    const [name, version, status] = f as [string, string, string];
    const pkg: DpkgPackage = { version, status, installed: INSTALLED_STATES.has(status) };
    const prev = out.get(name);
    if (prev === undefined || (!prev.installed && pkg.installed)) out.set(name, pkg);
  }
  return out;
}

export function packagesProbe(names: string[]): Probe {
  return {
    name: 'packages',
    watches() {
      return Promise.resolve([DPKG_STATUS]);
    },
    async collect(host) {
      const r = await host.run('dpkg-query', DPKG_QUERY_ARGS, { timeoutMs: 30_000 });
      const result: ProbeResult = {};
      let reason: string | undefined;
      if (r.exitCode === undefined) reason = `dpkg-query could not run: ${r.error ?? 'not found'}`;
      else if (r.exitCode !== 0) reason = `dpkg-query exited ${r.exitCode}: ${r.stderr.trim().split('\n')[0] ?? ''}`.trim();
      if (reason !== undefined) {
        for (const n of names) {
          result[`packages.installed:${n}`] = unknown(reason);
          result[`packages.version:${n}`] = unknown(reason);
        }
        return result;
      }
      const db = parseDpkgQuery(r.stdout);
      for (const n of names) {
        const p = db.get(n);
        const installed = p?.installed ?? false;
        result[`packages.installed:${n}`] = ok(installed);
        result[`packages.version:${n}`] = ok(installed ? p!.version : null);
      }
      return result;
    },
  };
}

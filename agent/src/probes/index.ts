// The probe framework: the probes, and running a set of them against one host.
import type { HostAccess, Probe, ProbeResult } from './types.js';
import { unknown } from './types.js';

export * from './types.js';
export { createHostAccess, isMissing, localPath, MAX_FILE_BYTES, DEFAULT_RUN_TIMEOUT_MS } from './host.js';
export {
  sshdProbe, parseSshdConfig, loadSshdConfig, collectAuthorizedKeys, countAuthorizedKeys, matchOverrides,
  SSHD_DEFAULTS, SSHD_MAIN_CONFIG, SSHD_MAX_INCLUDE_DEPTH, SSHD_SETTING_NAMES,
} from './sshd.js';
export type { SshdConfig, SshdSetting, SshdSettings, SshdMatchSetting, SshdGlobber, SshdValues, SshdSettingName } from './sshd.js';
export { diskProbe, parseMounts, parseDf, usageFrom, isPseudoFilesystem, PSEUDO_FILESYSTEMS } from './disk.js';
export type { MountEntry, MountUsage } from './disk.js';
export { packagesProbe, parseDpkgQuery, DPKG_STATUS } from './packages.js';
export type { DpkgPackage } from './packages.js';
export {
  servicesProbe, detectServiceManager, parseIsActive, parseIsEnabled, lsbStatus, NO_MANAGER, ACTIVE_STATES, ENABLED_STATES,
} from './services.js';
export type { ServiceManager, ActiveState, EnabledState } from './services.js';
export { tlsProbe, parseCertificatePem } from './tls.js';
export type { CertificateInfo } from './tls.js';
export { processesProbe, processMatches, procHidepid, listProcesses } from './processes.js';
export type { ProcessEntry } from './processes.js';
export { auditProbe } from './audit.js';
export { resticProbe, newestSnapshot, redactRepository } from './restic.js';
export type { ResticSnapshot } from './restic.js';

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Collects every probe concurrently and merges their fields. A probe that throws (or returns something that
 * is not a result) despite the contract yields one field, `<name>.error`, unknown with the message; the
 * other probes' fields are unaffected. When two probes report the same field, the first probe in `probes` wins.
 */
export async function runProbes(probes: Probe[], host: HostAccess): Promise<ProbeResult> {
  const results = await Promise.all(
    probes.map(async (p): Promise<ProbeResult> => {
      try {
        const r = await p.collect(host);
        if (r === null || typeof r !== 'object' || Array.isArray(r)) return { [`${p.name}.error`]: unknown(`probe ${p.name} returned no result`) };
        return r;
      } catch (e) {
        return { [`${p.name}.error`]: unknown(`probe ${p.name} failed: ${message(e)}`) };
      }
    }),
  );
  const merged: ProbeResult = {};
  for (const r of results) {
    for (const [k, v] of Object.entries(r)) if (!(k in merged)) merged[k] = v;
  }
  return merged;
}

/**
 * Watched path → the probes to re-run when it changes. Paths are host paths (as the probes see them); the
 * watcher joins them with `host.root` (see `localPath`). Some are directories (an sshd Include glob's
 * directory, so new files are seen): watch those without recursion (chokidar `depth: 0`). A probe whose
 * `watches` throws is left out: it still runs on the interval scan.
 */
export async function probesWatching(probes: Probe[], host: HostAccess): Promise<Map<string, Probe[]>> {
  const lists = await Promise.all(
    probes.map(async (p) => {
      try {
        return await p.watches(host);
      } catch {
        return [];
      }
    }),
  );
  const map = new Map<string, Probe[]>();
  probes.forEach((p, i) => {
    for (const file of new Set(lists[i])) {
      const list = map.get(file);
      if (list === undefined) map.set(file, [p]);
      else if (!list.includes(p)) list.push(p);
    }
  });
  return map;
}

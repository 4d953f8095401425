// restic: the newest snapshot of the backup repository this node is configured with (HYPRBOX_RESTIC_REPOSITORY
// and HYPRBOX_RESTIC_PASSWORD_FILE; the password itself never leaves the host). Field `restic.latestSnapshot`:
// { time, id, hostname, paths } of the newest snapshot, null for a repository without snapshots, or unknown
// when restic is missing, the repository cannot be opened or the password is wrong — never "no backup" then.
import type { Probe } from './types.js';
import { ok, unknown } from './types.js';

export interface ResticSnapshot {
  time: string;
  id: string;
  hostname?: string;
  paths?: string[];
}

/** `restic snapshots --json` → the newest snapshot, or null when there are none. Throws on malformed JSON. */
export function newestSnapshot(json: string): ResticSnapshot | null {
  const list = JSON.parse(json) as unknown;
  if (!Array.isArray(list)) throw new Error('restic snapshots --json did not print a list');
  let best: ResticSnapshot | null = null;
  for (const s of list as Array<{ time?: unknown; id?: unknown; short_id?: unknown; hostname?: unknown; paths?: unknown }>) {
    if (typeof s.time !== 'string' || Number.isNaN(Date.parse(s.time))) continue;
    if (best === null || Date.parse(s.time) > Date.parse(best.time)) {
      best = {
        time: new Date(Date.parse(s.time)).toISOString(),
        id: String(s.short_id ?? s.id ?? ''),
        ...(typeof s.hostname === 'string' ? { hostname: s.hostname } : {}),
        ...(Array.isArray(s.paths) ? { paths: s.paths.map(String) } : {}),
      };
    }
  }
  return best;
}

/** A repository URL without credentials (rest:https://user:pass@host/ → rest:https://host/), for keys and logs. */
export function redactRepository(repo: string): string {
  return repo.replace(/\/\/[^/@]*@/, '//');
}

export function resticProbe(repo: { repository: string; passwordFile: string }): Probe {
  return {
    name: 'restic',
    watches: () => Promise.resolve([]),
    async collect(host) {
      const r = await host.run('restic', ['--no-lock', '--json', '-r', repo.repository, '--password-file', repo.passwordFile, 'snapshots'], { timeoutMs: 120_000 });
      if (r.exitCode === undefined) return { 'restic.latestSnapshot': unknown(`restic could not run: ${r.error ?? 'not found'}`) };
      if (r.exitCode !== 0) {
        const msg = (r.stderr.trim().split('\n').pop() ?? '').replace(repo.repository, redactRepository(repo.repository));
        return { 'restic.latestSnapshot': unknown(`restic snapshots exited ${r.exitCode}${msg ? `: ${msg}` : ''}`) };
      }
      try {
        return { 'restic.latestSnapshot': ok(newestSnapshot(r.stdout)) };
      } catch (e) {
        return { 'restic.latestSnapshot': unknown(e instanceof Error ? e.message : String(e)) };
      }
    },
  };
}

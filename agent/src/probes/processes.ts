// processes: whether named daemons are running, read from /proc — the way to tell "is fail2ban running" on a
// host without a service manager to ask (a container, a chroot test host).
//
// Only processes whose root directory is the host's own count: in a chroot (or a container sharing the
// machine's /proc) the machine's processes are visible too, and a daemon running there is not this host's.
// A process matches a name by its comm, or the basename of argv[0] or argv[1] (a Python daemon such as
// fail2ban-server runs as `python3 /usr/bin/fail2ban-server`).
//
// Never "not running" without having looked at every process: when /proc cannot be listed, or hides other
// users' processes from us (hidepid), every field is unknown.
import { readdir, stat } from 'node:fs/promises';
import { localPath } from './host.js';
import type { HostAccess, Probe, ProbeResult } from './types.js';
import { ok, unknown } from './types.js';

export interface ProcessEntry {
  pid: number;
  comm: string;
  /** argv, split at NUL. */
  argv: string[];
}

const base = (p: string | undefined): string => (p ?? '').split('/').pop() ?? '';

/** Does this process run one of `names`? Pure. */
export function processMatches(p: ProcessEntry, names: readonly string[]): boolean {
  // The kernel keeps only the first 15 bytes of a comm.
  return names.some((n) => p.comm === n.slice(0, 15) || base(p.argv[0]) === n || base(p.argv[1]) === n);
}

/** The hidepid option of the proc mount at /proc in a /proc/mounts text, or undefined. Pure. */
export function procHidepid(procMounts: string): string | undefined {
  for (const line of procMounts.split('\n')) {
    const f = line.split(/\s+/);
    if (f[1] === '/proc' && f[2] === 'proc') return (f[3] ?? '').split(',').find((o) => o.startsWith('hidepid='))?.slice(8);
  }
  return undefined;
}

async function sameRoot(hostRoot: string, pid: string, rootId: string): Promise<boolean | 'gone'> {
  try {
    const s = await stat(localPath(hostRoot, `/proc/${pid}/root`));
    return `${s.dev}:${s.ino}` === rootId;
  } catch (e) {
    const code = (e as { code?: string }).code;
    // Gone meanwhile; or not ours to inspect (an unprivileged agent): on a host without chroots that is the same root.
    return code === 'ENOENT' || code === 'ESRCH' ? 'gone' : true;
  }
}

/** Every process of this host (same root directory) with its names. Throws when /proc cannot be listed. */
export async function listProcesses(host: HostAccess): Promise<ProcessEntry[]> {
  const proc = localPath(host.root, '/proc');
  const names = await readdir(proc);
  const r = await stat(host.root);
  const rootId = `${r.dev}:${r.ino}`;
  const out: ProcessEntry[] = [];
  await Promise.all(
    names.filter((n) => /^\d+$/.test(n)).map(async (pid) => {
      const same = await sameRoot(host.root, pid, rootId);
      if (same !== true) return;
      const [comm, cmdline] = await Promise.all([host.readFile(`/proc/${pid}/comm`), host.readFile(`/proc/${pid}/cmdline`)]);
      if (comm.content === undefined) return; // exited meanwhile
      out.push({ pid: Number(pid), comm: comm.content.trim(), argv: (cmdline.content ?? '').split('\0').filter(Boolean) });
    }),
  );
  if (out.length === 0) throw new Error('no process of this host is visible in /proc (is /proc mounted?)');
  return out;
}

/** `processes.running:<name>` for each name: true, false, or unknown when /proc could not be fully read. */
export function processesProbe(names: readonly string[]): Probe {
  return {
    name: 'processes',
    watches: () => Promise.resolve([]),
    async collect(host) {
      const result: ProbeResult = {};
      const fail = (reason: string): ProbeResult => Object.fromEntries(names.map((n) => [`processes.running:${n}`, unknown(reason)]));
      const mounts = await host.readFile('/proc/mounts');
      const hidepid = mounts.content !== undefined ? procHidepid(mounts.content) : undefined;
      if (hidepid !== undefined && !['0', 'off'].includes(hidepid) && process.getuid?.() !== 0) {
        return fail(`/proc is mounted with hidepid=${hidepid}: other users' processes are hidden from this agent`);
      }
      let list: ProcessEntry[];
      try {
        list = await listProcesses(host);
      } catch (e) {
        return fail(`cannot list processes: ${e instanceof Error ? e.message : String(e)}`);
      }
      for (const n of names) result[`processes.running:${n}`] = ok(list.some((p) => processMatches(p, [n])));
      return result;
    },
  };
}
